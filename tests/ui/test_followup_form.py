"""The 随访 form under Pilot: live classification, the next date, phone values, saving."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from clinic_tui.followup.model import Control, FollowUpValues, Programme, VisitMode
from clinic_tui.screens.followup_form import FollowUpForm
from tests.ui.chart_fixtures import NOW
from tests.ui.followup_host import FormHostApp, Recorder, earlier_visit, form_data
from tests.ui.pilot import press, settle, type_text

pytestmark = pytest.mark.anyio


def _text(widget: Static) -> str:
    console = Console(width=300, color_system=None)
    with console.capture() as capture:
        console.print(widget.content)
    return " ".join(capture.get().split())


async def _type_into(pilot: Pilot[Any], field: str, value: str) -> None:
    form = pilot.app.screen
    assert isinstance(form, FollowUpForm)
    form.query_one(f"#{field}", Input).focus()
    await type_text(pilot, value)


async def test_an_uncontrolled_bp_shows_unsatisfactory_with_its_reason_and_two_weeks() -> None:
    app = FormHostApp(form_data(), Recorder())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FollowUpForm)
        await _type_into(pilot, "systolic", "168")
        await _type_into(pilot, "diastolic", "102")
        shown = _text(form.query_one("#classification", Static))
        assert "! Unsatisfactory" in shown
        assert "140/90" in shown  # the reason names the target it missed
        assert "Referral" not in shown  # the first unsatisfactory visit: see again, no referral
        assert form.query_one("#next-due", Input).value == "2026-12-08"  # two weeks
        await _type_into(pilot, "systolic", "\b\b\b128")
        await _type_into(pilot, "diastolic", "\b\b\b\b78")
        shown = _text(form.query_one("#classification", Static))
        assert shown.startswith("Satisfactory")
        assert form.query_one("#next-due", Input).value > "2027-01-01"  # a routine interval


async def test_a_second_uncontrolled_visit_proposes_a_referral_with_the_values() -> None:
    save = Recorder()
    app = FormHostApp(form_data(previous=(earlier_visit(Control.UNSATISFACTORY),)), save)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FollowUpForm)
        await _type_into(pilot, "systolic", "172")
        await _type_into(pilot, "diastolic", "104")
        assert "!! Referral proposed" in _text(form.query_one("#classification", Static))
        await press(pilot, "ctrl+s")
        assert app.closed
        assert app.closed[0] is not None
        assert "Unsatisfactory" in app.closed[0]
        assert any("172/104" in line for line in form.referral_lines)
        assert any("166/100" in line for line in form.referral_lines)  # the previous visit
        [call] = save.calls
        assert call[5].refer


async def test_the_next_date_typed_is_the_one_saved_and_phone_values_are_reported() -> None:
    save = Recorder()
    app = FormHostApp(form_data(), save)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FollowUpForm)
        form.query_one("#mode", Select).value = VisitMode.PHONE.value
        await settle(pilot)
        assert form.query_one("#reported-line").display
        await _type_into(pilot, "systolic", "150")
        await _type_into(pilot, "diastolic", "95")
        due = form.query_one("#next-due", Input)
        due.value = "2026-12-10"
        await settle(pilot)
        await _type_into(pilot, "heart_rate", "76")  # a later value does not move a typed date
        assert due.value == "2026-12-10"
        await press(pilot, "ctrl+s")
        assert app.closed == [app.closed[0]]
        assert app.closed[0]
        [call] = save.calls
        patient_id, programmes, mode, when, values, classification, clinician = call[:7]
        assert (patient_id, tuple(programmes), mode, when, clinician) == (
            "p-allergic",
            (Programme.HYPERTENSION,),
            VisitMode.PHONE,
            NOW,
            "pr-1",
        )
        assert isinstance(values, FollowUpValues)
        assert (values.systolic, values.diastolic, values.heart_rate) == (150, 95, 76)
        assert values.reported
        assert classification.control is Control.UNSATISFACTORY
        assert classification.next_due == date(2026, 12, 10)
        assert call[7]["height_for_bmi"] == 168.0


async def test_weight_shows_bmi_from_the_charts_height_and_glucose_only_for_diabetes() -> None:
    app = FormHostApp(form_data(), Recorder())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query("#glucose")
        await _type_into(pilot, "weight", "70")
        assert "BMI 24.8 (height 168 cm from the chart)" in _text(
            app.screen.query_one("#bmi-line", Static)
        )
    both = (Programme.HYPERTENSION, Programme.DIABETES)
    app = FormHostApp(form_data(both), Recorder())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _type_into(pilot, "glucose", "17.2")
        shown = _text(app.screen.query_one("#classification", Static))
        assert "!!! Urgent referral" in shown


async def test_wrong_values_are_refused_and_nothing_is_recorded() -> None:
    save = Recorder()
    app = FormHostApp(form_data(), save)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _type_into(pilot, "systolic", "1700")
        await _type_into(pilot, "diastolic", "90")
        await _type_into(pilot, "cigarettes", "lots")
        await press(pilot, "ctrl+s")
        form = app.screen
        assert isinstance(form, FollowUpForm)
        assert "between 40 and 300" in _text(form.query_one("#systolic-error", Static))
        assert "Not a number" in _text(form.query_one("#cigarettes-error", Static))
        assert save.calls == []
        assert not app.closed


async def test_an_untouched_form_says_to_type_rather_than_classify_nothing() -> None:
    app = FormHostApp(form_data(), Recorder())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FollowUpForm)
        shown = _text(form.query_one("#classification", Static))
        assert shown == "Type the values: the classification shows here"
        form.query_one("#mode", Select).value = VisitMode.HOME.value
        await settle(pilot)
        assert "Unsatisfactory" in _text(form.query_one("#classification", Static))
