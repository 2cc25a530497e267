"""The sign-in and lock screen: a whole screen over everything, with no patient data on it.

Shown at start when clinicians are registered on this workstation (`clinic-tui users
add`), and again after [security] idle_lock_minutes without a key. A clinician picks
themself from the list (or types their id or name to find it), types their PIN and gets
back to where the workstation was; another clinician may unlock it too, and what is
written from then on carries their id.

Each PIN goes to the SignInGate the app hands down: wrong PINs are counted in the data
folder, shared by every process (offline_cache/sign_in_attempts.py), and every try is
audited. The screen only says what became of it, and how long a lock-out still runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from clinic_tui.domain.pinyin import normalise_query, search_keys
from clinic_tui.i18n import tr
from clinic_tui.offline_cache.local_users import MIN_PIN, LocalUser
from clinic_tui.offline_cache.sign_in import SignInGate
from clinic_tui.offline_cache.sign_in_attempts import Attempt, SignInRecordError
from clinic_tui.widgets.data_text import data_text, name_text


def _who(user: LocalUser, gap: str = " ") -> Text:
    """A clinician's name and id, as Text."""
    return Text.assemble(name_text(user.name), f"{gap}(", data_text(user.practitioner_id), ")")


def wait_words(seconds: float) -> str:
    """A wait as a person reads it: "30 s", "2 min", "1 min 30 s" (rounded up to the second)."""
    whole = max(1, math.ceil(seconds))
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return tr("{seconds} s").format(seconds=rest)
    if not rest:
        return tr("{minutes} min").format(minutes=minutes)
    return tr("{minutes} min {seconds} s").format(minutes=minutes, seconds=rest)


def attempt_words(attempt: Attempt, name: str) -> str:
    """What the lock screen says after a try that did not sign in."""
    wait = wait_words(attempt.wait)
    if attempt.result == "refused":
        if attempt.scope == "workstation":
            return tr(
                "Too many wrong PINs on this workstation: wait {wait} before the next try."
            ).format(wait=wait)
        return tr(
            "Too many wrong PINs for {name}: wait {wait} before the next try; others may still "
            "sign in."
        ).format(name=name, wait=wait)
    if not attempt.locked_now:
        return tr("Wrong PIN for {name}. {left} more tries before a wait.").format(
            name=name, left=attempt.left
        )
    if attempt.scope == "workstation":
        return tr(
            "Wrong PIN for {name}. Too many wrong PINs on this workstation: wait {wait} before "
            "the next try."
        ).format(name=name, wait=wait)
    return tr(
        "Wrong PIN for {name}. Too many wrong PINs: {name} must wait {wait} before the next "
        "try; others may still sign in."
    ).format(name=name, wait=wait)


def match_user(users: list[LocalUser], query: str) -> int | None:
    """Index of the clinician `query` names: exact id, id start, name, id, pinyin; else None."""
    wanted = query.strip().casefold()
    if not wanted:
        return None
    ids = [user.practitioner_id.casefold() for user in users]
    names = [user.name.casefold() for user in users]
    tests: list[Callable[[int], bool]] = [
        lambda i: ids[i] == wanted,
        lambda i: ids[i].startswith(wanted),
        lambda i: wanted in names[i],
        lambda i: wanted in ids[i],
    ]
    for test in tests:
        for index in range(len(users)):
            if test(index):
                return index
    # Pinyin last: its tables load on first use, and only a Latin query can need it.
    if wanted.isascii():
        key = normalise_query(wanted)
        for index, user in enumerate(users):
            full, initials = search_keys(user.name)
            if key and (full.startswith(key) or initials.startswith(key)):
                return index
    return None


class LockScreen(Screen[LocalUser]):
    """Who is at the keyboard: dismissed with the clinician whose PIN was right."""

    DEFAULT_CSS = """
    LockScreen { align: center middle; }
    LockScreen #lock-box {
        width: 60; max-width: 100%; height: auto; border: heavy $primary; padding: 0 1;
    }
    LockScreen #lock-title { text-style: bold; width: 100%; content-align: center middle; }
    LockScreen OptionList { height: auto; max-height: 8; }
    LockScreen #lock-find-row { height: 1; }
    LockScreen #lock-find-row Label { width: auto; }
    /* One row, no border: the box must fit 24 lines with a long list of clinicians. */
    LockScreen #lock-find { border: none; height: 1; padding: 0 1; width: 1fr; }
    LockScreen #lock-message { height: auto; min-height: 1; }
    LockScreen #lock-keys { color: $text-muted; }
    """

    AUTO_FOCUS = "#lock-pin"
    """Textual focuses this as soon as the screen is composed, before its first key: a PIN
    typed straight after Ctrl+L (or at start-up) lands in the PIN field from its first digit,
    where a focus() from on_mount came one key late (that key went to the name search)."""

    BINDINGS = [
        Binding("escape", "clear", show=False),
        # Arrows choose the clinician from the PIN field too (an Input leaves them unused).
        Binding("up", "choose(-1)", show=False),
        Binding("down", "choose(1)", show=False),
        # Enter typed while the app was still starting went through the terminal's line mode,
        # which turns it into a newline (Ctrl+J): it still submits the field it was typed in.
        Binding("ctrl+j", "submit", show=False),
    ]

    def __init__(
        self,
        users: list[LocalUser],
        gate: SignInGate,
        *,
        idle_minutes: float | None = None,
        current: str | None = None,
        locked: bool = False,
    ) -> None:
        super().__init__()
        self.users = users
        self.gate = gate
        """Checks PINs against the count every process shares, and audits each try."""
        self.idle_minutes = idle_minutes
        self.current = current
        self.locked = locked or idle_minutes is not None
        """Someone was signed in (a lock), rather than the first sign-in of the day."""
        self.advice: str | None = None
        """What the app says once unlocked: a PIN from before the PIN rules should change."""

    def compose(self) -> ComposeResult:
        """A title, the clinicians, the PIN field and one line for what went wrong."""
        with Vertical(id="lock-box"):
            title = tr("Workstation locked") if self.locked else tr("Sign in")
            yield Label(title, id="lock-title")
            if self.idle_minutes is not None:
                minutes = f"{self.idle_minutes:g}"
                yield Static(
                    tr("Locked after {minutes} idle minutes. Patient data is hidden.").format(
                        minutes=minutes
                    )
                )
            yield Static(tr("Choose yourself, then type your PIN."))
            with Horizontal(id="lock-find-row"):
                yield Label(tr("Clinician (type an id or name):"))
                yield Input(placeholder=tr("id or name"), id="lock-find")
            chooser = OptionList(
                *[
                    # Text, never markup: a name is typed by whoever registered it.
                    Option(_who(user, "  "), id=user.practitioner_id)
                    for user in self.users
                ],
                id="lock-users",
            )
            # ↑↓ choose from either field, so Tab only goes between the PIN and the name
            # search, as the hint line says (a list in between made one Tab land anywhere).
            chooser.can_focus = False
            yield chooser
            yield Static("", id="lock-who")
            yield Label(tr("PIN"))
            yield Input(password=True, id="lock-pin")
            yield Static("", id="lock-message")
            yield Static(
                tr("Enter unlock · ↑↓ choose · Tab PIN/name · Ctrl+Q quit"),
                id="lock-keys",
            )

    def on_mount(self) -> None:
        """The last clinician is chosen already; the cursor waits in the PIN field."""
        chooser = self.query_one(OptionList)
        ids = [user.practitioner_id for user in self.users]
        chooser.highlighted = ids.index(self.current) if self.current in ids else 0

    def _pin(self) -> Input:
        return self.query_one("#lock-pin", Input)

    @on(OptionList.OptionSelected)
    def _chosen(self) -> None:
        self._pin().focus()

    @on(Input.Changed, "#lock-find")
    def _find(self, event: Input.Changed) -> None:
        """Each key typed in the find field moves the choice to the first clinician it fits."""
        query = event.value.strip()
        if not query:
            self._say("")
            return
        index = match_user(self.users, query)
        if index is None:
            if query.isdigit():
                # Likely a PIN typed in the wrong field: not echoed a second time.
                self._say(tr("No clinician has that id. PINs go in the PIN field."))
            else:
                self._say(tr("No clinician matches “{query}”.").format(query=query))
            return
        self._say("")
        self.query_one(OptionList).highlighted = index

    @on(Input.Submitted, "#lock-find")
    def _found(self) -> None:
        """Enter in the find field: on to the PIN (when it found someone)."""
        if match_user(self.users, self.query_one("#lock-find", Input).value.strip()) is not None:
            self._pin().focus()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        # Said in words: under NO_COLOR the list's highlight may not show.
        user = self.chosen()
        self.query_one("#lock-who", Static).update(Text.assemble("▶ ", _who(user)) if user else "")

    def chosen(self) -> LocalUser | None:
        """The clinician whose PIN will be checked."""
        index = self.query_one(OptionList).highlighted
        return self.users[index] if index is not None and self.users else None

    def action_choose(self, step: int) -> None:
        """Move the choice of clinician up or down."""
        chooser = self.query_one(OptionList)
        current = chooser.highlighted or 0
        chooser.highlighted = max(0, min(len(self.users) - 1, current + step))

    async def action_submit(self) -> None:
        """Ctrl+J does what Enter does in the focused field."""
        if isinstance(self.focused, Input):
            await self.focused.action_submit()

    def action_clear(self) -> None:
        """Esc empties the PIN field."""
        self._pin().value = ""

    def _say(self, text: str) -> None:
        # Text, not markup: the words carry a clinician's name, a query or a file path.
        self.query_one("#lock-message", Static).update(data_text(text))

    @on(Input.Submitted, "#lock-pin")
    def unlock(self) -> None:
        """Check the PIN of the chosen clinician; dismiss with them when it is right."""
        field = self._pin()
        pin = field.value
        field.value = ""  # never left in a widget a second longer than needed
        if not pin:
            self._say(tr("Type the PIN first."))
            return
        user = self.chosen()
        if user is None:
            return
        try:
            result = self.gate.sign_in(user, pin)
        except SignInRecordError as error:
            self._say(str(error))
            return
        if result.attempt.result != "signed_in":
            self._say(attempt_words(result.attempt, user.name))
            return
        if result.weak_pin:
            self.advice = tr(
                "{name}: your PIN is shorter than {n} characters or easy to guess. Please "
                "set a new one: clinic-tui users pin --practitioner-id {id}"
            ).format(name=user.name, n=MIN_PIN, id=user.practitioner_id)
        self.dismiss(user)
