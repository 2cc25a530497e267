"""Snapshots of the follow-up screens at 80x24: the list and the 随访 form (English, Chinese)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.widgets import Input

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.followup.model import Control, Programme
from tests.ui.chart_fixtures import fixed_clock
from tests.ui.followup_fixtures import followup_cache
from tests.ui.followup_host import FormHostApp, Recorder, earlier_visit, form_data
from tests.ui.pilot import press, settle

SnapCompare = Callable[..., bool]


async def _uncontrolled(pilot: Pilot[Any]) -> None:
    """A second uncontrolled blood pressure typed: the form proposes a referral."""
    await settle(pilot)
    screen = pilot.app.screen
    screen.query_one("#systolic", Input).value = "172"
    screen.query_one("#diastolic", Input).value = "104"
    screen.query_one("#systolic", Input).focus()
    await settle(pilot)


def test_follow_up_form_at_80x24(snap_compare: SnapCompare) -> None:
    data = form_data(previous=(earlier_visit(Control.UNSATISFACTORY),))
    app = FormHostApp(data, Recorder())
    assert snap_compare(app, terminal_size=(80, 24), run_before=_uncontrolled)


def test_follow_up_form_in_chinese_with_diabetes_at_80x24(snap_compare: SnapCompare) -> None:
    i18n.set_language("zh")
    data = form_data((Programme.HYPERTENSION, Programme.DIABETES))
    app = FormHostApp(data, Recorder())
    assert snap_compare(app, terminal_size=(80, 24), run_before=_uncontrolled)


async def _open_list(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await press(pilot, "v")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_follow_up_list_at_80x24(snap_compare: SnapCompare, engine: Engine, lang: str) -> None:
    i18n.set_language(lang)
    cache = followup_cache(engine)
    app = ClinicApp(
        settings=Settings(data_dir=cache.path.parent), cache=cache, clock=fixed_clock,
        auto_sync=False,
    )  # fmt: skip
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open_list)
