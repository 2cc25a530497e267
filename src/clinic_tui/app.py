"""ClinicApp: owns the services, wires the screens and global keys. Kept small on purpose."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from textual import work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from clinic_tui.config import Settings
from clinic_tui.domain.models import Clinic
from clinic_tui.i18n import add_translations, tr
from clinic_tui.messages import CacheChanged, SyncCounts, SyncFinished, SyncProgress, SyncStarted
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.ordered_keys import OrderedKeysApp
from clinic_tui.widgets.notice_line import NoticeLine
from clinic_tui.widgets.sync_badge import SyncState

add_translations(
    {
        "Key": "按键",
        "Keys of this screen": "本屏快捷键",
        "Sync": "同步",
        "No server configured: run clinic-tui login --server URL": (
            "未配置服务器：请运行 clinic-tui login --server URL"
        ),
    }
)

NOTICES_KEPT = 50
"""Notices remembered in ClinicApp.notices."""

_NOT_COMMANDS = frozenset({"help", "palette", "app.focus_next", "app.focus_previous"})
"""Keys help lists that are no command to run from the palette."""

FIRST_SYNC_DELAY_SECONDS = 3.0
"""The first background sync waits this long, so start-up and the first screen never share the CPU
with it."""


def local_now() -> datetime:
    """The wall clock in the machine's time zone (clinics read local time)."""
    return datetime.now().astimezone()


class ClinicApp(OrderedKeysApp[None]):
    """The clinician workstation (keys of a burst land in order: see ordered_keys)."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "clinic-tui"
    BINDINGS = [
        Binding("ctrl+q", "quit", tr("Quit"), show=True, priority=True),
        # ctrl+s: the terminal's XOFF is off in Textual's raw mode, so it reaches the app;
        # forms that save with ctrl+s take it first. Before Help, so 80 columns show it.
        Binding("ctrl+s", "sync_now", tr("Sync"), show=True),
        Binding("question_mark", "help", tr("Help"), show=True),
        # F1 works where `?` cannot: in an input field, and in every dialog.
        Binding("f1", "help", tr("Help"), show=False, priority=True),
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

    def on_mount(self) -> None:
        """Open on today's queue, or on the triage inbox for a hospital expert."""
        self.sub_title = self.cache.clinic.name
        hospital = self._expert_hospital()
        if hospital is not None:
            from datetime import timedelta

            from clinic_tui.screens.triage import TriageScreen

            limit = timedelta(hours=self.settings.urgent_sla_hours)
            self.push_screen(TriageScreen(self.cache, self.clock, hospital, limit))
        else:
            from clinic_tui.screens.queue import QueueScreen

            self.push_screen(QueueScreen(self.cache, clock=self.clock))
        if self.settings.server_url and self.auto_sync:
            self.set_timer(FIRST_SYNC_DELAY_SECONDS, self._sync_on_interval)
            self.set_interval(self.settings.sync_interval_seconds, self._sync_on_interval)

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
            )
        )

    def on_sync_started(self, _message: SyncStarted) -> None:
        """The badge says a round is under way."""
        self.sync_state = replace(
            self.sync_state, syncing=True, phase=None, percent=None, resource_type=None
        )

    def on_sync_progress(self, message: SyncProgress) -> None:
        """The badge follows the round's phase and percentage."""
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
            error=message.error,
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

    def action_help(self) -> None:
        """Show the keys of the screen in front (a dialog's own, when a dialog is open)."""
        from clinic_tui.screens.help import HelpScreen, key_sections

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(key_sections(self.screen), title=tr("Keys of this screen")))

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
        line has a row of its own. Thread-safe, as Textual's notify is.
        """
        if threading.get_ident() != self._thread_id:
            self.call_from_thread(
                self.notify, message, title=title, severity=severity, timeout=timeout
            )
            return
        self.notices.append(f"{title}: {message}" if title else message)
        line = self._notice_line()
        if line is None:
            super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
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
