"""A dropdown that answers a typed letter while closed, so no key typed on it is lost."""

from __future__ import annotations

from collections.abc import Iterable

from textual import events

from clinic_tui.widgets.lazy_select import LazySelect


def _first_letter(label: str) -> str:
    """The first letter or digit of a label ('!!! Emergency' -> 'e')."""
    return next((char for char in label.casefold() if char.isalnum()), "")


class KeySelect(LazySelect[str]):
    """A Select on which a letter picks the next choice whose label or code starts with it.

    A key no choice starts with opens the list instead of vanishing: the person sees
    the choices and goes on from there. Codes count too, so `f` picks 女 (female).
    Its list is built on first open (LazySelect), so a closed one is cheap to mount.
    """

    def __init__(self, options: Iterable[tuple[str, str]], **kwargs: object) -> None:
        choices = list(options)
        super().__init__(choices, **kwargs)  # type: ignore[arg-type]
        self._choices = choices

    def _matching(self, character: str) -> list[str]:
        wanted = character.casefold()
        return [
            value
            for label, value in self._choices
            if _first_letter(label) == wanted or value.casefold().startswith(wanted)
        ]

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        """A printable key is this widget's while the list is closed."""
        return not self.expanded and character is not None and character.isprintable()

    async def _on_key(self, event: events.Key) -> None:
        if self.expanded or event.character is None or not event.is_printable:
            return
        if event.character == " ":
            return  # space opens the list (Select's own binding)
        event.stop()
        event.prevent_default()
        found = self._matching(event.character)
        if not found:
            self.expanded = True
            return
        # A second press of the same letter moves on to the next choice starting with it.
        current = self.value if isinstance(self.value, str) else None
        after = found.index(current) + 1 if current in found else 0
        self.value = found[after % len(found)]
