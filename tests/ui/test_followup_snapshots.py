"""Snapshots of the follow-up screens at 80x24: the 随访 form (English and Chinese)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from clinic_tui import i18n
from clinic_tui.followup.model import Control, Programme
from tests.ui.followup_host import FormHostApp, Recorder, earlier_visit, form_data
from tests.ui.pilot import settle

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
