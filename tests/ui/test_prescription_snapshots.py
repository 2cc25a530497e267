"""Snapshots of the order screen: a line with its allergy warning at 80x24, and in Chinese at
120x40 with the override dialog open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot

# Imported before any test sets Chinese: key labels are made at import, so the snapshot
# does not depend on which test of this worker imported the screens first.
import clinic_tui.screens.prescription
import clinic_tui.screens.prescription_dialogs  # noqa: F401
from clinic_tui import i18n
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from tests.ui.chart_fixtures import fill_cache, fixed_clock
from tests.ui.chart_host import ChartHostApp
from tests.ui.pilot import press, settle, type_text

SnapCompare = Callable[..., bool]


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """The fixture patients; p-allergic (penicillin anaphylaxis) is in today's queue."""
    fill_cache(engine)
    return ClinicCache(engine)


async def _a_line_with_its_warning(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await press(pilot, "m")
    await type_text(pilot, "amox 500mg po tid 5d")
    await press(pilot, "enter", "down")


async def _the_override_dialog(pilot: Pilot[Any]) -> None:
    await _a_line_with_its_warning(pilot)
    await press(pilot, "s")


def test_a_line_and_its_warning_at_80x24(snap_compare: SnapCompare, cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_a_line_with_its_warning)


def test_the_override_dialog_in_chinese_at_120x40(
    snap_compare: SnapCompare, cache: ClinicCache
) -> None:
    i18n.set_language("zh")
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_the_override_dialog)
