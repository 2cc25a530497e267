"""What a clinician must read off the chart at a glance (issue 9, point 10): abnormal vital
signs flagged in words against cited ranges, BMI, the previous value as 'was', today's
priority, whole visit states, identifier types in the UI language, each allergy marked."""

from __future__ import annotations

import pytest
from rich.console import Console
from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.widgets import Static

from clinic_tui import i18n
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.store import upsert_resources
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.widgets.allergy_banner import AllergyBanner
from clinic_tui.widgets.chart_sections import ChartSection
from clinic_tui.widgets.patient_header import PatientHeader
from tests.ui.chart_fixtures import (
    allergy,
    blood_pressure,
    encounter,
    fixed_clock,
    organization,
    patient,
    vital,
)
from tests.ui.chart_host import ChartHostApp

pytestmark = pytest.mark.anyio

PID = "p-ill"


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """An 82-year-old brought in as an emergency today (in consultation), abnormal vital signs."""
    person = patient(PID, "李", "素芬", "female", "1944-04-14")
    person["identifier"] = [
        {
            "type": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PPN"}
                ],
                "text": "护照",
            },
            "system": "http://hl7.org/fhir/sid/passport-CHN",
            "value": "E12345678",
        }
    ]
    today = encounter(
        "e-today",
        PID,
        "org-town",
        "2026-11-24T09:10:00+08:00",
        "突发言语不清 右侧肢体无力 伴口角歪斜 持续两小时",
        "in-progress",
    )
    today["priority"] = {"coding": [{"code": "EM"}]}
    resources = [
        organization("org-town", "青山镇卫生院", "township"),
        person,
        today,
        allergy("a-1", PID, "青霉素", criticality="high", reaction="皮疹"),
        allergy("a-2", PID, "磺胺类", criticality="low"),
        blood_pressure("bp-1", PID, 125, 79, "2026-10-24T09:00:00+08:00"),
        blood_pressure("bp-2", PID, 170, 91, "2026-11-24T09:20:00+08:00"),
        vital("rr-1", PID, "9279-1", 22, "/min", "2026-11-24T09:20:00+08:00"),
        vital("o-1", PID, "59408-5", 94, "%", "2026-11-24T09:20:00+08:00"),
        vital("hr-1", PID, "8867-4", 72, "/min", "2026-11-24T09:20:00+08:00"),
        vital("w-1", PID, "29463-7", 70, "kg", "2026-11-24T09:20:00+08:00"),
        vital("h-1", PID, "8302-2", 160, "cm", "2026-06-15T09:00:00+08:00"),
    ]
    with engine.begin() as connection:
        upsert_resources(connection, resources)
    return ClinicCache(engine)


def words(widget: Static) -> str:
    """What a widget shows, its words separated by single spaces."""
    return " ".join(plain(widget).split())


def plain(widget: Static, width: int = 400) -> str:
    console = Console(width=width, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(widget.content)
    return capture.get()


async def loaded(pilot: Pilot[None]) -> ChartScreen:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ChartScreen)
    return screen


def section(screen: ChartScreen, ident: str) -> Static:
    return screen.query_one(f"#{ident}", ChartSection).query_one(".section-body", Static)


async def test_abnormal_vital_signs_are_flagged_in_words_with_their_source(
    cache: ClinicCache,
) -> None:
    app = ChartHostApp(cache, PID, fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        text = words(section(await loaded(pilot), "vitals"))
        assert "Blood pressure ! 170/91 mmHg" in text
        assert "Respiratory rate ! 22 /min" in text
        assert "Oxygen saturation ! 94 %" in text
        assert "Heart rate 72 /min 2026-11-24" in text  # 72 is within 51-90: no flag
        assert (
            "! Blood pressure 170/91 high: hypertension grade 2 (systolic 160-179)"
            " · China hypertension guideline 2018"
        ) in text
        assert "! Respiratory rate 22 high: respiratory rate 21-24 (NEWS2 2 points)" in text
        assert "! Oxygen saturation 94 low: SpO2 94-95 (NEWS2 1 point) · NEWS2" in text


async def test_bmi_from_the_latest_weight_and_height_with_the_chinese_cut_offs(
    cache: ClinicCache,
) -> None:
    app = ChartHostApp(cache, PID, fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        text = words(section(await loaded(pilot), "vitals"))
        assert "BMI ! 27.3 kg/m²" in text  # 70 kg / 1.60 m², overweight from 24
        assert "overweight (BMI 24.0-27.9) · WS/T 428-2013" in text


async def test_the_previous_value_reads_was(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, PID, fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        text = plain(section(await loaded(pilot), "vitals"))
        assert "was 125/79" in text
        assert "↑" not in text


async def test_the_header_shows_todays_priority_and_the_identifier_type_in_words(
    cache: ClinicCache,
) -> None:
    app = ChartHostApp(cache, PID, fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        header = " ".join(plain((await loaded(pilot)).query_one(PatientHeader)).split())
        assert "Today: !!! Emergency · In consultation" in header
        assert "Passport E12345678" in header
        assert "护照" not in header


async def test_in_chinese_the_identifier_type_and_units_are_chinese(cache: ClinicCache) -> None:
    i18n.set_language("zh")
    app = ChartHostApp(cache, PID, fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot)
        header = " ".join(plain(screen.query_one(PatientHeader)).split())
        assert "护照 E12345678" in header
        assert "今日：!!! 急诊 · 就诊中" in header
        text = plain(section(screen, "vitals"))
        assert "次/分" in text
        assert "/min" not in text
        assert "上次 125/79" in text
        assert "! 血压 170/91 偏高：2级高血压（收缩压 160–179）" in text
        # 'high' of a value (偏高) and of an allergy's criticality (高危) are two words.
        banner = words(screen.query_one(AllergyBanner))
        assert "!! 青霉素：皮疹（高危）" in banner


async def test_a_visit_state_is_never_split_over_lines(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, PID, fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        visits = section(await loaded(pilot), "visits")
        # Whatever width the box gets, the long complaint folds and the state stays whole,
        # on its own line under the date.
        for width in range(50, 90):
            lines = plain(visits, width=width).splitlines()
            assert lines[1].startswith("In consult "), (width, lines)


async def test_each_allergy_is_marked_and_paired_with_its_reaction(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, PID, fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        banner = " ".join(plain((await loaded(pilot)).query_one(AllergyBanner)).split())
        # A substance and reaction the coded lists know read in the session's language; the
        # rest exactly as recorded (domain/chart_entry.py; test_chart_screen.py).
        assert banner == (
            "ALLERGIES: !! Penicillin: Eruption of skin (HIGH) "
            "!! 磺胺类: reaction not recorded (low)"
        )
