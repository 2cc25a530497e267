"""ClinicApp: owns the services, wires the screens and global keys. Kept small on purpose."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from clinic_tui.config import Settings
from clinic_tui.i18n import tr
from clinic_tui.offline_cache.clinic_cache import ClinicCache


def local_now() -> datetime:
    """The wall clock in the machine's time zone (clinics read local time)."""
    return datetime.now().astimezone()


class ClinicApp(App[None]):
    """The clinician workstation."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "clinic-tui"
    BINDINGS = [
        Binding("ctrl+q", "quit", tr("Quit"), show=True, priority=True),
    ]

    def __init__(
        self,
        *,
        settings: Settings,
        cache: ClinicCache,
        clock: Callable[[], datetime] = local_now,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.cache = cache
        self.clock = clock
        """Source of 'now' for waiting times; tests pass a fixed clock."""

    def on_mount(self) -> None:
        """Open on today's queue."""
        from clinic_tui.screens.queue import QueueScreen

        self.sub_title = self.cache.clinic.name
        self.push_screen(QueueScreen(self.cache, clock=self.clock))
