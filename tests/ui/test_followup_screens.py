"""The follow-up screens under Pilot, on the real registry: the list (queue v), the 随访 form
from the list and the chart, enrol (e) and leave (E), the referral proposal, the visit list."""

from __future__ import annotations

import stat
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine, text
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, TextArea

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.followup.model import Control, LeaveReason, Programme
from clinic_tui.followup.registry import ChronicRegistry
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.screens.discard_dialog import ConfirmScreen
from clinic_tui.screens.followup_dialogs import EnrolForm, FilterForm, LeaveForm
from clinic_tui.screens.followup_form import FollowUpForm
from clinic_tui.screens.followup_list import FollowUpListScreen
from clinic_tui.screens.problem_form import ProblemForm
from clinic_tui.screens.queue import QueueScreen
from clinic_tui.screens.refer_form import ReferForm
from clinic_tui.widgets.patient_header import PatientHeader
from clinic_tui.widgets.programme_section import ProgrammesSection
from tests.ui.chart_fixtures import fixed_clock
from tests.ui.chart_host import ChartHostApp
from tests.ui.followup_fixtures import followup_cache
from tests.ui.pilot import press, settle, type_text

pytestmark = pytest.mark.anyio


@pytest.fixture
def cache(engine: Engine) -> ClinicCache:
    """Four patients in programmes (see followup_fixtures), a county hospital to refer to."""
    cache = followup_cache(engine)
    from clinic_tui.offline_cache.store import upsert_resources

    with engine.begin() as connection:
        hospital = {"resourceType": "Organization", "id": "org-county", "name": "青山县人民医院"}
        upsert_resources(connection, [hospital])
    return cache


def _app(cache: ClinicCache) -> ClinicApp:
    settings = Settings(data_dir=cache.path.parent)
    return ClinicApp(settings=settings, cache=cache, clock=fixed_clock, auto_sync=False)


def _rows(screen: FollowUpListScreen) -> list[str]:
    table = screen.query_one(DataTable)
    return [
        " ".join(str(cell) for cell in table.get_row_at(index)) for index in range(table.row_count)
    ]


def _plain(renderable: Any) -> str:
    console = Console(width=300, color_system=None)
    with console.capture() as capture:
        console.print(renderable)
    return " ".join(capture.get().split())


async def _list(pilot: Pilot[Any]) -> FollowUpListScreen:
    await settle(pilot)
    assert isinstance(pilot.app.screen, QueueScreen)
    await press(pilot, "v")
    screen = pilot.app.screen
    assert isinstance(screen, FollowUpListScreen)
    return screen


async def _record(pilot: Pilot[Any], systolic: str, diastolic: str, mode: str = "home") -> None:
    form = pilot.app.screen
    assert isinstance(form, FollowUpForm)
    form.query_one("#mode", Select).value = mode
    form.query_one("#systolic", Input).focus()
    await type_text(pilot, systolic)
    form.query_one("#diastolic", Input).focus()
    await type_text(pilot, diastolic)
    await press(pilot, "ctrl+s")


async def test_v_lists_the_due_most_overdue_first_with_how_long(cache: ClinicCache) -> None:
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        screen = await _list(pilot)
        rows = _rows(screen)
        assert len(rows) == 3  # 周海, seen last week and due in February, is not on it
        assert rows[0].startswith("! overdue 40 d 张伟")
        assert "! not seen in 2026 孙立军" in rows[1]
        assert rows[2].startswith("due in 3 d 赵春梅")
        assert "李家村3组12号" in rows[0]
        # At 80 columns the control is in a word (full words from 100: see the 120 test).
        assert "10-01 poor" in rows[0]
        assert "王医生" in rows[0]
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, QueueScreen)


async def test_f_filters_by_village_programme_and_clinician(cache: ClinicCache) -> None:
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        screen = await _list(pilot)
        await press(pilot, "f")
        assert isinstance(pilot.app.screen, FilterForm)
        await type_text(pilot, "李家村")
        await press(pilot, "enter")
        assert [row.split()[4] for row in _rows(screen)] == ["张伟", "赵春梅"]
        await press(pilot, "f")
        form = pilot.app.screen
        assert isinstance(form, FilterForm)
        form.query_one("#address", Input).value = ""
        form.query_one("#programme", Select).value = Programme.DIABETES.value
        await press(pilot, "ctrl+s")
        assert len(_rows(screen)) == 1
        assert "孙立军" in _rows(screen)[0]
        await press(pilot, "f")
        form = pilot.app.screen
        assert isinstance(form, FilterForm)
        form.query_one("#programme", Select).value = ""
        form.query_one("#clinician", Select).value = "pr-1"
        await press(pilot, "ctrl+s")
        assert ["张伟" in _rows(screen)[0], "赵春梅" in _rows(screen)[1]] == [True, True]
        assert "王医生" in _plain(screen.query_one("#follow-up-filter").content)


async def test_enter_records_a_home_visit_and_the_row_moves_on(cache: ClinicCache) -> None:
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        screen = await _list(pilot)
        await press(pilot, "enter")
        form = pilot.app.screen
        assert isinstance(form, FollowUpForm)
        assert form.data.patient_id == "p-allergic"
        assert "氨氯地平片" in _plain(form.query_one("#medications").content)
        await _record(pilot, "138", "86")
        assert pilot.app.screen is screen  # controlled: no referral is proposed
        [visit, *_] = ChronicRegistry(cache.engine, cache.clinic).visits("p-allergic")
        assert visit.control is Control.SATISFACTORY
        assert (visit.values.systolic, visit.values.diastolic) == (138, 86)
        assert not any("张伟" in row for row in _rows(screen))  # next due in three months
        with cache.engine.connect() as connection:
            pending = connection.execute(
                text("SELECT count(*) FROM outbox WHERE resource_type = 'Encounter'")
            ).scalar_one()
        assert pending >= 1  # it syncs like everything else


async def test_a_second_uncontrolled_visit_offers_the_referral_with_the_values(
    cache: ClinicCache,
) -> None:
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        screen = await _list(pilot)
        await press(pilot, "enter")  # 张伟: his last visit was uncontrolled
        await _record(pilot, "172", "104")
        question = pilot.app.screen
        assert isinstance(question, ConfirmScreen)
        assert "Second unsatisfactory visit in a row" in question.question
        await press(pilot, "y")
        refer = pilot.app.screen
        assert isinstance(refer, ReferForm)
        summary = refer.query_one("#summary", TextArea).text
        first = summary.splitlines()[0]
        assert "172/104" in first
        assert "hypertension" in first
        assert "158/96" in summary  # the previous uncontrolled visit
        assert "I10" in summary  # the chart's own summary follows
        assert refer.query_one("#refer-reason", Select).value == "I10"  # the programme's
        await press(pilot, "escape")
        assert pilot.app.screen is screen


async def test_not_now_leaves_the_visit_recorded_without_a_referral(cache: ClinicCache) -> None:
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        screen = await _list(pilot)
        await press(pilot, "enter")
        await _record(pilot, "172", "104")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await press(pilot, "n")
        assert pilot.app.screen is screen
        with cache.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM service_request")).scalar() == 0
        [visit, *_] = ChronicRegistry(cache.engine, cache.clinic).visits("p-allergic")
        assert visit.control is Control.UNSATISFACTORY


async def test_p_writes_the_village_visit_list_private(cache: ClinicCache) -> None:
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        screen = await _list(pilot)
        await press(pilot, "p")
        [pdf] = list((cache.path.parent / "visit-lists").glob("*.pdf"))
        assert pdf.read_bytes().startswith(b"%PDF")
        assert stat.S_IMODE(pdf.stat().st_mode) == 0o600
        assert stat.S_IMODE(pdf.parent.stat().st_mode) == 0o700
        assert "Visit list printed" in screen.query_one("#chronic-notice").render().plain  # type: ignore[union-attr]


async def test_chart_shows_the_programme_and_f_opens_the_form(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        chart = app.screen
        assert isinstance(chart, ChartScreen)
        section = chart.query_one(ProgrammesSection)
        assert section.display
        line = _plain(section.body)
        assert "Hypertension · since 2026-01-10 · next due 2026-10-15 ! overdue 40 d" in line
        assert "last 2026-10-01 Unsatisfactory" in line
        await press(pilot, "F")
        assert isinstance(app.screen, FollowUpForm)
        await _record(pilot, "128", "78", mode="clinic")
        assert app.screen is chart
        assert "last 2026-11-24 Satisfactory" in _plain(section.body)
        # A follow-up is a visit, not today's place in the queue: the header still tells where
        # the patient stands in today's queue (it said "Done", the follow-up's status).
        header = _plain(chart.query_one(PatientHeader).content)
        assert "Today: Routine · Waiting" in header, header


async def test_e_enrols_and_capital_e_leaves_with_a_reason(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-allergic", fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        chart = app.screen
        assert isinstance(chart, ChartScreen)
        await press(pilot, "e")  # the problems section has the focus: the key still enrols
        form = app.screen
        assert isinstance(form, EnrolForm)
        assert form.programmes == [Programme.DIABETES]  # already in the hypertension one
        assert form.query_one("#clinician", Select).value == "pr-1"
        await press(pilot, "ctrl+s")
        assert app.screen is chart
        registry = ChronicRegistry(cache.engine, cache.clinic)
        enrolled = {e.programme for e in registry.enrolments("p-allergic") if e.active}
        assert enrolled == {Programme.HYPERTENSION, Programme.DIABETES}
        assert "Type 2 diabetes · since 2026-11-24" in _plain(
            chart.query_one(ProgrammesSection).body
        )
        await press(pilot, "E")
        leave = app.screen
        assert isinstance(leave, LeaveForm)
        await press(pilot, "ctrl+s")
        assert app.screen is leave  # no reason chosen: refused
        leave.query_one("#reason", Select).value = LeaveReason.MOVED.value
        await press(pilot, "ctrl+s")
        assert app.screen is chart
        left = [e for e in registry.enrolments("p-allergic") if not e.active]
        assert [(e.leave_reason, e.end) for e in left] == [
            (LeaveReason.MOVED, fixed_clock().date())
        ]
        assert "left 2026-11-24: Moved" in _plain(chart.query_one(ProgrammesSection).body)


async def test_a_new_hypertension_diagnosis_suggests_enrolment(cache: ClinicCache) -> None:
    app = ChartHostApp(cache, "p-nka", fixed_clock)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert not app.screen.query_one(ProgrammesSection).display
        await press(pilot, "d")
        assert isinstance(app.screen, ProblemForm)
        await type_text(pilot, "gxy")
        await press(pilot, "enter", "ctrl+s")
        said = [n.message for n in app._notifications]
        assert any("Can be enrolled in Hypertension: press e" in m for m in said)
        await press(pilot, "e")
        assert isinstance(app.screen, EnrolForm)


async def test_the_list_and_the_form_speak_chinese(cache: ClinicCache) -> None:
    i18n.set_language("zh")
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        screen = await _list(pilot)
        assert _rows(screen)[0].startswith("! 逾期 40 天 张伟")
        await press(pilot, "enter")
        form = pilot.app.screen
        assert isinstance(form, FollowUpForm)
        await _record(pilot, "172", "104")
        question = pilot.app.screen
        assert isinstance(question, ConfirmScreen)
        assert "连续两次控制不满意" in question.question


async def test_help_lists_the_follow_up_keys_on_the_queue_list_and_chart(
    cache: ClinicCache,
) -> None:
    from clinic_tui.screens.help import HelpScreen

    def described(app: Any) -> dict[str, str]:
        assert isinstance(app.screen, HelpScreen)
        return {line.description: " ".join(line.keys) for line in app.screen.sections[0].lines}

    async with _app(cache).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert "Chronic follow-ups" in described(pilot.app)
        await press(pilot, "escape")
        await _list(pilot)
        await press(pilot, "question_mark")
        keys = described(pilot.app)
        for words in ("Follow-up", "Chart", "Filter", "Print list", "Back"):
            assert words in keys
        await press(pilot, "escape", "o")  # the chart of the row under the cursor
        assert isinstance(pilot.app.screen, ChartScreen)
        await press(pilot, "question_mark")
        keys = described(pilot.app)
        for words in ("Follow-up visit", "Enrol in a programme", "Leave a programme"):
            assert words in keys


async def test_names_and_addresses_from_outside_are_drawn_as_data(cache: ClinicCache) -> None:
    from clinic_tui.offline_cache.store import read_resource, upsert_resources

    with cache.engine.begin() as connection:
        resource = read_resource(connection, "Patient", "p-zhao")
        assert resource is not None
        resource["name"] = [{"text": "[i]赵[/i]"}]
        resource["address"] = [{"use": "home", "line": ["[b]李[/b]\x1b村"]}]
        upsert_resources(connection, [resource])
    async with _app(cache).run_test(size=(120, 40)) as pilot:
        screen = await _list(pilot)
        [row] = [r for r in _rows(screen) if "赵" in r]
        assert "[i]赵[/i]" in row  # markup in a name stays those characters
        assert "[b]李[/b]␛村" in row  # and a control character is made visible
        await press(pilot, "f")
        await type_text(pilot, "[b]")
        await press(pilot, "enter")  # a filter typed with brackets is text too
        assert "address contains [b]" in _plain(screen.query_one("#follow-up-filter").content)
        assert pilot.app.is_running


async def test_a_long_list_loads_a_window_and_end_loads_the_rest(cache: ClinicCache) -> None:
    from dataclasses import replace

    from clinic_tui.screens.followup_list import WINDOW

    async with _app(cache).run_test(size=(80, 24)) as pilot:
        screen = await _list(pilot)
        table = screen.query_one(DataTable)
        many = [
            replace(item, enrolment_id=f"{item.enrolment_id}-{n}")
            for n in range(100)
            for item in screen.items
        ]
        screen.show(many, screen.names)
        await settle(pilot)
        assert table.row_count == WINDOW  # a clinic's thousands are not all added at once
        await press(pilot, "end")
        assert (table.row_count, table.cursor_row) == (300, 299)
        assert screen.selected == many[299]
        await press(pilot, "home")
        assert table.cursor_row == 0
        assert screen.selected == many[0]


async def test_the_queue_names_overdue_chronic_follow_ups_and_their_key(
    cache: ClinicCache,
) -> None:
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = pilot.app.screen.query_one("#queue-follow-ups")
        assert line.display
        assert "Chronic follow-ups overdue 1 [v]" in _plain(line.content)  # 张伟, 40 days
        await _list(pilot)
        await press(pilot, "enter")
        await _record(pilot, "128", "80")
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, QueueScreen)
        await settle(pilot)
        assert not pilot.app.screen.query_one("#queue-follow-ups").display


@pytest.mark.parametrize("long_list", [False, True])
@pytest.mark.parametrize(
    ("language", "last", "doctor"),
    [("en", "10-01 poor", "Doctor"), ("zh", "10-01 不满意", "医生")],
)
async def test_at_80_columns_every_column_is_whole_the_doctors_among_them(
    cache: ClinicCache, language: str, last: str, doctor: str, long_list: bool
) -> None:
    from dataclasses import replace

    from tests.ui.followup_fixtures import _set_address

    # A long village address, as real ones are: the row still fits, nothing scrolls sideways.
    _set_address(cache, "p-allergic", "青山镇人民路123号院5栋2单元")
    i18n.set_language(language)
    async with _app(cache).run_test(size=(80, 24)) as pilot:
        screen = await _list(pilot)
        table = screen.query_one(DataTable)
        if long_list:
            # More rows than the screen: the vertical scrollbar takes its columns too.
            many = [replace(item, enrolment_id=f"{item.enrolment_id}-{n}") for n in range(20)
                    for item in screen.items]  # fmt: skip
            screen.show(many, screen.names)
            await settle(pilot)
            assert table.show_vertical_scrollbar
        widths = [column.get_render_width(table) for column in table.columns.values()]
        # A walk found '02-08 Satisfa…' and the doctor's column off screen at 80.
        assert sum(widths) <= table.scrollable_content_region.width, widths
        assert [str(column.label) for column in table.columns.values()][-1] == doctor
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[5] == last  # the last visit and its control, whole
        assert first[6] == "王医生"  # who looks after the patient
        for index in range(table.row_count):
            for cell, width in zip(table.get_row_at(index), widths, strict=True):
                assert cell.cell_len <= width - 2 * table.cell_padding, (cell, width)


async def test_at_120_columns_the_control_is_in_full_words(cache: ClinicCache) -> None:
    async with _app(cache).run_test(size=(120, 40)) as pilot:
        screen = await _list(pilot)
        first = [str(cell) for cell in screen.query_one(DataTable).get_row_at(0)]
        assert first[5] == "10-01 Unsatisfactory"
