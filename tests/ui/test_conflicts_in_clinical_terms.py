"""The conflicts screen in a clinician's words: the patient's name, each field's label and its
values as the app shows them, a choice per field, and messages that say what is true
(issue 9, point 7)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from textual.widgets import Static

from clinic_tui.app import ClinicApp
from clinic_tui.domain.merge import three_way_merge
from clinic_tui.offline_cache.conflicts import ConflictStore
from clinic_tui.offline_cache.store import read_resource, record_local_change
from clinic_tui.screens.conflict_editor import ConflictEditor
from clinic_tui.screens.conflicts import ConflictList, ConflictsScreen, FieldChoices
from tests.ui.conflict_fixtures import make_conflicts
from tests.ui.pilot import press, settle
from tests.ui.queue_app import queue_app

pytestmark = pytest.mark.anyio


def record_conflict(
    engine: Engine, kind: str, ident: str, mine: dict[str, Any], theirs: dict[str, Any]
) -> None:
    """Record a conflict on a cached record as a sync would."""
    with engine.connect() as connection:
        base = read_resource(connection, kind, ident)
    assert base is not None
    local = copy.deepcopy(base) | mine
    record_local_change(engine, local, "update")
    remote = copy.deepcopy(base) | theirs | {"meta": {"versionId": "2"}}
    outcome = three_way_merge(base, local, remote)
    with engine.begin() as connection:
        ConflictStore(engine).record(
            connection, kind, ident, base, local, remote, outcome.conflicts
        )


def message(app: ClinicApp) -> str:
    return str(app.screen.query_one("#conflicts-message", Static).render())


def field_rows(app: ClinicApp) -> list[list[str]]:
    table = app.screen.query_one(FieldChoices)
    return [[str(cell) for cell in table.get_row(row.key)] for row in table.ordered_rows]


async def test_a_visit_conflict_names_the_patient_and_shows_statuses_in_words(
    tmp_path: Path,
) -> None:
    app = queue_app(tmp_path)
    # #5 王小明's visit: called in here, marked done on the server meanwhile.
    record_conflict(
        app.cache.engine,
        "Encounter",
        "e-5",
        {"status": "in-progress"},
        {"status": "finished", "priority": {"coding": [{"code": "UR"}]}},
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c")
        row = [str(cell) for cell in app.screen.query_one(ConflictList).get_row_at(0)]
        assert row[1] == "王小明"
        assert row[2] == "Visit 2026-11-24 高热惊厥"
        [[_, label, mine, theirs, base, choice]] = field_rows(app)
        assert (label, mine, theirs, base) == ("Status", "In consultation", "Done", "Waiting")
        assert choice == "—"
        shown = " ".join(" ".join(r) for r in field_rows(app))
        for raw in ("arrived", "in-progress", "finished", "{"):
            assert raw not in shown


async def test_choose_field_by_field_then_save(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    record_conflict(
        app.cache.engine,
        "Patient",
        "p-chen",
        {"birthDate": "1979-12-21", "telecom": [{"system": "phone", "value": "13911112222"}]},
        {"birthDate": "1979-02-12", "telecom": [{"system": "phone", "value": "13733334444"}]},
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c", "e")
        assert app.screen.focused is app.screen.query_one(FieldChoices)
        labels = [row[1] for row in field_rows(app)]
        assert labels == ["Birth date", "Phone"]
        await press(pilot, "t")  # birth date: the server's; the cursor moves to the phone
        await press(pilot, "ctrl+s")
        assert "Still to choose: Phone" in message(app)
        assert ConflictStore(app.cache.engine).count() == 1  # nothing saved yet
        await press(pilot, "m", "ctrl+s")
        assert ConflictStore(app.cache.engine).count() == 0
        with app.cache.engine.connect() as connection:
            chen = read_resource(connection, "Patient", "p-chen")
        assert chen is not None
        assert chen["birthDate"] == "1979-02-12"
        assert chen["telecom"] == [{"system": "phone", "value": "13911112222"}]


async def test_after_keep_mine_the_screen_says_queued_not_on_the_server(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    make_conflicts(app.cache.engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c", "m", "m")
        said = message(app)
        assert "queued" in said
        assert "2 changes queued" in said
        assert "reached the server" not in said  # they have not: nothing was sent


async def test_keys_with_no_conflict_selected_say_so(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c")
        assert isinstance(app.screen, ConflictsScreen)
        for key in ("m", "t", "e", "a"):
            app.screen.query_one("#conflicts-message", Static).update("")
            await press(pilot, key)
            assert "No conflict selected" in message(app), key
        assert isinstance(app.screen, ConflictsScreen)


async def test_raw_json_only_behind_the_advanced_key(tmp_path: Path) -> None:
    app = queue_app(tmp_path)
    make_conflicts(app.cache.engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "c", "e")
        assert not isinstance(app.screen, ConflictEditor)
        await press(pilot, "escape", "a")
        assert isinstance(app.screen, ConflictEditor)
    with app.cache.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM conflict")).scalar_one() == 2
