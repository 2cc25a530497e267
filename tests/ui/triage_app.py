"""A ClinicApp opened as the hospital expert on a small demo cache (fixed clock and seed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.demo.generator import generate_demo_clinic
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.engine import open_cache
from tests.ui.queue_app import Clock

TRIAGE_NOW = datetime(2026, 3, 9, 10, 30, tzinfo=timezone(timedelta(hours=8)))
"""The demo's 'now' and the app's clock: every wait and SLA timer is the same each run."""


def triage_app(folder: Path, patients: int = 100, **settings: object) -> ClinicApp:
    """A ClinicApp with --role expert on a fresh demo cache of `patients` in `folder`."""
    engine = open_cache(folder / "clinic.sqlite3")
    generate_demo_clinic(engine, patients=patients, seed=8, now=TRIAGE_NOW, workers=0)
    cache = ClinicCache(engine)
    chosen = replace(Settings(data_dir=folder, role="expert"), **settings)  # type: ignore[arg-type]
    return ClinicApp(settings=chosen, cache=cache, clock=Clock(TRIAGE_NOW), auto_sync=False)
