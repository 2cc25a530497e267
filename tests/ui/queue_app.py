"""Build a ClinicApp over this morning's queue (tests.factories.queue_day) with a settable clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import upsert_resources
from tests.factories import CLINIC_ID, QUEUE_NOW, queue_day


class Clock:
    """A fixed clock a test can move forward."""

    def __init__(self, now: datetime = QUEUE_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: int) -> None:
        """Move 'now' on by `minutes`."""
        self.now += timedelta(minutes=minutes)


def queue_app(folder: Path, clock: Clock | None = None) -> ClinicApp:
    """A ClinicApp on a fresh cache in `folder` holding the fixture queue."""
    engine = open_cache(folder / "clinic.sqlite3")
    with engine.begin() as connection:
        upsert_resources(connection, queue_day())
    cache = ClinicCache(engine, CLINIC_ID)
    return ClinicApp(settings=Settings(data_dir=folder), cache=cache, clock=clock or Clock())
