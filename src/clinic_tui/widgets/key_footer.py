"""KeyFooter: a footer that shows only whole keys, and always the help key.

Textual's Footer lays its keys out in a row and cuts the row at its edge, so at
80 columns (or in Chinese, or beside a long sync badge) the last key shows as
"m Rx es" and the keys past it are gone without a sign. A KeyFooter leaves out
keys until the rest fit whole: first the app's keys (quit, sync: the same on
every screen), then the screen's `drop_first` actions, then its other keys from
the right. The help key stays, because help lists every key of the screen; where
`?` cannot call it (a text field has the cursor, or a dialog is open) the footer
shows F1 instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from clinic_tui.i18n import language, tr

HELP_ACTION = "help"
"""The app's help key: never left out (it leads to the keys that are)."""

HELP_KEY_IN_TEXT = "F1"
"""Help's key where `?` is text (an input field has the cursor) or is not bound (a dialog)."""


def keys_to_hide(
    widths: Sequence[int],
    actions: Sequence[str],
    available: int,
    *,
    drop_order: Iterable[int],
    gap: int = 0,
) -> set[int]:
    """Indexes of the keys to leave out so the others fit in `available` cells.

    `widths` are the keys' widths with the `gap` that follows each one (the last key's
    gap may fall past the edge); keys go in `drop_order` until the rest fit, never the
    help key.
    """
    hidden: set[int] = set()

    def needed() -> int:
        shown = [width for index, width in enumerate(widths) if index not in hidden]
        return sum(shown) - gap if shown else 0

    for index in drop_order:
        if needed() <= available:
            break
        if actions[index] != HELP_ACTION:
            hidden.add(index)
    return hidden


class KeyFooter(Footer):
    """A Footer whose keys are whole or absent: none is ever cut at the edge."""

    def __init__(
        self,
        *,
        drop_first: Sequence[str] = (),
        help_key: bool = True,
        compact: bool = False,
        show_command_palette: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette, id=id)
        self.drop_first = tuple(drop_first)
        """The screen's actions that give up their place first (after the app's own keys)."""
        self.help_key = help_key
        """Show F1 for help where `?` is not shown (False on the help screen itself)."""
        self._shown: Hashable = None
        """What the keys on show were made from (see `_keys_signature`)."""
        self._recompose_pending = False

    def compose(self) -> ComposeResult:
        """Textual's keys in the language in force, and F1 for help where `?` is text."""
        # Textual's Footer composes empty and waits for the screen's first bindings signal
        # to recompose with its keys: every screen's opening made and laid out its footer
        # twice. The keys are made now from the bindings in force; the signal's look
        # (`_recompose_if_changed`) then rebuilds only if they differ (a focused field's
        # own shown keys).
        self.set_reactive(Footer._bindings_ready, True)
        shown_help = False
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # A screen's labels are made when its module is imported, maybe before
                # the language was set; as help does, translate at display time.
                widget.description = tr(widget.description)
            shown_help = shown_help or (
                isinstance(widget, FooterKey) and widget.action == HELP_ACTION
            )
            yield widget
        if self.help_key and not shown_help and self._bindings_ready:
            f1 = self._f1_help()
            if f1 is not None:
                yield FooterKey(
                    f1.key, HELP_KEY_IN_TEXT, tr(f1.description), HELP_ACTION
                ).data_bind(compact=Footer.compact)
        self._shown = self._keys_signature()

    def _f1_help(self) -> Binding | None:
        """The app's F1 help binding where it works now (never over the lock screen)."""
        active = self.screen.active_bindings.get("f1")
        if active is not None:
            return active.binding if active.binding.action == HELP_ACTION else None
        # A dialog's active keys leave out the app's, though its priority keys work there.
        if self.app.check_action(HELP_ACTION, ()) is False:
            return None
        for binding in self.app._bindings.key_to_bindings.get("f1", []):
            if binding.action == HELP_ACTION and binding.priority:
                return binding
        return None

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Bindings may have changed: look once after the next refresh, however many
        times they were said to change before it."""
        # Textual's Footer recomposes for every call: a form opening, a focus move or a
        # keystroke in a field calls it several times, each a rebuild and a repaint.
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_pending:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._recompose_pending = False
        if self.is_attached and self._keys_signature() != self._shown:
            await self.recompose()

    def _keys_signature(self) -> Hashable:
        """Everything `compose` makes the keys from: equal means the same keys."""
        bindings = tuple(
            (key, active.binding, active.enabled, active.tooltip, active.node is self.app)
            for key, active in self.screen.active_bindings.items()
            if active.binding.show or key == self.app.COMMAND_PALETTE_BINDING
        )
        f1 = self.help_key and self._bindings_ready and self._f1_help() is not None
        return (
            bindings, f1, language(), self._bindings_ready, self.compact,
            self.show_command_palette,
        )  # fmt: skip

    async def recompose(self) -> None:
        """New keys (focus moved, a binding changed): fit them before the next paint."""
        self._shown = self._keys_signature()
        await super().recompose()
        self.fit_keys()

    def on_resize(self, _event: Resize) -> None:
        """A new width may hold more keys, or fewer."""
        self.fit_keys()

    def fit_keys(self) -> None:
        """Show the keys that fit whole in the footer's width; leave out the rest."""
        keys = [child for child in self.children if isinstance(child, FooterKey)]
        if not keys or not self.size.width:
            return
        others = sum(
            _outer_width(child, self)
            for child in self.children
            if not isinstance(child, FooterKey) and child.display
        )
        widths = [_outer_width(key, self) for key in keys]
        actions = [key.action for key in keys]
        app_actions = {
            active.binding.action
            for active in self.screen.active_bindings.values()
            if active.node is self.app
        }
        ranked = [
            *(index for index in reversed(range(len(keys))) if actions[index] in app_actions),
            *(index for name in self.drop_first for index, a in enumerate(actions) if a == name),
            *reversed(range(len(keys))),
        ]
        gap = keys[0].styles.margin.right
        hidden = keys_to_hide(widths, actions, self.size.width - others, drop_order=ranked, gap=gap)
        for index, key in enumerate(keys):
            key.display = index not in hidden


def _outer_width(widget: Widget, parent: Widget) -> int:
    """Cells `widget` takes in a row: its content, padding, border and margin."""
    styles = widget.styles
    content = widget.get_content_width(parent.size, parent.app.size)
    return content + styles.gutter.width + styles.margin.width
