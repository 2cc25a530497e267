"""--history-years: the default clinic is unchanged; more years add older, coherent records."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from clinic_tui.__main__ import build_parser, main
from clinic_tui.demo import records
from clinic_tui.demo.generator import DemoClinic
from clinic_tui.domain.fhir import QUEUE_NUMBER_SYSTEM, Resource
from clinic_tui.offline_cache.engine import open_cache

NOW = datetime(2026, 11, 24, 10, 30, 15, tzinfo=timezone(timedelta(hours=8)))
TODAY = NOW.date()
DEFAULT_60_SEED_7 = "d2ae62310765fd50ca8934ffba621c3022e59f424e1de015b1f1ba3683c0cacf"
"""sha256 of DemoClinic(patients=60, seed=7, now=NOW) as generated before --history-years."""


def _lines(resources: list[Resource]) -> list[str]:
    return [json.dumps(resource, ensure_ascii=False, sort_keys=True) for resource in resources]


def _clinic(patients: int, seed: int, **options: int) -> list[Resource]:
    # Without the chronic-disease registries (their own Random: tests/unit/test_demo_follow_ups
    # shows they add records and change none), the clinic these figures were pinned on.
    clinic = DemoClinic(patients=patients, seed=seed, now=NOW, registries=False, **options)
    return list(clinic.resources())


def _day(resource: Resource) -> date | None:
    """The day a visit record was made; None for records without one (patients, staff)."""
    moment = (
        (resource.get("period") or {}).get("start")
        or resource.get("effectiveDateTime")
        or (resource.get("authoredOn") if resource["resourceType"] == "MedicationRequest" else None)
    )
    return date.fromisoformat(moment[:10]) if moment else None


def _is_queue(resource: Resource) -> bool:
    return any(item.get("system") == QUEUE_NUMBER_SYSTEM for item in resource.get("identifier", []))


def test_the_default_clinic_is_byte_identical_to_before(monkeypatch: pytest.MonkeyPatch) -> None:
    everything = _clinic(60, 7)
    # Referrals of months ago are closed since the triage inbox came (records._OPEN_FOR_DAYS),
    # without drawing from the random stream: with that rule off, and without the hospital's
    # side (its own Random), the township's records are byte for byte what they were.
    monkeypatch.setattr(records, "_OPEN_FOR_DAYS", 10**6)
    clinic = DemoClinic(patients=60, seed=7, now=NOW, registries=False)
    hospital = {id(r) for r in (*clinic.hospital_side.fixed(), *clinic.hospital_side.records)}
    township = [r for r in clinic.resources() if id(r) not in hospital]
    # Consultation notes were added later without drawing from the random stream: every
    # other record is still byte for byte what it was.
    default = [r for r in township if r["resourceType"] != "DocumentReference"]
    lines = _lines(default)
    digest = hashlib.sha256("".join(line + "\n" for line in lines).encode()).hexdigest()
    assert len(default) == 805
    assert digest == DEFAULT_60_SEED_7
    assert _lines(_clinic(60, 7, history_years=2)) == _lines(everything)


def test_every_recent_past_visit_has_its_consultation_note() -> None:
    resources = _clinic(60, 7)
    notes = {
        r["context"]["encounter"][0]["reference"]: r
        for r in resources
        if r["resourceType"] == "DocumentReference"
    }
    visits = [
        r
        for r in resources
        if r["resourceType"] == "Encounter" and r["status"] == "finished" and not _is_queue(r)
    ]
    assert len(notes) == len(visits) == 130
    assert set(notes) == {f"Encounter/{v['id']}" for v in visits}


def test_more_years_keep_the_last_two_and_add_older_visits_with_vitals() -> None:
    default = _clinic(150, 3)
    denser = _clinic(150, 3, history_years=6)
    assert set(_lines(default)) < set(_lines(denser)), "older records are only added"
    before = Counter(resource["resourceType"] for resource in default)
    after = Counter(resource["resourceType"] for resource in denser)
    # 150 of the township, 15 of the other townships referring to the county hospital.
    assert after["Patient"] == before["Patient"] == 165
    assert after["Encounter"] > 1.8 * before["Encounter"]
    assert after["Observation"] > 1.8 * before["Observation"]
    assert after["MedicationRequest"] > 2 * before["MedicationRequest"]
    encounters = {r["id"] for r in denser if r["resourceType"] == "Encounter"}
    old = [r for r in denser if r["resourceType"] == "Observation" and _day(r) is not None]
    assert any(TODAY - day > timedelta(days=4 * 365) for day in map(_day, old) if day)
    assert all(r["encounter"]["reference"].removeprefix("Encounter/") in encounters for r in old)


def test_every_added_record_lies_in_the_window_after_birth_and_onset() -> None:
    years = 6
    default_ids = {r["id"] for r in _clinic(150, 3)}
    denser = _clinic(150, 3, history_years=years)
    births = {
        f"Patient/{r['id']}": date.fromisoformat(r["birthDate"])
        for r in denser
        if r["resourceType"] == "Patient"
    }
    onsets = {
        f"Condition/{r['id']}": date.fromisoformat(r["onsetDateTime"])
        for r in denser
        if r["resourceType"] == "Condition"
    }
    added = [r for r in denser if r["id"] not in default_ids]
    assert added
    for resource in added:
        day = _day(resource)
        if day is None:
            assert resource["resourceType"] == "Condition", resource["resourceType"]
            continue
        assert TODAY - timedelta(days=years * 365) <= day < TODAY - timedelta(days=2 * 365)
        assert day > births[resource["subject"]["reference"]]
        if resource["resourceType"] == "MedicationRequest":
            assert resource["status"] == "completed", "an old prescription is no longer active"
            assert day >= onsets[resource["reasonReference"][0]["reference"]]
    for resource in denser:
        if resource["resourceType"] in ("Encounter", "Observation") and not _is_queue(resource):
            day = _day(resource)
            assert day is not None
            assert TODAY - timedelta(days=years * 365) <= day <= TODAY


def test_one_year_keeps_every_visit_within_the_last_year() -> None:
    visits = [
        r for r in _clinic(100, 5, history_years=1)
        if r["resourceType"] in ("Encounter", "Observation") and not _is_queue(r)
    ]  # fmt: skip
    assert visits
    assert all(TODAY - timedelta(days=365) <= (_day(r) or TODAY) <= TODAY for r in visits)


def test_a_denser_history_is_deterministic_for_a_seed() -> None:
    first = _lines(_clinic(80, 9, history_years=5))
    assert first == _lines(_clinic(80, 9, history_years=5))
    assert first != _lines(_clinic(80, 10, history_years=5))
    ids = [json.loads(line)["id"] for line in first]
    assert len(ids) == len(set(ids)), "every resource id is unique"


@pytest.mark.parametrize("years", [0, -1, 21, 50])
def test_the_generator_refuses_a_nonsense_number_of_years(years: int) -> None:
    with pytest.raises(ValueError, match="1 to 20"):
        DemoClinic(patients=5, seed=1, now=NOW, history_years=years)


@pytest.mark.parametrize("command", ["demo-data", "seed-server"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "expected a number of years from 1 to 20, got 0"),
        ("-1", "expected a number of years from 1 to 20, got -1"),
        ("50", "expected a number of years from 1 to 20, got 50"),
        ("many", "expected a whole number, got 'many'"),
    ],
)
def test_the_command_line_refuses_bad_values_with_one_message(
    command: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--history-years", value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --history-years: {message}" in err
    assert "Traceback" not in err


def test_both_commands_default_to_two_years() -> None:
    parser = build_parser()
    for command in ("demo-data", "seed-server"):
        assert parser.parse_args([command]).history_years == 2
        assert parser.parse_args([command, "--history-years", "4"]).history_years == 4


def test_demo_data_writes_the_longer_history(tmp_path: Path) -> None:
    counts: dict[int, int] = {}
    for years in (2, 4):
        folder = tmp_path / str(years)
        argv = ["--data-dir", str(folder), "demo-data", "--patients", "40", "--seed", "2"]
        assert main([*argv, "--history-years", str(years)]) == 0
        engine = open_cache(folder / "clinic.sqlite3")
        with engine.connect() as connection:
            counts[years] = connection.execute(text("SELECT count(*) FROM encounter")).scalar_one()
            meta = connection.execute(
                text("SELECT value FROM cache_meta WHERE key = 'demo_history_years'")
            ).scalar()
        engine.dispose()
        assert meta == str(years)
    assert counts[4] > counts[2]
