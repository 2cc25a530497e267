"""Snapshots of the chart at 80x24 and 120x40: one patient with allergies, one never asked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from clinic_tui import i18n
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from tests.ui.chart_fixtures import fill_cache, fixed_clock
from tests.ui.chart_host import ChartHostApp
from tests.ui.pilot import settle

SnapCompare = Callable[..., bool]


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """A clinic cache holding the three fixture patients."""
    fill_cache(engine)
    return ClinicCache(engine)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("patient_id", ["p-allergic", "p-unrecorded"])
def test_chart(
    snap_compare: SnapCompare, cache: ClinicCache, patient_id: str, size: tuple[int, int]
) -> None:
    app = ChartHostApp(cache, patient_id, fixed_clock)
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_chart_in_chinese_at_80x24(snap_compare: SnapCompare, cache: ClinicCache) -> None:
    i18n.set_language("zh")
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)
