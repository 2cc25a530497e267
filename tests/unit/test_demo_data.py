"""The demo clinic: deterministic, clinically coherent, and readable through the cache's columns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from clinic_tui.__main__ import main
from clinic_tui.demo.generator import DemoClinic, DemoSummary, generate_demo_clinic
from clinic_tui.domain import national_id
from clinic_tui.domain.fhir import QUEUE_NUMBER_SYSTEM
from clinic_tui.errors import CacheError
from clinic_tui.followup.fhir_shapes import FASTING_GLUCOSE_CODES
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.engine import open_cache

CHINA = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 24, 10, 30, 15, tzinfo=CHINA)
CLINICAL_TABLES = (
    "encounter",
    "condition",
    "allergy_intolerance",
    "observation",
    "medication_request",
    "service_request",
    "task",
)


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, DemoSummary]]:
    """One 300-patient demo clinic shared by the read-only checks."""
    engine = open_cache(tmp_path_factory.mktemp("demo") / "clinic.sqlite3")
    summary = generate_demo_clinic(engine, patients=300, seed=11, now=NOW, workers=0)
    yield engine, summary
    engine.dispose()


def _json(clinic: DemoClinic) -> list[str]:
    return [json.dumps(resource, ensure_ascii=False) for resource in clinic.resources()]


def test_same_seed_gives_identical_resources_and_another_seed_does_not() -> None:
    first = _json(DemoClinic(patients=80, seed=5, now=NOW))
    again = _json(DemoClinic(patients=80, seed=5, now=NOW))
    other = _json(DemoClinic(patients=80, seed=6, now=NOW))
    assert first == again
    assert first != other
    ids = [json.loads(item)["id"] for item in first]
    assert len(ids) == len(set(ids)), "every resource id is unique"


def test_worker_processes_write_exactly_what_the_in_process_path_writes(tmp_path: Path) -> None:
    engines = [open_cache(tmp_path / name / "clinic.sqlite3") for name in ("serial", "parallel")]
    generate_demo_clinic(engines[0], patients=250, seed=3, now=NOW, workers=0)
    generate_demo_clinic(engines[1], patients=250, seed=3, now=NOW, workers=2)
    for table in ("patient", "organization", *CLINICAL_TABLES):
        sql = f"SELECT * FROM {table} ORDER BY id"
        assert _rows(engines[0], sql) == _rows(engines[1], sql), table
    for engine in engines:
        engine.dispose()


def test_every_national_id_is_valid_and_matches_birth_date_and_gender(
    demo: tuple[Engine, DemoSummary],
) -> None:
    engine, _ = demo
    patients = [json.loads(row[0]) for row in _rows(engine, "SELECT resource_json FROM patient")]
    with_national_id = 0
    for patient in patients:
        identifier = patient["identifier"][0]
        if identifier["system"] != national_id.IDENTIFIER_SYSTEM:
            # Foreign workers and visitors carry a passport instead.
            assert identifier["type"]["coding"][0]["code"] == "PPN"
            continue
        with_national_id += 1
        number = identifier["value"]
        assert national_id.validate(number) is None, number
        assert number[6:14] == patient["birthDate"].replace("-", "")
        assert int(number[16]) % 2 == (1 if patient["gender"] == "male" else 0)
    assert with_national_id >= 0.8 * len(patients)


def test_patients_look_like_a_township_population(demo: tuple[Engine, DemoSummary]) -> None:
    engine, summary = demo
    rows = _rows(
        engine,
        "SELECT name, family, phone, birth_date, organization_id FROM patient "
        f"WHERE organization_id = '{summary.clinic_id}'",
    )
    assert len(rows) == summary.patients == 300
    # The other townships' patients came with their referrals to the county hospital.
    others = _rows(engine, "SELECT organization_id FROM patient")
    assert len(others) - len(rows) == 30  # inbox_size(300) = 60 referrals, half of them
    han = [row for row in rows if "\u4e00" <= str(row[1])[:1] <= "\u9fff"]
    assert 0.8 * len(rows) <= len(han) < len(rows), "mostly Chinese names, some English"
    assert all(str(row[2]).isdigit() and len(str(row[2])) == 11 for row in rows)
    assert all(str(row[2])[:2] in ("13", "15", "18") for row in rows)
    elderly = sum(1 for row in rows if str(row[3]) < "1966-11-24")
    children = sum(1 for row in rows if str(row[3]) > "2012-11-24")
    assert elderly > 0.25 * len(rows)
    assert children > 0.05 * len(rows)


def test_all_three_allergy_states_occur(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    recorded = _rows(
        engine, "SELECT DISTINCT patient_id FROM allergy_intolerance WHERE no_known = 0"
    )
    no_known = _rows(engine, "SELECT DISTINCT patient_id FROM allergy_intolerance WHERE no_known")
    not_recorded = _rows(
        engine,
        "SELECT id FROM patient WHERE id NOT IN (SELECT patient_id FROM allergy_intolerance)",
    )
    assert recorded
    assert no_known
    assert not_recorded
    assert not {row[0] for row in recorded} & {row[0] for row in no_known}
    details = _rows(
        engine, "SELECT display, criticality, reaction FROM allergy_intolerance WHERE no_known = 0"
    )
    assert all(display and criticality in ("low", "high") and reaction for display, criticality,
               reaction in details)  # fmt: skip
    assert any(display == "青霉素" for display, _, _ in details)


def test_todays_queue_is_numbered_in_arrival_order_and_nobody_arrives_in_the_future(
    demo: tuple[Engine, DemoSummary],
) -> None:
    engine, summary = demo
    rows = _rows(
        engine,
        "SELECT queue_number, period_start, status, priority, chief_complaint, organization_id,"
        " resource_json FROM encounter WHERE queue_date = :today ORDER BY queue_number",
        today=NOW.date().isoformat(),
    )
    assert 20 <= len(rows) <= 60
    assert len(rows) == summary.queue
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
    arrivals = [datetime.fromisoformat(str(row[1])) for row in rows]
    assert arrivals == sorted(arrivals)
    assert all(arrival <= NOW and arrival.date() == NOW.date() for arrival in arrivals)
    statuses = [row[2] for row in rows]
    assert statuses.count("arrived") > len(rows) / 2
    assert "in-progress" in statuses
    assert "finished" in statuses
    assert {row[3] for row in rows} <= {"EM", "UR", "R"}
    assert [row[3] for row in rows].count("EM") <= 1
    assert all(str(row[4]).strip() for row in rows), "every registration has a chief complaint"
    assert {row[5] for row in rows} == {summary.clinic_id}
    numbers = [json.loads(str(row[6]))["identifier"][0] for row in rows]
    assert all(number["system"] == QUEUE_NUMBER_SYSTEM for number in numbers)


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 24, 6, 5, tzinfo=CHINA),
        datetime(2026, 11, 24, 0, 0, 0, tzinfo=CHINA),
        datetime(2026, 11, 24, 21, 40, 59, 999999, tzinfo=UTC),
    ],
)
def test_queue_arrivals_stay_between_midnight_and_now_at_any_hour(now: datetime) -> None:
    resources = list(DemoClinic(patients=40, seed=2, now=now).resources())
    queue = [
        r
        for r in resources
        if r["resourceType"] == "Encounter"
        and any(i["system"] == QUEUE_NUMBER_SYSTEM for i in r.get("identifier", []))
    ]
    assert 20 <= len(queue) <= 40
    for encounter in queue:
        start = datetime.fromisoformat(encounter["period"]["start"])
        moments = [
            datetime.fromisoformat(moment)
            for item in encounter.get("statusHistory", [])
            for moment in item["period"].values()
        ]
        assert all(start <= moment <= now for moment in moments)
        assert bool(moments) == (encounter["status"] != "arrived")
        assert start <= now
        assert start.date() == now.date()
        if "end" in encounter["period"]:
            assert start <= datetime.fromisoformat(encounter["period"]["end"]) <= now


def test_a_tiny_clinic_queues_every_patient_at_most_once() -> None:
    resources = list(DemoClinic(patients=3, seed=1, now=NOW).resources())
    queue = [r for r in resources if r["resourceType"] == "Encounter" and "identifier" in r]
    assert len(queue) == 3
    assert len({encounter["subject"]["reference"] for encounter in queue}) == 3


def test_every_reference_resolves(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    patients = {row[0] for row in _rows(engine, "SELECT id FROM patient")}
    for table in CLINICAL_TABLES:
        subjects = {row[0] for row in _rows(engine, f"SELECT patient_id FROM {table}")}
        assert subjects <= patients, table
    requests = {row[0] for row in _rows(engine, "SELECT id FROM service_request")}
    assert requests, "some patients have been referred"
    referral_tasks = _rows(engine, "SELECT focus_id FROM task WHERE kind = 'referral'")
    assert {row[0] for row in referral_tasks} == requests
    # A follow-up (downward referral) is part of the referral's Task, based on its request.
    follow_ups = _rows(engine, "SELECT part_of FROM task WHERE kind = 'follow-up'")
    tasks = {row[0] for row in _rows(engine, "SELECT id FROM task")}
    assert {row[0] for row in follow_ups} <= tasks
    conditions = {row[0] for row in _rows(engine, "SELECT id FROM condition")}
    encounters = {row[0] for row in _rows(engine, "SELECT id FROM encounter")}
    for (raw,) in _rows(engine, "SELECT resource_json FROM medication_request"):
        reason = json.loads(str(raw))["reasonReference"][0]["reference"]
        assert reason.removeprefix("Condition/") in conditions
    for (raw,) in _rows(engine, "SELECT resource_json FROM observation"):
        assert json.loads(str(raw))["encounter"]["reference"].removeprefix("Encounter/") in (
            encounters
        )


def test_organizations_referrals_and_clinic_id(demo: tuple[Engine, DemoSummary]) -> None:
    engine, summary = demo
    kinds = _rows(engine, "SELECT kind, id FROM organization")
    assert {kind for kind, _ in kinds} == {"township", "county", "city", "dept"}
    townships = {ident for kind, ident in kinds if kind == "township"}
    [county] = [ident for kind, ident in kinds if kind == "county"]
    assert summary.clinic_id in townships
    assert len(townships) == 3  # the demo's own, and two more referring to the county
    meta = dict(_rows(engine, "SELECT key, value FROM cache_meta"))
    assert meta["clinic_id"] == summary.clinic_id
    assert meta["demo_seed"] == "11"
    referrals = _rows(
        engine, "SELECT category, requester_org, performer_org, reason FROM service_request"
    )
    assert all(row[0] == "referral" and row[1] in townships for row in referrals)
    assert {row[2] for row in referrals} == {county}
    assert all(row[3] for row in referrals)
    tasks = _rows(engine, "SELECT status, owner_org FROM task WHERE kind = 'referral'")
    assert {status for status, _ in tasks} <= {
        "requested", "received", "accepted", "rejected", "in-progress", "completed", "cancelled",
    }  # fmt: skip
    assert {owner for _, owner in tasks} == {county}
    follow_ups = _rows(engine, "SELECT owner_org FROM task WHERE kind = 'follow-up'")
    assert {owner for (owner,) in follow_ups} <= townships
    assert _rows(engine, "SELECT count(*) FROM practitioner")[0][0] >= 5


def test_records_are_coded_and_fit_the_problems(demo: tuple[Engine, DemoSummary]) -> None:
    engine, _ = demo
    codes = {row[0] for row in _rows(engine, "SELECT code FROM condition")}
    assert {"I10", "E11.9"} <= codes
    vitals = _rows(engine, "SELECT DISTINCT code, category, unit FROM observation")
    # Vital signs, and the fasting glucose of the registries' follow-ups (demo/follow_ups.py).
    assert {row[1] for row in vitals} <= {"vital-signs", "laboratory"}
    assert all(row[0] in FASTING_GLUCOSE_CODES for row in vitals if row[1] == "laboratory")
    assert {"85354-9", "8867-4", "8310-5", "29463-7"} <= {row[0] for row in vitals}
    pressures = _rows(
        engine,
        "SELECT o.value, o.value2, o.patient_id IN (SELECT patient_id FROM condition"
        " WHERE code = 'I10') FROM observation o WHERE o.code = '85354-9'",
    )
    assert all(60 < sys < 220 and 35 < dia < sys for sys, dia, _ in pressures)

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    hypertensive = mean([float(s) for s, _, has in pressures if has])
    assert hypertensive > mean([float(s) for s, _, has in pressures if not has]) + 10
    drugs = _rows(engine, "SELECT medication, dosage_text, status FROM medication_request")
    assert drugs
    assert all(name and sig and status == "active" for name, sig, status in drugs)
    assert any(sig == "5 mg 口服 每日一次 qd" for _, sig, _ in drugs)
    aspirin_allergic = _rows(
        engine,
        "SELECT count(*) FROM medication_request WHERE medication = '阿司匹林肠溶片' AND patient_id"
        " IN (SELECT patient_id FROM allergy_intolerance WHERE display = '阿司匹林')",
    )
    assert aspirin_allergic == [(0,)]


def test_summary_reads_like_a_sentence() -> None:
    summary = DemoSummary(patients=2000, queue=31, records=48210, clinic_id="x", clinic_name="y")
    assert str(summary) == "2,000 patients, 31 in today's queue, 48,210 records"


def test_a_second_run_on_the_same_cache_is_refused_and_changes_nothing(engine: Engine) -> None:
    first = generate_demo_clinic(engine, patients=40, seed=1, now=NOW)
    count = _rows(engine, "SELECT count(*) FROM observation")
    with pytest.raises(CacheError, match="only written into an empty cache"):
        generate_demo_clinic(engine, patients=40, seed=1, now=NOW)
    assert _rows(engine, "SELECT count(*) FROM observation") == count
    assert _rows(
        engine, f"SELECT count(*) FROM patient WHERE organization_id = '{first.clinic_id}'"
    ) == [(first.patients,)]


def test_cli_writes_a_demo_clinic_once_then_refuses_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = str(tmp_path / "clinic")
    assert main(["demo-data", "--patients", "30", "--seed", "4", "--data-dir", data_dir]) == 0
    assert "30 patients" in capsys.readouterr().err
    assert main(["demo-data", "--patients", "30", "--data-dir", data_dir]) == 3
    error = capsys.readouterr().err
    assert "already holds" in error
    assert "Traceback" not in error
    assert len(error.strip().splitlines()) == 1


def test_the_app_facade_opens_on_the_township_and_its_queue(
    demo: tuple[Engine, DemoSummary],
) -> None:
    engine, summary = demo
    cache = ClinicCache(engine)
    assert cache.clinic.id == summary.clinic_id
    assert cache.clinic.name == summary.clinic_name == "青山镇卫生院"
    queue = cache.queue.today(NOW.date())
    assert [entry.number for entry in queue] == list(range(1, summary.queue + 1))
    assert all(entry.patient_name and entry.chief_complaint for entry in queue)
    names = [row[0] for row in _rows(engine, "SELECT name FROM practitioner")]
    assert all(names)


def test_the_hospital_side_has_departments_and_referrals_in_every_state(
    demo: tuple[Engine, DemoSummary],
) -> None:
    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.referral.inbox import read_departments, read_inbox, resolve_hospital

    engine, summary = demo
    with connect(Path(str(engine.url.database))) as connection:
        hospital = resolve_hospital(connection, summary.clinic_id)
        assert hospital is not None
        departments = {d.name for d in read_departments(connection, hospital)}
        rows = read_inbox(connection, hospital)
    assert {"心内科", "内分泌科", "呼吸内科", "普外科", "儿科", "神经内科"} <= departments
    assert len(departments) == 9  # the townships partOf the county are no department
    assert {row.status for row in rows} == {
        "requested", "received", "accepted", "in-progress", "completed", "rejected", "cancelled"
    }  # fmt: skip
    assert len({row.from_name for row in rows}) == 3
    threads = _rows(engine, "SELECT count(DISTINCT task_id) FROM communication")
    assert threads[0][0] > 0
    due = _rows(engine, "SELECT due_date FROM task WHERE kind = 'follow-up'")
    assert due
    experts = _rows(engine, "SELECT count(*) FROM practitioner")
    assert experts[0][0] >= 9 + 2 * len(departments)


def test_no_visit_or_measurement_is_dated_before_the_patients_birth(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    # This seed and day draw a visit before an infant's birth (赵俊熙, born 2026-04-23).
    engine = open_cache(tmp_path / "clinic.sqlite3")
    now = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    generate_demo_clinic(engine, patients=200, seed=7, now=now, workers=0)
    before_birth = _rows(
        engine,
        "SELECT o.id FROM observation o JOIN patient p ON p.id = o.patient_id "
        "WHERE substr(o.effective, 1, 10) < p.birth_date",
    )
    assert before_birth == []
    visits_before_birth = _rows(
        engine,
        "SELECT e.id FROM encounter e JOIN patient p ON p.id = e.patient_id "
        "WHERE substr(e.period_start, 1, 10) < p.birth_date",
    )
    engine.dispose()
    assert visits_before_birth == []
