"""Bursts of keys through a real pty land where the same keys typed slowly would land."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import upsert_resources
from tests.factories import CLINIC_ID, organization
from tests.ui.patient_search_fixtures import PATIENTS
from tests.ui.terminal import CTRL_N, CTRL_S, DOWN, ENTER, TAB, Terminal


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    """A cache folder with the search fixture patients at one township clinic."""
    engine: Engine = open_cache(tmp_path / "clinic.sqlite3")
    with engine.begin() as connection:
        upsert_resources(connection, [organization(CLINIC_ID, "青山镇卫生院"), *PATIENTS])
    engine.dispose()
    return tmp_path


def test_a_new_patient_typed_in_one_burst_lands_field_by_field(clinic: Path) -> None:
    with Terminal(clinic) as terminal:
        terminal.wait_for("Walk-in")
        terminal.send("r")
        terminal.wait_for("Ctrl+N: new patient")
        terminal.send(CTRL_N)
        terminal.wait_for("YYYY-MM-DD")
        terminal.forget()
        # Name, Tab past Sex (the identity number fills it), then the reader's burst.
        fields = ["王测试", "", "1990-03-07", "110101199003071233", "13812345678", "发热"]
        terminal.send(TAB.join(fields) + CTRL_S)
        assert terminal.wait_for("Registered", "Fix the fields") == "Registered"
        assert terminal.quit() == 0
    engine = open_cache(clinic / "clinic.sqlite3")
    with engine.connect() as connection:
        patient = connection.execute(
            text(
                "SELECT id, name, birth_date, identifier, phone FROM patient WHERE name = '王测试'"
            )
        ).one()
        complaint = connection.execute(
            text("SELECT chief_complaint FROM encounter WHERE patient_id = :id"),
            {"id": patient.id},
        ).scalar_one()
    engine.dispose()
    assert (patient.birth_date, patient.identifier, patient.phone) == (
        "1990-03-07",
        "110101199003071233",
        "13812345678",
    )
    assert complaint == "发热"


def test_two_downs_and_enter_in_one_burst_choose_the_second_row(clinic: Path) -> None:
    with Terminal(clinic) as terminal:
        terminal.wait_for("Walk-in")
        terminal.send("r")
        terminal.wait_for("Ctrl+N: new patient")
        terminal.send("zs")
        terminal.wait_for("3 patients")  # 张三, 张珊, 章三丰
        terminal.forget()
        terminal.send(DOWN + DOWN + ENTER)
        chosen = terminal.wait_for(
            *(f"Walk-in registration: {n}" for n in ("张三", "张珊", "章三丰"))
        )
        assert chosen == "Walk-in registration: 张珊"
        assert terminal.quit() == 0


def test_v_and_enter_in_one_burst_open_the_follow_up_form_of_the_most_overdue(
    tmp_path: Path,
) -> None:
    from tests.ui.followup_fixtures import followup_cache

    engine = open_cache(tmp_path / "clinic.sqlite3")
    followup_cache(engine)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT OR REPLACE INTO cache_meta (key, value) VALUES ('clinic_id', 'org-town')")
        )
    engine.dispose()
    with Terminal(tmp_path) as terminal:
        terminal.wait_for("Walk-in")
        terminal.forget()
        # The list is read in a worker: the Enter typed with v waits for its first row.
        terminal.send("v" + ENTER)
        assert terminal.wait_for("Follow-up visit: 张伟", "Follow-up visit: 赵") == (
            "Follow-up visit: 张伟"
        )
        assert terminal.quit() == 0
