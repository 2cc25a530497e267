"""ClinicApp: owns the services, wires the screens and global keys. Kept small on purpose."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import events, work
from textual._path import CSSPathType
from textual.app import SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widget import AwaitMount
from textual.worker import Worker, WorkerState

from clinic_tui.config import Settings
from clinic_tui.domain.models import Clinic
from clinic_tui.domain.untrusted import clean, clean_line
from clinic_tui.i18n import tr
from clinic_tui.idle_collect import IdleCollector
from clinic_tui.messages import CacheChanged, SyncCounts, SyncFinished, SyncProgress, SyncStarted
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.local_users import LocalUser
from clinic_tui.offline_cache.sign_in import SignInGate
from clinic_tui.offline_cache.sign_in_attempts import SignInAttempts
from clinic_tui.offline_cache.sign_in_audit import SignInAudit
from clinic_tui.ordered_keys import OrderedKeysApp
from clinic_tui.widgets.notice_line import NoticeLine
from clinic_tui.widgets.sync_badge import SyncState

NOTICES_KEPT = 50
NOTICE_LIMIT = 2_000
"""Characters of a notice or toast (it may quote data: a name, a server's error)."""
TITLE_NAME_LIMIT = 80
"""Characters of the clinic's and the clinician's names in the app's sub-title."""
"""Notices remembered in ClinicApp.notices."""

_NOT_COMMANDS = frozenset({"help", "palette", "app.focus_next", "app.focus_previous"})
"""Keys help lists that are no command to run from the palette."""

IDLE_CHECK_SECONDS = 15.0
"""How often the app looks whether it has been idle long enough to lock."""

_ACTIVITY = (
    events.Key,
    events.MouseDown,
    events.MouseScrollDown,
    events.MouseScrollUp,
    events.Paste,
)
"""What counts as someone at the workstation (a mouse merely passing over does not)."""

_WHILE_LOCKED = frozenset({"quit", "focus_next", "focus_previous"})
"""The app actions the lock screen lets through (quit, Tab between its own fields): no help,
palette or sync over it."""

FIRST_SYNC_DELAY_SECONDS = 3.0
"""The first background sync waits this long, so start-up and the first screen never share the CPU
with it."""


LOW_BANDWIDTH_PERCENT_STEP = 10
"""With --low-bandwidth the badge's percentage moves in steps of this many points: each
move is a repaint sent down the link, and a round reports progress page by page."""


def _badge_moves(state: SyncState, message: SyncProgress) -> bool:
    """Whether `message` changes the badge enough to be worth a repaint on a thin link."""
    if (state.phase, state.resource_type) != (message.phase, message.resource_type):
        return True
    new, old = message.percent, state.percent
    if new is None or old is None:
        return new != old
    return new == 100 or abs(new - old) >= LOW_BANDWIDTH_PERCENT_STEP


def _holds_unsaved_input(screen: Screen[Any]) -> bool:
    """A chart form with edits, or a prescription with lines in its basket."""
    # Duck-typed: the app imports no form screen at start-up (see test_first_screen_imports).
    if getattr(screen, "changed", False) is True:
        return True
    basket = getattr(screen, "basket", None)
    return bool(getattr(basket, "lines", None))


def _sign_in_gate(settings: Settings, cache: ClinicCache, clock: Callable[[], float]) -> SignInGate:
    """The sign-in service of this data folder and cache."""
    audit = SignInAudit(cache.path, cache.clinic.id or None, cache.clinic.name, clock)
    return SignInGate(SignInAttempts(settings.data_dir, clock), audit)


def local_now() -> datetime:
    """The wall clock in the machine's time zone (clinics read local time)."""
    return datetime.now().astimezone()


class ClinicApp(OrderedKeysApp[None]):
    """The clinician workstation (keys of a burst land in order: see ordered_keys)."""

    # The screens' own stylesheets are read with the app's, at start-up: a screen's CSS_PATH
    # read on its first push re-parsed every stylesheet and restyled every widget of the
    # app, ~50 ms of CPU of a first order screen or walk-in search on the 2-core machine.
    # Each file's rules name their own screen, so no screen looks different before then.
    CSS_PATH: ClassVar[CSSPathType | None] = [
        Path(__file__).with_name("app.tcss"),
        *(
            Path(__file__).with_name("screens") / f"{name}.tcss"
            for name in ("chart", "prescription", "patient_search", "conflicts")
        ),
    ]
    TITLE = "clinic-tui"
    BINDINGS = [
        Binding("ctrl+q", "quit", tr("Quit"), show=True, priority=True),
        # ctrl+s: the terminal's XOFF is off in Textual's raw mode, so it reaches the app;
        # forms that save with ctrl+s take it first. Before Help, so 80 columns show it.
        Binding("ctrl+s", "sync_now", tr("Sync"), show=True),
        Binding("question_mark", "help", tr("Help"), show=True),
        # F1 works where `?` cannot: in an input field, and in every dialog.
        Binding("f1", "help", tr("Help"), show=False, priority=True),
        # Leaving the desk: lock now rather than after the idle minutes (with sign-in only).
        # Priority: a form or dialog (a modal screen) hides the app's other keys.
        Binding("ctrl+l", "lock", tr("Lock the workstation"), show=False, priority=True),
    ]

    sync_state: reactive[SyncState] = reactive(SyncState, init=False)
    """What the sync badges on every screen show."""

    def __init__(
        self,
        *,
        settings: Settings,
        cache: ClinicCache,
        clock: Callable[[], datetime] = local_now,
        auto_sync: bool = True,
        users: list[LocalUser] | None = None,
        idle_clock: Callable[[], float] = time.monotonic,
        sign_in_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.cache = cache
        self.clock = clock
        """Source of 'now' for waiting times; tests pass a fixed clock."""
        self.auto_sync = auto_sync
        """Sync on an interval when a server is configured (tests sync on demand only)."""
        self.set_reactive(ClinicApp.sync_state, SyncState(server=bool(settings.server_url)))
        self._sync_cancel = threading.Event()
        self._sync_worker: Worker[None] | None = None
        self._sync_again = False
        self.notices: deque[str] = deque(maxlen=NOTICES_KEPT)
        """What the app last said to the user (notice line or toast), newest last."""
        if settings.low_bandwidth:
            # Every animation frame and cursor blink is a repaint sent down the link.
            self.animation_level = "none"
        self.users = list(users or [])
        """Clinicians registered on this workstation; none = no sign-in and no idle lock."""
        self.idle_clock = idle_clock
        """Monotonic seconds for the idle lock (tests move it)."""
        self.signed_in: LocalUser | None = None
        """The clinician at the keyboard (their id goes on what they write)."""
        self.locked = False
        """True while the lock screen covers everything."""
        self._last_activity = idle_clock()
        self.sign_in_gate = _sign_in_gate(settings, cache, sign_in_clock)
        """PIN checks against the wrong-PIN count in the data folder, shared by every process
        (a `serve` tab, a restart), each try audited in the cache; wall-clock seconds."""
        self.collector = IdleCollector(clock=idle_clock)
        """Full garbage collections at the clinician's pauses, not on a keystroke."""

    async def on_mount(self) -> None:
        """Open on today's queue, or on the triage inbox for a hospital expert."""
        self.sub_title = clean_line(self.cache.clinic.name, TITLE_NAME_LIMIT)
        self.collector.start(asyncio.get_running_loop())
        hospital = self._expert_hospital()
        if hospital is not None:
            from datetime import timedelta

            from clinic_tui.referral.reads import InboxReader
            from clinic_tui.screens.triage import TriageScreen

            sla = timedelta(hours=self.settings.urgent_sla_hours)
            inbox = InboxReader(self.cache.path, hospital.id)
            self.push_screen(TriageScreen(self.cache, self.clock, hospital, sla, inbox))
        else:
            from clinic_tui.screens.queue import QueueScreen

            self.push_screen(QueueScreen(self.cache, clock=self.clock))
        if self.users:
            # Awaited: keys typed while the app starts are read after this, into the PIN field.
            await self.lock(idle=False)
            limit = self.settings.idle_lock_minutes * 60
            if limit > 0:
                self.set_interval(
                    min(IDLE_CHECK_SECONDS, max(1.0, limit / 4)), self.check_idle_lock
                )
        if self.settings.server_url and self.auto_sync:
            self.set_timer(FIRST_SYNC_DELAY_SECONDS, self._sync_on_interval)
            self.set_interval(self.settings.sync_interval_seconds, self._sync_on_interval)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """On a thin link a focused field's cursor stays lit: each blink is a repaint."""
        # Input, TextArea and any other widget with a blinking cursor (duck-typed, so the
        # start-up does not import TextArea for this).
        if self.settings.low_bandwidth and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False

    # ----- sign-in and idle lock --------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Every key or click while unlocked restarts the idle count."""
        if isinstance(event, _ACTIVITY):
            self.collector.touched()
            if not self.locked:
                self._last_activity = self.idle_clock()
        await super().on_event(event)

    def on_unmount(self) -> None:
        """Give garbage collection back to CPython (tests run many apps in one process)."""
        self.collector.stop()

    def check_idle_lock(self) -> None:
        """Lock when nobody has touched the workstation for [security] idle_lock_minutes."""
        limit = self.settings.idle_lock_minutes * 60
        idle = self.idle_clock() - self._last_activity
        if self.users and not self.locked and 0 < limit <= idle:
            self.lock(idle=True)

    def lock(self, *, idle: bool = True) -> AwaitMount:
        """Cover everything with the lock screen until a registered clinician's PIN is typed."""
        from clinic_tui.screens.lock import LockScreen

        self.locked = True
        self.clear_notifications()  # a toast may name a patient: none shows over the lock
        current = self.signed_in.practitioner_id if self.signed_in else None
        screen = LockScreen(
            self.users,
            self.sign_in_gate,
            idle_minutes=self.settings.idle_lock_minutes if idle else None,
            current=current,
            locked=current is not None,
        )

        def unlocked(user: LocalUser | None) -> None:
            self._unlocked(user)
            if user is not None and screen.advice:
                self.notify(screen.advice, severity="warning", timeout=20, markup=False)

        return self.push_screen(screen, unlocked)

    async def action_lock(self) -> None:
        """Ctrl+L: lock now (where clinicians are registered; else there is no one to unlock)."""
        if self.users and not self.locked:
            # Awaited, so the keys typed after Ctrl+L (held by OrderedKeysApp) go on only once
            # the PIN field has the focus: else a key read with Ctrl+L reached a screen with
            # nothing focused yet and was lost, and the PIN was checked without its first digit.
            await self.lock(idle=False)

    def _unlocked(self, user: LocalUser | None) -> None:
        if user is None:
            return
        previous = self.signed_in
        self.signed_in = user
        self.cache.sign_in(user.practitioner_id, user.name)
        self.locked = False
        if previous is not None and previous.practitioner_id != user.practitioner_id:
            # What is saved is written under whoever is signed in at the save: a form the
            # last clinician left open would go out under this one's name.
            self._close_work_of(previous)
        self._last_activity = self.idle_clock()
        self.sub_title = clean_line(f"{self.cache.clinic.name} · {user.name}", 2 * TITLE_NAME_LIMIT)

    def _close_work_of(self, previous: LocalUser) -> None:
        """Close every screen above the first one (queue or inbox), unsaved input and all."""
        # The lock screen is off the stack already (Textual pops before the callback runs).
        above = self.screen_stack[2:]
        if not above:
            return
        unsaved = any(_holds_unsaved_input(screen) for screen in above)
        for _screen in above:
            # pop_screen, not dismiss: no form's callback may act on a result nobody chose.
            self.pop_screen()
        if unsaved:
            words = tr("{name}'s unsaved form was closed")
        else:
            words = tr("{name}'s open screens were closed")
        self.notify(words.format(name=previous.name), severity="warning", timeout=15)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While locked, only quitting: help, the palette or a sync would show through."""
        if self.locked and action not in _WHILE_LOCKED:
            return False
        if action == "lock" and not self.users:
            return False  # no one could unlock it: no key in help or the palette
        return super().check_action(action, parameters)

    def _expert_hospital(self) -> Clinic | None:
        """The hospital whose inbox this workstation opens on; None opens the queue.

        `--role expert` (or [clinic] role) opens the inbox of the clinic's hospital (the
        clinic itself, else the hospital it belongs to); with no role set, a clinic that is
        a hospital opens its inbox.
        """
        from clinic_tui.offline_cache.cache_file import connect
        from clinic_tui.referral.inbox import is_hospital, resolve_hospital

        role = self.settings.role
        if role == "clinic":
            return None
        with connect(self.cache.path) as connection:
            if role is None and not is_hospital(connection, self.cache.clinic.id):
                return None
            hospital_id = resolve_hospital(connection, self.cache.clinic.id)
            if hospital_id is None:
                return Clinic(id="", name="—") if role == "expert" else None
            row = connection.execute(
                "SELECT name FROM organization WHERE id = ?", (hospital_id,)
            ).fetchone()
        return Clinic(id=hospital_id, name=str(row["name"]) if row else hospital_id)

    # ----- background sync -------------------------------------------------------------------

    def action_sync_now(self) -> None:
        """Sync with the server in the background; a request during a round runs one more after."""
        if not self.settings.server_url:
            self.notify(tr("No server configured: run clinic-tui login --server URL"), timeout=6)
            return
        if self._sync_worker is not None and not self._sync_worker.is_finished:
            self._sync_again = True
            return
        self._sync_worker = self._sync_round()

    def _sync_on_interval(self) -> None:
        # A round still running when the interval comes round is enough: no queued repeat.
        if self._sync_worker is None or self._sync_worker.is_finished:
            self.action_sync_now()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync")
    def _sync_round(self) -> None:
        """One round: upload, download; results come back as messages, never as exceptions."""
        from clinic_tui.commands.connection import open_client
        from clinic_tui.sync.session import sync_round

        self.post_message(SyncStarted())

        def progress(report: Any) -> None:
            self.post_message(
                SyncProgress(
                    report.phase,
                    report.done,
                    report.total,
                    resource_type=report.resource_type,
                    text=report.message,
                )
            )

        clinic_id = self.settings.clinic_id or self.cache.clinic.id or None
        result = sync_round(
            self.cache.engine,
            self.settings,
            clinic_id=clinic_id,
            client_factory=open_client,
            progress=progress,
            cancel=self._sync_cancel,
        )
        # A round that ran but failed on some pages or records is not 'synced': say the first.
        error = result.error or (result.problems[0] if result.problems else None)
        self.post_message(
            SyncFinished(
                finished_at=self.clock() if error is None else None,
                error=error,
                changed=result.changed,
                complete=result.complete,
                pending=self.cache.pending_changes(),
                conflicts=self.cache.open_conflicts(),
                rejected=result.rejected,
                busy=result.busy,
            )
        )

    def on_sync_started(self, _message: SyncStarted) -> None:
        """The badge says a round is under way."""
        self.sync_state = replace(
            self.sync_state, syncing=True, phase=None, percent=None, resource_type=None
        )

    def on_sync_progress(self, message: SyncProgress) -> None:
        """The badge follows the round's phase and percentage (on a thin link, in steps)."""
        if self.settings.low_bandwidth and not _badge_moves(self.sync_state, message):
            return
        self.sync_state = replace(
            self.sync_state,
            syncing=True,
            phase=message.phase,
            percent=message.percent,
            resource_type=message.resource_type,
        )

    def on_sync_finished(self, message: SyncFinished) -> None:
        """Show how the round ended; the visible screen re-reads when records changed."""
        state = self.sync_state
        self.sync_state = replace(
            state,
            syncing=False,
            phase=None,
            percent=None,
            resource_type=None,
            # Skipped for another process's round: what the last round of ours said stands.
            error=state.error if message.busy else message.error,
            busy=message.busy,
            last_synced=message.finished_at or state.last_synced,
            today=self.clock().date(),
            pending=state.pending if message.pending is None else message.pending,
            conflicts=state.conflicts if message.conflicts is None else message.conflicts,
            rejected=message.rejected,
        )
        if message.error and message.error != state.error:
            # The badge has room for the start of a reason; say it whole once.
            self.notify(f"{tr('Sync failed')}: {message.error}", severity="error", timeout=10)
        if message.changed:
            self.screen.post_message(CacheChanged())

    def on_sync_counts(self, message: SyncCounts) -> None:
        """Fresh counts from a screen's read of the cache."""
        state = self.sync_state
        last = state.last_synced
        if last is None and message.last_synced is not None:
            # What the cache recorded before this session (a scheduled `clinic-tui sync`);
            # once the app has synced, its own rounds tell the time.
            last = message.last_synced.astimezone(self.clock().tzinfo)
        self.sync_state = replace(
            state,
            pending=state.pending if message.pending is None else message.pending,
            conflicts=state.conflicts if message.conflicts is None else message.conflicts,
            last_synced=last,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A round that failed unexpectedly shows on the badge (never a crash); then any
        request made during the round runs."""
        if event.worker.group != "sync" or not event.worker.is_finished:
            return
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            from clinic_tui.sync.session import short_reason

            self.post_message(SyncFinished(error=short_reason(event.worker.error)))
        if self._sync_again and not self._sync_cancel.is_set():
            self._sync_again = False
            self.action_sync_now()

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """Tell a running sync to stop at its next checkpoint, then leave."""
        self._sync_cancel.set()
        super().exit(*args, **kwargs)

    def _fatal_error(self) -> None:
        """An unexpected error: IT gets a redacted report, the terminal a short one.

        Textual's own report prints every frame's local variables, where a server token or
        a patient's record may sit (and, served to a browser, travels over the wire).
        """
        from rich.text import Text

        from clinic_tui.crash_report import crash_text, write_crash_report

        error = self._exception
        if error is None:
            super()._fatal_error()
            return
        self.bell()
        log = write_crash_report(error)
        report = crash_text(error).rstrip().splitlines()[-1]
        message = tr(
            "clinic-tui stopped on an unexpected error ({error}); details written to {log}"
        ).format(error=report, log=log)
        self._exit_renderables.append(Text(message))
        self._close_messages_no_wait()

    def action_help(self) -> None:
        """Show the keys of the screen in front (a dialog's own, when a dialog is open)."""
        from clinic_tui.screens.help import HelpScreen, key_sections

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(key_sections(self.screen), title=tr("Keys of this screen")))

    def action_command_palette(self) -> None:
        """Show the command palette, its prompt in the session's language."""
        from clinic_tui.widgets.command_palette import TranslatedCommandPalette

        if self.use_command_palette and not self.screen.has_class("--textual-command-palette"):
            self.push_screen(TranslatedCommandPalette())

    def key_question_mark(self) -> None:
        """`?` in a dialog: a dialog passes on no app key, so an unhandled `?` lands here.

        A `?` typed into an input field is text and never reaches this.
        """
        self.action_help()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette lists the app's own commands on the screen it was opened from, each with
        its key; none of Textual's (theme, screenshot, key panel, a second Quit)."""
        from clinic_tui.screens.help import key_sections

        for section in key_sections(screen):
            if section.kind == "moving":
                continue
            for line in section.lines:
                if not line.bindings or line.action in _NOT_COMMANDS:
                    continue
                active = screen.active_bindings.get(line.bindings[0].key)
                node = active.node if active is not None else self
                run = partial(self.run_action, line.action, node)
                yield SystemCommand(line.description, f"{tr('Key')}: {line.key_text}", run)
        yield SystemCommand(tr("Help"), f"{tr('Key')}: ? / F1", self.action_help)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Say `message` on the visible screen's notice line; a toast only where there is none.

        A toast floats over the bottom rows (the queue's priorities and statuses); a notice
        line has a row of its own. Thread-safe, as Textual's notify is. A message often holds
        data (a patient's name, a server's error): it is never markup, whatever `markup` says,
        and its controls are made visible.
        """
        if threading.get_ident() != self._thread_id:
            self.call_from_thread(
                self.notify, message, title=title, severity=severity, timeout=timeout
            )
            return
        message = clean(str(message), NOTICE_LIMIT)
        title = clean_line(str(title), NOTICE_LIMIT)
        self.notices.append(f"{title}: {message}" if title else message)
        if self.locked:
            return  # kept in self.notices; nothing about patients over the lock screen
        line = self._notice_line()
        if line is None:
            super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)
            return
        text = f"{title}: {message}" if title else message
        line.show(text, severity, self.NOTIFICATION_TIMEOUT if timeout is None else timeout)

    def _notice_line(self) -> NoticeLine | None:
        """The notice line of the screen in front, or of the screen a dialog is open over."""
        for screen in reversed(self.screen_stack):
            lines = screen.query(NoticeLine)
            if lines:
                line: NoticeLine = lines.first()
                return line
            if not isinstance(screen, ModalScreen):
                break
        return None
