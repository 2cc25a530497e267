"""Keys that arrive in a burst land where the same keys typed slowly would land.

Textual 8.2 forwards each key to the widget focused *when the app reads it* and
posts it there; a key the widget does not use (Tab, Down, Enter on a form)
then bubbles up, one message queue at a time, until the app runs the binding
that moves the focus. A terminal delivers a burst (a card or barcode reader,
a paste, keys that queued up on a thin link) in one read, so the app forwards
every key of it before the first Tab has come back up: `1990-03-07<Tab>110...`
all lands in the birth date. `OrderedKeysApp` holds the keys of a burst and
forwards the next one only once the previous one has finished: it has bubbled
as far as it goes, and the messages and focus changes it caused have been
handled. A key typed alone goes straight through, as before.
"""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar

from textual import events
from textual.app import App, ReturnType
from textual.message import Message
from textual.timer import Timer


class KeyDone(Message):
    """Follows a forwarded key up the path it bubbles along; back at the app, the key is done."""

    def __init__(self, ticket: int, laps: int = 0, at_app: bool = False) -> None:
        super().__init__()
        self.ticket = ticket
        """Which forwarded key this follows (stale tickets are ignored)."""
        self.laps = laps
        """Extra trips made so far while the widgets were still busy."""
        self.at_app = at_app
        """True on the lap through the app's own queue (focus changes are queued there)."""


class OrderedKeysApp(App[ReturnType]):
    """An App that hands the keys of a burst to its widgets one finished key at a time."""

    MAX_LAPS: ClassVar[int] = 8
    """Extra trips behind a key while widgets still have messages (a ticking widget never
    goes quiet, so this bounds the wait)."""
    STUCK_SECONDS: ClassVar[float] = 0.3
    """If a key's follower is lost (its screen closed under it), the held keys go on after this."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: deque[events.Key | events.Paste] = deque()
        self._in_flight: int | None = None
        self._tickets = 0
        self._watchdog: Timer | None = None

    async def on_event(self, event: events.Event) -> None:
        """Keys and pastes from the terminal wait their turn; everything else is Textual's."""
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            self._held.append(event)
            if self._in_flight is None:
                await self._release()
            elif self._watchdog is None:
                self._arm_watchdog()
            return
        await super().on_event(event)

    async def _release(self) -> None:
        """Hand on held keys until one of them is forwarded to a widget (it is then in flight)."""
        while self._held and self._in_flight is None and not self._screen_settling():
            event = self._held.popleft()
            # Textual's own handling: priority bindings here, else forward to the focused widget.
            await super().on_event(event)
            if not event.is_forwarded:
                continue  # a priority binding took it: done already
            self._tickets += 1
            follower = KeyDone(self._tickets)
            if (self.focused or self.screen).post_message(follower):
                self._in_flight = self._tickets
                if self._held:
                    self._arm_watchdog()

    def _screen_settling(self) -> bool:
        """True while the screen in front still mounts what its keys depend on.

        A screen that completes itself after its first paint (the walk-in form's optional
        details) sets `holds_keys` until it is done, then calls `keys_may_go_on`: a burst
        typed the moment the form shows then lands as if typed later (a Tab that arrived
        during that mount was lost, and every key behind it).
        """
        return bool(getattr(self.screen, "holds_keys", False))

    async def keys_may_go_on(self) -> None:
        """The screen in front has settled: hand on the keys it held back."""
        if self._in_flight is None:
            await self._release()

    def _arm_watchdog(self) -> None:
        """Give the key in flight STUCK_SECONDS to come back before the held keys go on."""
        if self._watchdog is not None:
            self._watchdog.stop()
        self._watchdog = self.set_timer(self.STUCK_SECONDS, self.release_held_keys)

    async def on_key_done(self, message: KeyDone) -> None:
        """The key has finished bubbling: wait for what it set off, then hand on the next one."""
        message.stop()
        if message.ticket != self._in_flight:
            return
        if self._held and message.laps < self.MAX_LAPS:
            if not message.at_app:
                # A binding's focus change is a callback queued on the app: let it run first.
                self.post_message(KeyDone(message.ticket, message.laps, at_app=True))
                return
            target = self.focused or self.screen
            again = KeyDone(message.ticket, message.laps + 1)
            if self._widgets_busy() and target.post_message(again):
                return
        await self._land()

    def _widgets_busy(self) -> bool:
        """True while a widget of the screen has messages waiting (a Submitted, a Focus...)."""
        return any(node.message_queue_size for node in self.screen.walk_children(with_self=True))

    async def _land(self) -> None:
        self._in_flight = None
        if self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None
        await self._release()

    async def release_held_keys(self) -> None:
        """Hand on the held keys without waiting any longer for the key in flight."""
        self._watchdog = None
        if self._in_flight is not None:
            await self._land()
