"""The queue screen driven like a clinician would: keys only, at 80x24 and 120x40."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.domain.models import QueueStatus
from clinic_tui.domain.national_id import make
from clinic_tui.domain.registration import DUPLICATE_DECISION_URL
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.patient_search import PatientSearch
from clinic_tui.offline_cache.queue_repository import LEFT_REASON_URL
from clinic_tui.offline_cache.store import read_resource, upsert_resources
from clinic_tui.offline_cache.tables import OutboxEntry
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.screens.help import HelpScreen
from clinic_tui.screens.patient_search import PatientSearchScreen
from clinic_tui.screens.queue import QueueScreen
from clinic_tui.screens.queue_status import StatusScreen
from clinic_tui.screens.walk_in import WalkInScreen
from clinic_tui.screens.walk_in_dialogs import ConfirmScreen, DuplicateScreen
from clinic_tui.widgets.inbox_table import compact_span
from clinic_tui.widgets.queue_table import QueueTable
from clinic_tui.widgets.units import wait_text
from tests.factories import QUEUE_NOW, patient
from tests.factories import encounter as visit
from tests.ui.pilot import press, settle, type_text
from tests.ui.queue_app import Clock, queue_app

SIZES = [(80, 24), (120, 40)]

# Pilot tests are coroutines; anyio's pytest plugin (installed with httpx) runs them.
pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def no_search_debounce(monkeypatch: pytest.MonkeyPatch) -> None:
    """Search as soon as a key is typed: tests wait for workers, never for timers."""
    monkeypatch.setattr(PatientSearchScreen, "DEBOUNCE_SECONDS", 0)


def table(app: ClinicApp) -> QueueTable:
    return app.screen.query_one(QueueTable)


def numbers(app: ClinicApp) -> list[int]:
    return [entry.number for entry in table(app).entries]


def outbox(app: ClinicApp) -> list[tuple[str, str, str]]:
    entries = OutboxEntry.__table__  # type: ignore[attr-defined]
    with app.cache.engine.connect() as connection:
        rows = connection.execute(select(entries).order_by(entries.c.seq)).mappings()
        return [(row["resource_type"], row["resource_id"], row["operation"]) for row in rows]


def encounter(app: ClinicApp, ident: str) -> dict[str, Any] | None:
    with app.cache.engine.connect() as connection:
        return read_resource(connection, "Encounter", ident)


def status_of(app: ClinicApp, ident: str) -> QueueStatus:
    return next(e.status for e in table(app).entries if e.encounter_id == ident)


@pytest.mark.parametrize("size", SIZES)
async def test_queue_lists_today_with_markers_and_counts(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        # Waiting emergency and urgent first (in call order), then everyone else by number.
        assert numbers(app) == [5, 2, 1, 3, 4, 6]
        grid = table(app)
        emergency = grid.get_row("e-5")
        assert str(emergency[5]) == "!!! EMERG"  # a text marker beside the colour
        assert str(grid.get_row("e-4")[6]) == "In consult"
        assert str(grid.get_row("e-3")[7]) == "1h40"
        counts = str(app.screen.query_one("#queue-counts", Static).render())
        assert "Waiting 4 (!!! Emergency 1, !! Urgent 1)" in counts
        assert "In consultation 1" in counts
        # Every column fits in the terminal, the chief complaint shortened with an ellipsis.
        widths = sum(column.get_render_width(grid) for column in grid.columns.values())
        assert widths <= size[0]
        complaint = str(grid.get_row("e-6")[4])
        assert complaint.endswith("…")
        assert ("radiating" in complaint) == (size[0] == 120)  # a wider terminal shows more


async def test_call_next_takes_emergency_then_longest_wait_and_opens_the_chart(
    tmp_path: Path,
) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        called = []
        for _ in range(3):
            await press(pilot, "n")
            assert isinstance(app.screen, ChartScreen)
            called.append(app.screen.patient_id)
            await press(pilot, "escape")
        assert called == ["p-wang", "p-ouyang", "p-chen"]  # EM, then UR, then 08:20 arrival
        assert isinstance(app.screen, QueueScreen)
        for ident in ("e-5", "e-2", "e-3"):
            assert status_of(app, ident) is QueueStatus.IN_CONSULTATION
            stored = encounter(app, ident)
            assert stored is not None
            assert stored["status"] == "in-progress"
        assert outbox(app) == [
            ("Encounter", "e-5", "update"),
            ("Encounter", "e-2", "update"),
            ("Encounter", "e-3", "update"),
        ]
        assert table(app).selected is not None
        assert table(app).selected.encounter_id == "e-3"
        assert "3 unsynced" in str(app.screen.query_one("#queue-badge", Static).render())
        assert str(table(app).get_row("e-3")[0]) == "▶*"  # selected, and unsynced


async def test_enter_opens_the_selected_chart_and_j_k_move(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "k", "down")
        assert table(app).selected is not None
        assert table(app).selected.encounter_id == "e-1"  # rows: 5, 2, 1, ...
        await press(pilot, "enter")
        assert isinstance(app.screen, ChartScreen)
        assert app.screen.patient_id == "p-li"


async def test_walk_in_of_an_existing_patient_then_undo(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r")
        assert isinstance(app.screen, PatientSearchScreen)
        await type_text(pilot, "李娜")
        await press(pilot, "enter")
        assert isinstance(app.screen, WalkInScreen)
        assert app.screen.patient is not None
        assert app.screen.patient.id == "p-li"
        await type_text(pilot, "血压复查")
        await press(pilot, "enter")
        assert isinstance(app.screen, QueueScreen)
        assert numbers(app) == [5, 2, 1, 3, 4, 6, 7]
        new = table(app).selected
        assert new is not None
        assert (new.number, new.patient_id, new.chief_complaint) == (7, "p-li", "血压复查")
        assert outbox(app) == [("Encounter", new.encounter_id, "create")]
        await press(pilot, "u")
        assert numbers(app) == [5, 2, 1, 3, 4, 6]
        assert outbox(app) == []
        assert encounter(app, new.encounter_id) is None


async def fill_new_patient(pilot: Pilot[Any], **fields: str) -> None:
    screen = pilot.app.screen
    for field_id, value in fields.items():
        if field_id in ("sex", "priority", "guardian_relation"):
            screen.query_one(f"#{field_id}", Select).value = value
        else:
            screen.query_one(f"#{field_id}", Input).value = value
    await settle(pilot)


def error_text(app: ClinicApp, field_id: str) -> str | None:
    widget = app.screen.query_one(f"#{field_id}-error", Static)
    return str(widget.render()) if widget.display else None


@pytest.mark.parametrize("size", SIZES)
async def test_new_patient_walk_in_validates_inline_then_saves_both(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, "r", "ctrl+n")  # nobody found: register a new patient
        assert isinstance(app.screen, WalkInScreen)
        assert app.screen.patient is None
        await fill_new_patient(
            pilot,
            name="欧阳明华",
            birth_date="2031-01-01",
            identifier="110105196504121234",
            phone="1391234abcd",
        )
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, WalkInScreen)  # nothing saved, the form stays
        assert error_text(app, "name") is None
        assert "sex" in (error_text(app, "sex") or "")
        assert "future" in (error_text(app, "birth_date") or "")
        assert "check digit" in (error_text(app, "identifier") or "")
        assert "digits only" in (error_text(app, "phone") or "")
        assert "chief complaint" in (error_text(app, "complaint") or "")
        assert app.screen.focused is not None
        assert app.screen.focused.id == "sex"  # the first wrong field takes the cursor
        assert outbox(app) == []
        # A valid identity number fills the birth date and sex it encodes.
        await fill_new_patient(
            pilot, birth_date="", identifier=make("330106", date(1972, 6, 1), 22)
        )
        assert app.screen.query_one("#birth_date", Input).value == "1972-06-01"
        assert app.screen.query_one("#sex", Select).value == "female"
        await fill_new_patient(pilot, phone="139 1234 5678", complaint="胸闷", priority="EM")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, QueueScreen)
        new = table(app).selected
        assert new is not None
        assert (new.number, new.patient_name, new.pending) == (7, "欧阳明华", True)
        assert str(table(app).get_row(new.encounter_id)[5]) == "!!! EMERG"
        kinds = sorted((kind, operation) for kind, _, operation in outbox(app))
        assert kinds == [("Encounter", "create"), ("Patient", "create")]
        with app.cache.engine.connect() as connection:
            patient = read_resource(connection, "Patient", new.patient_id)
        assert patient is not None
        assert patient["name"][0]["family"] == "欧阳"
        assert patient["telecom"][0]["value"] == "13912345678"
        await press(pilot, "u")
        assert outbox(app) == []
        assert numbers(app) == [5, 2, 1, 3, 4, 6]


async def test_escape_on_a_filled_form_asks_before_discarding(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r", "ctrl+n")
        await fill_new_patient(pilot, name="赵六", complaint="咳嗽")
        await press(pilot, "escape")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Discard this registration?" in str(app.screen.query_one(".dialog-title").render())
        await press(pilot, "n")  # keep editing: everything typed is still there
        assert isinstance(app.screen, WalkInScreen)
        assert app.screen.query_one("#name", Input).value == "赵六"
        await press(pilot, "escape", "y")
        assert isinstance(app.screen, QueueScreen)
        assert outbox(app) == []


async def test_escape_on_an_untouched_form_closes_at_once(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r", "ctrl+n", "escape")
        assert isinstance(app.screen, QueueScreen)


async def test_change_status_to_left_requires_a_reason_and_undo_restores(
    tmp_path: Path,
) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "down")  # #2
        before = encounter(app, "e-2")
        await press(pilot, "s")
        assert isinstance(app.screen, StatusScreen)
        await press(pilot, "4", "enter")  # 'left' with an empty reason
        assert isinstance(app.screen, StatusScreen)
        assert "why" in str(app.screen.query_one("#reason-error", Static).render())
        await type_text(pilot, "等太久")
        await press(pilot, "enter")
        assert isinstance(app.screen, QueueScreen)
        assert status_of(app, "e-2") is QueueStatus.LEFT
        assert table(app).selected is not None
        assert table(app).selected.encounter_id == "e-2"  # the cursor stayed on the row
        stored = encounter(app, "e-2")
        assert stored is not None
        assert stored["status"] == "cancelled"
        assert {"url": LEFT_REASON_URL, "valueString": "等太久"} in stored["extension"]
        assert outbox(app) == [("Encounter", "e-2", "update")]
        await press(pilot, "u")
        assert status_of(app, "e-2") is QueueStatus.WAITING
        assert encounter(app, "e-2") == before
        assert outbox(app) == []  # back to what the server has: nothing left to upload


async def test_change_status_to_done_with_arrows(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(
            pilot, "down", "down", "down", "down"
        )  # #4 (rows: 5, 2, 1, 3, 4), in consultation
        await press(pilot, "s", "down", "enter")
        assert status_of(app, "e-4") is QueueStatus.DONE
        stored = encounter(app, "e-4")
        assert stored is not None
        assert stored["period"]["end"] == app.clock().isoformat()
        assert json.dumps(stored["extension"]).count("keep me") == 1


async def test_waiting_times_move_with_the_clock_and_stop_when_called(tmp_path: Path) -> None:
    clock = Clock()
    app = queue_app(tmp_path, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "escape")  # #5 called at 10:00 after waiting 10 minutes
        clock.advance(30)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        screen._tick()
        await settle(pilot)
        assert str(table(app).get_row("e-3")[7]) == "2h10"
        assert str(table(app).get_row("e-5")[7]) == "10 min"  # frozen once called


async def test_search_opens_the_chart_of_the_chosen_patient(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        assert isinstance(app.screen, PatientSearchScreen)
        await type_text(pilot, "zw")
        await press(pilot, "enter")
        assert isinstance(app.screen, ChartScreen)
        assert app.screen.patient_id == "p-zhang"


async def test_help_and_palette_list_every_queue_key(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Call next", "Chart", "Walk-in", "Status", "Undo", "Search"} <= titles
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = dict(app.screen.keys)
        for key, description in [
            ("n", "Call next"),
            ("r", "Walk-in"),
            ("s", "Status"),
            ("u", "Undo"),
            ("/", "Search"),
            ("j", "Cursor down"),
            ("k", "Cursor up"),
            ("home", "First row"),
            ("end", "Last row"),
        ]:
            assert listed.get(key) == description
        await press(pilot, "escape")
        assert isinstance(app.screen, QueueScreen)


async def test_chinese_labels(tmp_path: Path) -> None:
    i18n.set_language("zh")
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        headers = [str(column.label) for column in table(app).columns.values()]
        assert headers[1:4] == ["号", "姓名", "性别/年龄"]
        assert str(table(app).get_row("e-5")[5]) == "!!! 急诊"
        assert str(table(app).get_row("e-2")[3]) == "女 36岁"
        assert "候诊 4" in str(app.screen.query_one("#queue-counts", Static).render())


async def test_help_in_chinese_has_no_english_left(tmp_path: Path) -> None:
    # Textual's own keys (the table's cursor, scrolling, copy) are translated too.
    i18n.set_language("zh")
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        english = [d for _, d in app.screen.keys if any("a" <= c.lower() <= "z" for c in d)]
        assert english == [], english
        # Textual's own keys a clinician never needs are not listed at all.
        assert "复制所选文字" not in dict(app.screen.keys).values()


async def test_undo_with_nothing_to_undo_changes_nothing(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "u")
        assert outbox(app) == []
        assert numbers(app) == [5, 2, 1, 3, 4, 6]


async def test_walk_in_warns_when_the_patient_is_already_waiting(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r")
        await type_text(pilot, "陈建国")
        await press(pilot, "enter")
        assert isinstance(app.screen, WalkInScreen)
        note = str(app.screen.query_one("#walk-in-note", Static).render())
        assert "Already in today's queue as 3 (Waiting)" in note


ZHANG_ID = make("110105", date(1965, 4, 12), 11)
"""p-zhang's identity number (张伟, in consultation as #4)."""


def patient_json(app: ClinicApp, ident: str) -> dict[str, Any] | None:
    with app.cache.engine.connect() as connection:
        return read_resource(connection, "Patient", ident)


async def test_a_walk_in_with_an_identity_number_on_file_offers_that_patient(
    tmp_path: Path,
) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r", "ctrl+n")
        await fill_new_patient(
            pilot, name="张卫", identifier=ZHANG_ID, complaint="头痛", birth_date="1965-04-12"
        )
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, DuplicateScreen)  # nothing saved silently
        assert outbox(app) == []
        matches = app.screen.query_one(DataTable)
        assert [str(cell) for cell in matches.get_row_at(0)[:2]] == ["ID number", "张伟"]
        # Enter on the match: that patient, who is in consultation, so that is asked too.
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert "already in today's queue as 4" in str(
            app.screen.query_one(".dialog-title").render()
        )
        await press(pilot, "y")
        assert isinstance(app.screen, QueueScreen)
        new = table(app).selected
        assert new is not None
        assert (new.number, new.patient_id) == (7, "p-zhang")
        assert [kind for kind, _, _ in outbox(app)] == ["Encounter"]


async def test_a_new_patient_despite_a_match_needs_a_reason_and_records_it(
    tmp_path: Path,
) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r", "ctrl+n")
        await fill_new_patient(
            pilot, name="张卫", identifier=ZHANG_ID, complaint="头痛", birth_date="1965-04-12"
        )
        await press(pilot, "ctrl+s", "n", "enter")  # no reason given: refused
        assert isinstance(app.screen, DuplicateScreen)
        assert "why" in str(app.screen.query_one("#duplicate-reason-error").render())
        await type_text(pilot, "户口本核对号码登记有误")
        await press(pilot, "enter")
        assert isinstance(app.screen, QueueScreen)
        new = table(app).selected
        assert new is not None
        assert new.patient_id != "p-zhang"
        patient = patient_json(app, new.patient_id)
        assert patient is not None
        decision = {part["url"]: part for part in patient["extension"][0]["extension"]}
        assert patient["extension"][0]["url"] == DUPLICATE_DECISION_URL
        assert decision["matched"]["valueReference"]["reference"] == "Patient/p-zhang"
        assert decision["reason"]["valueString"] == "户口本核对号码登记有误"
        assert decision["on"]["valueCode"] == "identifier"


async def test_registering_someone_already_waiting_asks_first(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r")
        await type_text(pilot, "陈建国")
        await press(pilot, "enter")
        await type_text(pilot, "复查")
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "n")
        assert isinstance(app.screen, QueueScreen)
        assert sorted(numbers(app)) == [1, 2, 3, 4, 5, 6]  # nobody added
        assert outbox(app) == []


async def test_the_name_typed_in_the_search_fills_the_new_patient_form(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r")
        await type_text(pilot, "赵六")
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, WalkInScreen)
        assert app.screen.query_one("#name", Input).value == "赵六"
        assert app.screen.focused is not None
        assert app.screen.focused.id == "name"
        await press(pilot, "escape")  # only the search's text: nothing typed here to lose
        assert isinstance(app.screen, QueueScreen)


async def test_a_child_with_a_landline_guardian_and_details(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r", "ctrl+n")
        assert not app.screen.query_one("#guardian_name").parent.parent.display  # an adult?
        await fill_new_patient(pilot, name="刘小雨", sex="female", birth_date="2021-03-01")
        assert app.screen.query_one("#guardian_name").parent.parent.display  # a child
        await fill_new_patient(
            pilot,
            phone="0731-8888888",
            complaint="发热",
            address="青山镇团结村3组",
            insurance_number="h43012400012345",
            guardian_name="刘芳",
            guardian_relation="MTH",
            guardian_phone="+86 139 1234 5678",
            contact_name="刘强",
            contact_phone="010-12345678",
        )
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, QueueScreen)
        new = table(app).selected
        assert new is not None
        patient = patient_json(app, new.patient_id)
        assert patient is not None
        assert patient["telecom"] == [{"system": "phone", "value": "07318888888", "use": "home"}]
        assert patient["identifier"][0]["value"] == "H43012400012345"
        guardian, contact = patient["contact"]
        assert guardian["name"]["text"] == "刘芳"
        assert guardian["telecom"][0]["value"] == "13912345678"
        assert contact["telecom"][0] == {"system": "phone", "value": "01012345678", "use": "home"}


async def test_the_search_dialogs_load_patient_search_off_the_ui_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Building PatientSearch loads the ORM (a second or more on an old PC before the warm-up
    # is done); on the UI thread it froze the dialog and the keys typed meanwhile.
    app = queue_app(tmp_path)
    search = PatientSearch(app.cache.engine)
    threads: list[str] = []

    def recorded(_cache: object) -> PatientSearch:
        threads.append(threading.current_thread().name)
        return search

    monkeypatch.setattr(ClinicCache, "patients", property(recorded))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        threads.clear()  # the background warm-up may have built it already
        for key in ("r", "slash"):
            await press(pilot, key)
            await type_text(pilot, "zw")
            await press(pilot, "escape")
            if isinstance(app.screen, WalkInScreen):
                await press(pilot, "escape")
        assert threads
        assert threading.main_thread().name not in threads


async def test_ctrl_s_says_on_each_screen_what_it_does_there(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        said = {}
        for keys in ((), ("r",), ("ctrl+n",)):
            await press(pilot, *keys)
            active = app.screen.active_bindings.get("ctrl+s")
            said[type(app.screen).__name__] = active.binding.description if active else None
        # Sync on the queue, register on the form (shown in its footer), nothing in the search.
        assert said == {
            "QueueScreen": "Sync",
            "WalkInSearchScreen": None,
            "WalkInScreen": "Register patient",
        }
        footer = " ".join(str(key.render()) for key in app.screen.query("FooterKey"))
        assert "Register patient" in footer


def drawn_lines(app: ClinicApp) -> list[str]:
    """The terminal's lines as drawn now (wide characters once each)."""
    return [
        "".join(segment.text for segment in strip)
        for strip in app.screen._compositor.render_strips()
    ]


async def test_the_duplicate_dialog_shows_the_matching_row_at_80x24(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    # On file with an identity number and a phone: every column full, wider than 80.
    on_file = patient(
        "p-ma",
        "司马慧敏",
        "female",
        "1958-03-02",
        id_number=make("110105", date(1958, 3, 2), 22),
        phone="13912345678",
    )
    with app.cache.engine.begin() as connection:
        upsert_resources(connection, [on_file])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r", "ctrl+n")
        # The same name and birth date: a match.
        await fill_new_patient(
            pilot, name="司马慧敏", sex="female", birth_date="1958-03-02", complaint="头痛"
        )
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, DuplicateScreen)
        matches = app.screen.query_one(DataTable)
        # The header and every match lie in the part of the table no scrollbar covers.
        assert matches.scrollable_content_region.height >= matches.row_count + 1
        row = [line for line in drawn_lines(app) if "name, birth" in line]
        assert row
        assert "司马慧敏" in row[0]
        assert "1958-03-02" in row[0]
        # Every number whole at 80 columns: a phone cut by the border is another number.
        assert "13912345678" in row[0]
        assert make("110105", date(1958, 3, 2), 22) in row[0]


async def test_the_new_patient_form_starts_on_the_name(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r")
        await type_text(pilot, "赵")
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, WalkInScreen)
        name = app.screen.query_one("#name", Input)
        assert name.has_focus
        await type_text(pilot, "六")  # the name goes on where the search left it
        assert name.value == "赵六"


async def test_a_letter_on_a_closed_dropdown_picks_the_matching_choice(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r", "ctrl+n", "tab")
        sex = app.screen.query_one("#sex", Select)
        assert sex.has_focus
        assert not sex.expanded
        await press(pilot, "f")
        assert sex.value == "female"
        await press(pilot, "m")
        assert sex.value == "male"
        # A key no choice starts with is not lost: the list opens to show the choices.
        await press(pilot, "x")
        assert sex.expanded
        assert sex.value == "male"
        await press(pilot, "escape")
        priority = app.screen.query_one("#priority", Select)
        priority.focus()
        await press(pilot, "u")
        assert priority.value == "UR"


async def test_a_letter_on_a_closed_dropdown_in_chinese(tmp_path: Path) -> None:
    i18n.set_language("zh")
    app = queue_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "r", "ctrl+n", "tab")
        sex = app.screen.query_one("#sex", Select)
        await press(pilot, "f")  # the code's letter still picks: 女
        assert sex.value == "female"


async def test_escape_in_the_walk_in_search_goes_back_to_the_queue(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "r")
        await type_text(pilot, "赵六")
        await press(pilot, "escape")
        assert isinstance(app.screen, QueueScreen)
        assert outbox(app) == []


async def test_a_number_in_the_status_dialog_sets_that_status_at_once(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "down")  # #2, waiting
        await press(pilot, "s", "2")
        assert isinstance(app.screen, QueueScreen)
        assert status_of(app, "e-2") is QueueStatus.IN_CONSULTATION
        await press(pilot, "s", "3")
        assert isinstance(app.screen, QueueScreen)
        assert status_of(app, "e-2") is QueueStatus.DONE


async def test_the_summary_line_fits_80_columns(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(7):  # seven more: ten waiting once one has left
            await press(pilot, "r")
            await type_text(pilot, "John")
            await press(pilot, "enter")
            await type_text(pilot, "cough")
            await press(pilot, "enter", "y")
        await press(pilot, "end", "s", "4")
        await type_text(pilot, "went home")
        await press(pilot, "enter")
        line = next(text for text in drawn_lines(app) if "Waiting 10" in text)
        # Every count is drawn, the last one too, with its number.
        assert line.rstrip().endswith("Left 1")
        assert "Done 1" in line
        assert "1" in line.split("·")[1]


@pytest.mark.parametrize(("language", "expected"), [("en", "F 12d"), ("zh", "女 12天")])
async def test_a_newborn_in_the_queue_is_aged_in_days(
    tmp_path: Path, language: str, expected: str
) -> None:
    i18n.set_language(language)
    app = queue_app(tmp_path)
    # Born twelve days ago and waiting since 09:00: never '0mo'.
    arrived = QUEUE_NOW.replace(hour=9, minute=0)
    records = [
        patient("p-baby", "刘宝宝", "female", "2026-11-12"),
        visit("e-baby", "p-baby", 8, arrived, "发热"),
    ]
    with app.cache.engine.begin() as connection:
        upsert_resources(connection, records)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        row = table(app).get_row("e-baby")
        assert str(row[3]) == expected
        assert str(row[7]) == ("1h00" if language == "en" else "1小时00分")


async def test_the_inbox_writes_a_wait_as_the_queue_does() -> None:
    # One function for every screen: the inbox's wait and SLA cells are the queue's words.
    for minutes in (38, 60 + 5, 9 * 60 + 36, 3 * 24 * 60 + 4 * 60):
        span = timedelta(minutes=minutes)
        assert compact_span(span) == wait_text(QUEUE_NOW - span, QUEUE_NOW)
    assert compact_span(timedelta(minutes=38)) == "38 min"
    assert compact_span(timedelta(hours=9, minutes=36)) == "9h36"
    assert compact_span(timedelta(hours=3, minutes=10), rounded=True) == "3h"
