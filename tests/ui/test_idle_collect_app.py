"""The running app collects the oldest GC generation at pauses, and gives it back on exit."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import upsert_resources
from tests.factories import CLINIC_ID, queue_day
from tests.ui.pilot import settle
from tests.ui.queue_app import Clock

pytestmark = pytest.mark.anyio


async def test_the_app_defers_full_collections_while_it_runs(tmp_path: Path) -> None:
    before = gc.get_threshold()
    engine = open_cache(tmp_path / "clinic.sqlite3")
    with engine.begin() as connection:
        upsert_resources(connection, queue_day())
    seconds = [1000.0]
    app = ClinicApp(
        settings=Settings(data_dir=tmp_path),
        cache=ClinicCache(engine, CLINIC_ID),
        clock=Clock(),
        idle_clock=lambda: seconds[0],
    )
    try:
        async with app.run_test() as pilot:
            await settle(pilot)
            assert app.collector.active
            assert gc.get_threshold()[2] > 10**8
            seconds[0] += 30
            await pilot.press("down")
            assert app.collector._last_input == seconds[0]  # a key is work, not a pause
        assert gc.get_threshold() == before
        assert not app.collector.active
    finally:
        gc.set_threshold(*before)
