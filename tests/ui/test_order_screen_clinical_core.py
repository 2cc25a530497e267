"""The order screen: the slip type follows the visit (急诊 for an emergency visit, 儿科 for a
child, 麻、精一 for a narcotic line, the strictest winning; t, shown in the footer, changes it
by hand), and a likely unit error opens no override: the line is typed again."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from textual.widgets import Select
from textual.widgets._footer import FooterKey

from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.prescribing.model import Severity
from clinic_tui.screens.prescription import PrescriptionScreen
from tests.ui.chart_fixtures import fill_cache, fixed_clock
from tests.ui.chart_host import ChartHostApp
from tests.ui.pilot import press, settle
from tests.ui.test_prescription_screen import enter_line, open_orders

pytestmark = pytest.mark.anyio


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """The fixture patients; p-allergic has a visit today (e-1), p-unrecorded is a baby."""
    fill_cache(engine)
    return ClinicCache(engine)


def _emergency(cache: ClinicCache) -> None:
    with cache.engine.begin() as connection:
        connection.execute(text("UPDATE encounter SET priority = 'EM' WHERE id = 'e-1'"))


async def test_an_emergency_visit_opens_on_the_emergency_slip_and_its_3_days(
    cache: ClinicCache,
) -> None:
    _emergency(cache)
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        assert isinstance(screen, PrescriptionScreen)
        assert screen.basket.kind == "emergency"
        assert screen.query_one("#rx-kind", Select).value == "emergency"
        await enter_line(pilot, "paracetamol 500mg po tid 5d")
        await settle(pilot)
        rule = [w for w in screen.warnings if w.check == "rule" and "5 days" in w.message_en]
        assert rule
        assert rule[0].severity is Severity.HIGH
        assert "emergency slip holds at most 3 days" in rule[0].message_en


async def test_a_child_opens_on_the_paediatric_slip(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-unrecorded", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        assert screen.basket.kind == "paediatric"


async def test_a_routine_adult_visit_stays_ordinary(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        assert screen.basket.kind == "ordinary"


async def test_a_narcotic_line_wins_over_the_emergency_slip_and_leaves_with_its_line(
    cache: ClinicCache,
) -> None:
    _emergency(cache)
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        await enter_line(pilot, "morphine 10mg po q4h 1d")
        await settle(pilot)
        assert screen.basket.kind == "narcotic-psychotropic-1"
        screen.basket.lines.clear()
        screen.basket_changed()
        await settle(pilot)
        assert screen.basket.kind == "emergency"


async def test_t_is_in_the_footer_and_a_slip_chosen_by_hand_stays(cache: ClinicCache) -> None:
    _emergency(cache)
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_orders(pilot)
        await enter_line(pilot, "paracetamol 500mg po tid 3d")
        await press(pilot, "down")  # to the basket: letters are keys there, not text
        await settle(pilot)
        shown = [key.key for key in screen.query(FooterKey) if key.display]
        assert "t" in shown, shown
        await press(pilot, "t")
        kind = screen.query_one("#rx-kind", Select)
        assert kind.has_focus
        kind.value = "ordinary"
        await settle(pilot)
        assert screen.kind_chosen
        screen.basket_changed()
        await settle(pilot)
        assert screen.basket.kind == "ordinary"


async def test_a_unit_error_opens_no_override_and_the_slip_is_not_signed(
    cache: ClinicCache,
) -> None:
    from clinic_tui.screens.prescription_dialogs import OverrideDialog
    from tests.ui.test_prescription_screen import basket_text, medication_requests

    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        await enter_line(pilot, "digoxin 125mg po qd 7d")
        await settle(pilot)
        assert "cannot be overridden" in basket_text(screen)
        screen.query_one("#rx-basket").focus()
        await press(pilot, "s")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, OverrideDialog)
        assert len(screen.basket.lines) == 1
        assert medication_requests(cache, "p-nka") == []
