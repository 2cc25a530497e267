"""A screen that is styled once as it opens, not twice.

Textual styles each widget as it mounts, then, when a pushed screen first becomes the
active one (ScreenResume), styles the whole screen again. For a screen that has just
mounted nothing has changed in between that its own restyles (focus, classes) do not
cover, and the second pass was 10-20 ms of every form's opening on the 2-core machine
(benchmarks/form_open.py). Later resumes (a dialog over it closing) are left as Textual
has them.
"""

from __future__ import annotations

from textual import events


class StyledOnce:
    """Mixed in before a Screen class: its first ScreenResume does not restyle it.

    A plain mixin, not a Screen: a Screen base ahead of ModalScreen would put Screen's
    default CSS (an opaque background) over ModalScreen's. Textual calls the handler of
    each class in the MRO, so this one only changes the event, before Screen's runs.
    """

    _resumed_once = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed_once:
            self._resumed_once = True
            event.refresh_styles = False  # styled as it mounted, a moment ago
