"""Snapshots of the conflicts screen and of the queue heading with the sync badge, at 80x24.

Update with `pytest tests/ui/test_sync_snapshots.py --snapshot-update`, then look at
the SVGs in tests/ui/__snapshots__/ before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.messages import SyncFinished, SyncProgress, SyncStarted
from tests.factories import QUEUE_NOW
from tests.ui.conflict_fixtures import make_conflicts, make_delete_conflicts
from tests.ui.pilot import settle
from tests.ui.queue_app import queue_app

SnapCompare = Callable[..., bool]


def app_with_conflicts(tmp_path: Path) -> ClinicApp:
    """The queue app, a server configured (no automatic sync), two conflicts recorded."""
    base = queue_app(tmp_path)
    make_conflicts(base.cache.engine)
    settings = Settings(data_dir=tmp_path, server_url="https://fhir.example.org/fhir")
    return ClinicApp(settings=settings, cache=base.cache, clock=base.clock, auto_sync=False)


async def open_conflicts(pilot: Pilot[Any]) -> None:
    """Open the conflicts screen from the queue."""
    await settle(pilot)
    await pilot.press("c")
    await settle(pilot)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_conflicts_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    i18n.set_language(language)
    app = app_with_conflicts(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_conflicts)


def app_with_delete_conflicts(tmp_path: Path) -> ClinicApp:
    """The queue app, a server configured, a deleted-on-server and a deleted-here conflict."""
    base = queue_app(tmp_path)
    make_delete_conflicts(base.cache.engine)
    settings = Settings(data_dir=tmp_path, server_url="https://fhir.example.org/fhir")
    return ClinicApp(settings=settings, cache=base.cache, clock=base.clock, auto_sync=False)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_conflicts_screen_with_a_deleted_record(
    snap_compare: SnapCompare, tmp_path: Path, language: str
) -> None:
    i18n.set_language(language)
    app = app_with_delete_conflicts(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_conflicts)


async def after_a_sync_with_conflicts(pilot: Pilot[Any]) -> None:
    """A round that ended at 09:58 leaving the two conflicts."""
    await settle(pilot)
    finished = QUEUE_NOW.replace(hour=9, minute=58)
    pilot.app.post_message(SyncFinished(finished_at=finished, pending=2, conflicts=2))
    await settle(pilot)


async def while_uploading(pilot: Pilot[Any]) -> None:
    """A round in its upload phase, 45% done."""
    await settle(pilot)
    pilot.app.post_message(SyncStarted())
    pilot.app.post_message(SyncProgress("upload", 9, 20))
    await settle(pilot)


@pytest.mark.parametrize(
    "run_before", [after_a_sync_with_conflicts, while_uploading], ids=["conflicts", "syncing"]
)
def test_queue_heading_with_the_badge(
    snap_compare: SnapCompare, tmp_path: Path, run_before: Callable[[Pilot[Any]], Any]
) -> None:
    app = app_with_conflicts(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
