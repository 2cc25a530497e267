"""A screen that opens with as little repeated work as Textual allows.

Textual styles each widget as it mounts, then, when a pushed screen first becomes the
active one (ScreenResume), styles the whole screen again. For a screen that has just
mounted nothing has changed in between that its own restyles (focus, classes) do not
cover, and the second pass was 10-20 ms of every form's opening on the 2-core machine
(benchmarks/form_open.py). Later resumes (a dialog over it closing) are left as Textual
has them.

Two more repeats of an opening are skipped the same way. The first layout of a pushed
screen sends the screen itself a Resize, and Textual answers it by laying out the new
screen again and every screen beneath it too, at the size they all already have. And a
dialog's dimmed background (the screen beneath, tinted) is drawn again at each of the
dialog's first repaints: it is drawn once and kept until the size changes or a dialog
over this one closes (the screen beneath is still while a dialog covers it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from textual import events
from textual.renderables.background_screen import BackgroundScreen

if TYPE_CHECKING:
    from textual.screen import Screen


class _KeptBackground:
    """The tinted screen beneath, drawn once per size."""

    def __init__(self, owner: StyledOnce, background: BackgroundScreen) -> None:
        self.owner = owner
        self.background = background

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key = (id(self.background.screen), options.max_width, options.height)
        kept = self.owner._kept_background
        if kept is None or kept[0] != key:
            kept = (key, list(console.render(self.background, options)))
            self.owner._kept_background = kept
        return kept[1]


class StyledOnce:
    """Mixed in before a Screen class: its first ScreenResume does not restyle it.

    A plain mixin, not a Screen: a Screen base ahead of ModalScreen would put Screen's
    default CSS (an opaque background) over ModalScreen's. Textual calls the handler of
    each class in the MRO, so this one only changes the event, before Screen's runs.
    """

    _resumed_once = False
    _resized_once = False
    _kept_background: tuple[tuple[int, int, int | None], list[Segment]] | None = None

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if self._resumed_once:
            self._kept_background = None  # a dialog over this one closed: draw afresh
        else:
            self._resumed_once = True
            event.refresh_styles = False  # styled as it mounted, a moment ago

    async def _on_resize(self, event: events.Resize) -> None:
        if self._resized_once:
            return
        self._resized_once = True
        screen: Screen[Any] = self  # type: ignore[assignment]
        app = screen.app
        if event.size == app.size and all(s.size == app.size for s in app._background_screens):
            # The first layout's own echo: every screen is laid out at this size already.
            # (Screen's handler, skipped, does only the layouts and width breakpoints,
            # which the dialogs do not use.)
            event.stop()
            event.prevent_default()

    def render(self) -> RenderableType:
        """Screen's background, with the dimmed screen beneath kept from its first drawing."""
        drawn: RenderableType = super().render()  # type: ignore[misc]
        if isinstance(drawn, BackgroundScreen):
            return _KeptBackground(self, drawn)
        return drawn
