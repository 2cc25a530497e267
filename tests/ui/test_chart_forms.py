"""Chart forms under Pilot: open each with its key, fill it, save, see it on the chart unsynced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine, text
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Select, Static, TextArea

from clinic_tui import i18n
from clinic_tui.domain.models import QueueStatus
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.store import read_resource, upsert_resources
from clinic_tui.screens.allergy_form import AllergyForm
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.screens.chart_form import ChartForm
from clinic_tui.screens.discard_dialog import ConfirmScreen
from clinic_tui.screens.problem_form import ProblemForm
from clinic_tui.screens.queue import QueueScreen
from clinic_tui.screens.visit_history import VisitHistoryScreen
from clinic_tui.widgets.allergy_banner import AllergyBanner
from clinic_tui.widgets.chart_sections import ProblemsSection, VitalsSection
from clinic_tui.widgets.patient_header import PatientHeader
from clinic_tui.widgets.visit_panel import VisitPanel
from tests.ui.chart_fixtures import fill_cache, fixed_clock
from tests.ui.chart_fixtures import patient as chart_patient
from tests.ui.chart_host import ChartHostApp
from tests.ui.pilot import press, settle, type_text
from tests.ui.queue_app import queue_app
from tests.ui.test_queue_screen import status_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """The fixture patients; p-allergic is in today's queue (visit e-1)."""
    fill_cache(engine)
    return ClinicCache(engine)


def _plain(widget: Static) -> str:
    console = Console(width=400, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(widget.content)
    return " ".join(capture.get().split())


def _section(screen: ChartScreen, kind: type[ProblemsSection | VitalsSection]) -> str:
    console = Console(width=200, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(screen.query_one(kind).body)
    return " ".join(capture.get().split())


def _outbox_count(cache: ClinicCache) -> int:
    with cache.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM outbox")).scalar_one())


async def _chart(pilot: Pilot[None]) -> ChartScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ChartScreen)
    return screen


async def _form(pilot: Pilot[None], kind: type[ChartForm]) -> ChartForm:
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, kind)
    return form


async def test_d_records_a_diagnosis_of_this_visit(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        chart = await _chart(pilot)
        await press(pilot, "d")
        await _form(pilot, ProblemForm)
        await type_text(pilot, "gxy")
        await press(pilot, "enter", "ctrl+s")
        assert pilot.app.screen is chart
        assert _section(chart, ProblemsSection).startswith("I10 高血压 * 2026-11-24")
        assert "Diagnoses: I10 高血压 *" in _plain(chart.query_one(VisitPanel))


async def test_a_diagnosis_needs_a_chosen_code(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _chart(pilot)
        before = _outbox_count(cache)
        await press(pilot, "d")
        form = await _form(pilot, ProblemForm)
        await type_text(pilot, "zzz")
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is form
        assert "Choose a diagnosis from the search results" in _plain(
            form.query_one("#code-error", Static)
        )
        assert "No match in the diagnosis list" in str(form.query_one("#hits").render_line(0))
        assert _outbox_count(cache) == before


async def test_a_records_a_typed_allergy_with_its_reaction(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-unrecorded", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        chart = await _chart(pilot)
        await press(pilot, "a")
        form = await _form(pilot, AllergyForm)
        form.query_one("#substance_text", Input).focus()
        await type_text(pilot, "花生 peanut")
        form.query_one("#category", Select).value = "food"
        form.query_one("#criticality", Select).value = "high"
        form.query_one("#reaction_text", Input).focus()
        await type_text(pilot, "喉头水肿")
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is chart
        banner = chart.query_one(AllergyBanner)
        assert banner.has_class("-recorded")
        assert _plain(banner) == "ALLERGIES: !! 花生 peanut: 喉头水肿 (HIGH) * * unsynced"


async def test_no_known_allergies_is_refused_in_the_form_while_allergies_are_recorded(
    cache: ClinicCache,
) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _chart(pilot)
        before = _outbox_count(cache)
        await press(pilot, "a")
        form = await _form(pilot, AllergyForm)
        form.query_one("#kind", Select).value = "nka"
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is form, "the form stays open with what was chosen"
        assert _plain(form.query_one("#form-error", Static)) == (
            "Allergies are recorded: mark each entered in error before stating none"
        )
        assert _outbox_count(cache) == before


async def test_capital_a_withdraws_an_allergy_entered_in_error(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        chart = await _chart(pilot)
        await press(pilot, "A")
        await settle(pilot)
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is chart
        assert "Sulfonamides" not in _plain(chart.query_one(AllergyBanner))
        with cache.engine.connect() as connection:
            withdrawn = read_resource(connection, "AllergyIntolerance", "a-1")
        assert withdrawn is not None
        assert withdrawn["verificationStatus"]["coding"][0]["code"] == "entered-in-error"


async def test_v_refuses_a_typo_and_saves_nothing_then_records_the_fix(
    cache: ClinicCache,
) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        chart = await _chart(pilot)
        before = _outbox_count(cache)
        await press(pilot, "v")
        form = await _form(pilot, ChartForm)
        await type_text(pilot, "1700")
        await press(pilot, "tab")
        await type_text(pilot, "95")
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is form
        assert _plain(form.query_one("#systolic-error", Static)) == (
            "↳ Systolic must be between 40 and 300 mmHg"
        )
        assert _outbox_count(cache) == before
        systolic = form.query_one("#systolic", Input)
        systolic.value = "170"
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is chart
        # Saved, marked unsynced, and flagged high (the chart's ranges: >= 140/90).
        assert "Blood pressure ! 170/95 * mmHg 2026-11-24" in _section(chart, VitalsSection)
        assert _outbox_count(cache) == before + 1


async def test_n_writes_the_note_of_this_visit(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        chart = await _chart(pilot)
        await press(pilot, "n")
        form = await _form(pilot, ChartForm)
        assert isinstance(pilot.app.focused, TextArea)
        await type_text(pilot, "头晕3天")
        await press(pilot, "tab")
        await type_text(pilot, "BP 168/98")
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is chart, form
        assert "Note: 头晕3天 BP 168/98 *" in _plain(chart.query_one(VisitPanel))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_form_opens_settled_without_a_scroll_animation(
    cache: ClinicCache, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Focusing the note's first box used to scroll the fields a line over 0.2 s after the
    form had painted (a form still moving, every frame a repaint down the link)."""
    from textual._animator import Animator

    started: list[str] = []
    animate = Animator._animate

    def spy(self: Animator, obj: object, attribute: str, *args: Any, **kwargs: Any) -> None:
        started.append(attribute)
        animate(self, obj, attribute, *args, **kwargs)

    monkeypatch.setattr(Animator, "_animate", spy)
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=size) as pilot:
        await _chart(pilot)
        for key in ("n", "a", "v", "d"):
            await press(pilot, key)
            await _form(pilot, ChartForm)
            assert isinstance(pilot.app.focused, Widget)
            assert [a for a in started if a.startswith("scroll")] == [], key
            await press(pilot, "escape")
            await settle(pilot)


async def test_a_note_needs_a_visit_today(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        chart = await _chart(pilot)
        await press(pilot, "n")
        assert pilot.app.screen is chart
        assert not chart.query_one(VisitPanel).display


async def test_escape_on_a_changed_form_asks_and_on_an_unchanged_one_closes(
    cache: ClinicCache,
) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        chart = await _chart(pilot)
        await press(pilot, "v", "escape")
        assert pilot.app.screen is chart, "nothing typed: Escape closes at once"
        await press(pilot, "v")
        form = await _form(pilot, ChartForm)
        await type_text(pilot, "120")
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await press(pilot, "n")
        assert pilot.app.screen is form
        assert form.query_one("#systolic", Input).value == "120", "what was typed is kept"
        await press(pilot, "escape", "y")
        assert pilot.app.screen is chart


async def test_f_finishes_the_visit_and_returns_to_the_queue(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _chart(pilot)
        await press(pilot, "f")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await press(pilot, "y")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ChartScreen)
        with cache.engine.connect() as connection:
            visit = read_resource(connection, "Encounter", "e-1")
        assert visit is not None
        assert visit["status"] == "finished"


async def test_p_corrects_contact_details_with_the_registration_rules(
    cache: ClinicCache,
) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        chart = await _chart(pilot)
        await press(pilot, "p")
        form = await _form(pilot, ChartForm)
        phone = form.query_one("#phone", Input)
        phone.value = "1390013"
        await press(pilot, "ctrl+s")
        assert _plain(form.query_one("#phone-error", Static)) == "↳ A mobile number has 11 digits"
        phone.value = "13900139000"
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is chart
        header = _plain(chart.query_one(PatientHeader))
        assert "张伟 *" in header
        assert "Phone 13900139000" in header


async def test_c_changes_the_chief_complaint(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        chart = await _chart(pilot)
        await press(pilot, "c")
        form = await _form(pilot, ChartForm)
        form.query_one("#complaint", Input).value = ""
        await press(pilot, "enter")
        assert _plain(form.query_one("#complaint-error", Static)) == "↳ Enter the chief complaint"
        form.query_one("#complaint", Input).value = "头晕加重"
        await press(pilot, "enter")
        assert pilot.app.screen is chart
        assert "Chief complaint: 头晕加重 [Waiting] *" in _plain(chart.query_one(VisitPanel))


async def test_h_shows_what_a_past_visit_recorded(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _chart(pilot)
        await press(pilot, "h")
        history = pilot.app.screen
        assert isinstance(history, VisitHistoryScreen)
        await settle(pilot)
        record = _plain(history.query_one("#history-record", Static))
        assert record.startswith("2026-11-24 08:05 青山镇卫生院 Chief complaint: 头晕 dizziness")
        await press(pilot, "down")
        record = _plain(history.query_one("#history-record", Static))
        assert "复诊 follow-up" in record
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, ChartScreen)


async def test_the_forms_speak_chinese(cache: ClinicCache) -> None:
    i18n.set_language("zh")
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _chart(pilot)
        await press(pilot, "v")
        form = await _form(pilot, ChartForm)
        await type_text(pilot, "1700")
        await press(pilot, "tab")
        await type_text(pilot, "95")
        await press(pilot, "ctrl+s")
        assert _plain(form.query_one(".dialog-title", Static)) == "记录生命体征"
        assert _plain(form.query_one("#systolic-error", Static)) == (
            "↳ 收缩压应在 40 至 300 mmHg 之间"
        )


async def test_an_infants_impossible_weight_is_refused_in_chinese(cache: ClinicCache) -> None:
    i18n.set_language("zh")
    app = ChartHostApp(cache, "p-unrecorded", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _chart(pilot)
        await press(pilot, "v")
        form = await _form(pilot, ChartForm)
        form.query_one("#weight", Input).value = "85"
        await press(pilot, "ctrl+s")
        assert _plain(form.query_one("#weight-error", Static)) == ("↳ 0岁儿童体重不可能超过 20 kg")


async def test_finishing_on_the_queue_leaves_the_next_patient_one_key_away(
    tmp_path: Path,
) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        first = app.screen
        assert isinstance(first, ChartScreen)
        assert first.visit is not None
        assert first.visit.status == "in-progress"
        visit_id = first.visit.encounter_id  # the chart lets go of a finished visit
        await press(pilot, "n")  # on the chart, n is the note of this visit
        await type_text(pilot, "咳嗽")
        await press(pilot, "ctrl+s", "f", "y")
        assert isinstance(app.screen, QueueScreen)
        assert status_of(app, visit_id) is QueueStatus.DONE
        await press(pilot, "n")
        second = app.screen
        assert isinstance(second, ChartScreen)
        assert second.patient_id != first.patient_id


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "王小明 Male 12d"), ("zh", "王小明 男 12天")]
)
async def test_a_newborn_s_age_is_in_days_in_the_chart_header(
    engine: Engine, language: str, expected: str
) -> None:
    # Born twelve days before the fixtures' today: never '0mo'.
    fill_cache(engine)
    newborn = chart_patient("p-newborn", "王", "小明", "male", "2026-11-12")
    with engine.begin() as connection:
        upsert_resources(connection, [newborn])
    i18n.set_language(language)
    app = ChartHostApp(ClinicCache(engine), "p-newborn", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _chart(pilot)
        assert _plain(screen.query_one(PatientHeader)).startswith(expected)
