"""The order screen says which checks are off when the age or a child's weight is unknown."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from clinic_tui.i18n import set_language
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.store import upsert_resources
from clinic_tui.prescribing.facts import PrescribingContext
from clinic_tui.widgets.notice_line import NoticeLine
from tests.ui.chart_fixtures import fill_cache, fixed_clock, patient
from tests.ui.chart_host import ChartHostApp
from tests.ui.test_prescription_screen import open_orders

pytestmark = pytest.mark.anyio


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """The fixture patients, and one whose cached birth date is no date (an older cache)."""
    fill_cache(engine)
    undated = patient("p-undated", "赵", "丽", "female", "2022-13-45")
    with engine.begin() as connection:
        upsert_resources(connection, [undated])
    return ClinicCache(engine)


async def notice_for(cache: ClinicCache, patient_id: str) -> str:
    app = ChartHostApp(cache, patient_id, fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot)
        return screen.query_one("#rx-notice", NoticeLine).message


async def test_an_unknown_age_says_the_child_and_age_checks_are_off(cache: ClinicCache) -> None:
    message = await notice_for(cache, "p-undated")
    assert message == (
        "! Age unknown (no valid birth date): children's dose and age checks are off"
    )


async def test_a_child_without_a_weight_says_mg_per_kg_checks_are_off(cache: ClinicCache) -> None:
    message = await notice_for(cache, "p-unrecorded")
    assert message == "! Weight unknown: this child's mg/kg dose checks are off until weighed"


async def test_an_adult_with_age_and_weight_has_no_such_notice(cache: ClinicCache) -> None:
    assert await notice_for(cache, "p-allergic") == ""


async def test_the_notice_is_in_chinese_on_a_chinese_screen(cache: ClinicCache) -> None:
    set_language("zh")
    try:
        message = await notice_for(cache, "p-undated")
    finally:
        set_language("en")
    assert message == "! 年龄不详（无有效出生日期）：儿童剂量和年龄相关检查已关闭"


def test_a_known_age_and_weight_turn_nothing_off() -> None:
    adult = PrescribingContext(age_years=40, age_months=480)
    child = PrescribingContext(age_years=3, age_months=36, weight_kg=14.0)
    assert adult.checks_off() is None
    assert child.checks_off() is None
