"""The demo clinic's chronic-disease registries (demo/follow_ups.py): who is enrolled, the year
of 随访 they have, and that the registries add records without changing any other."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine

from clinic_tui.demo.follow_ups import ENROLLED_SHARE, MIN_AGE
from clinic_tui.demo.generator import DemoClinic, generate_demo_clinic
from clinic_tui.domain.fhir import Resource
from clinic_tui.followup.classify import classify
from clinic_tui.followup.indicators import compute_indicators
from clinic_tui.followup.model import Programme
from clinic_tui.followup.registry import ChronicRegistry
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.engine import open_cache

NOW = datetime(2026, 11, 24, 10, 30, 15, tzinfo=timezone(timedelta(hours=8)))
TODAY = NOW.date()
REGISTRY_TYPES = {"EpisodeOfCare", "Encounter", "Observation", "QuestionnaireResponse", "Task"}


def _lines(resources: list[Resource]) -> dict[str, str]:
    return {r["id"]: json.dumps(r, ensure_ascii=False, sort_keys=True) for r in resources}


def test_the_registries_add_records_and_change_none() -> None:
    without = _lines(list(DemoClinic(patients=120, seed=4, now=NOW, registries=False).resources()))
    clinic = DemoClinic(patients=120, seed=4, now=NOW)
    with_them = _lines(list(clinic.resources()))
    # Nothing changes but a referral's summary, which states the chart on the referral's day
    # and so the follow-ups' vital signs when they are the latest then (its note alone).
    changed = [ident for ident, line in without.items() if with_them.get(ident) != line]
    for ident in changed:
        before, after = json.loads(without[ident]), json.loads(with_them[ident])
        assert before["resourceType"] == "ServiceRequest", before["resourceType"]
        assert {k: v for k, v in before.items() if k != "note"} == {
            k: v for k, v in after.items() if k != "note"
        }
    added = [json.loads(with_them[i]) for i in with_them.keys() - without.keys()]
    assert {r["resourceType"] for r in added} == REGISTRY_TYPES
    # Every added visit belongs to a programme; every added Task is a next follow-up.
    assert all(r["episodeOfCare"] for r in added if r["resourceType"] == "Encounter")
    assert all(
        r["code"]["coding"][0]["code"] == "chronic-follow-up"
        for r in added
        if r["resourceType"] == "Task"
    )


def test_only_diagnosed_patients_of_35_or_over_are_enrolled() -> None:
    resources = list(DemoClinic(patients=400, seed=5, now=NOW).resources())
    births = {
        r["id"]: date.fromisoformat(r["birthDate"])
        for r in resources
        if r["resourceType"] == "Patient"
    }
    diagnosed: dict[str, set[str]] = {}
    for r in resources:
        if (
            r["resourceType"] == "Condition"
            and r["clinicalStatus"]["coding"][0]["code"] == "active"
        ):
            patient = r["subject"]["reference"].removeprefix("Patient/")
            diagnosed.setdefault(patient, set()).add(r["code"]["coding"][0]["code"])
    wanted = {Programme.HYPERTENSION.value: "I10", Programme.DIABETES.value: "E11.9"}
    enrolled: set[str] = set()
    for r in resources:
        if r["resourceType"] != "EpisodeOfCare":
            continue
        patient = r["patient"]["reference"].removeprefix("Patient/")
        age = (TODAY - births[patient]).days // 365
        assert age >= MIN_AGE - 1
        assert wanted[r["type"][0]["coding"][0]["code"]] in diagnosed[patient]
        enrolled.add(patient)
    qualifying = {
        p
        for p, codes in diagnosed.items()
        if codes & {"I10", "E11.9"} and (TODAY - births[p]).days // 365 >= MIN_AGE
    }
    assert qualifying
    share = len(enrolled & qualifying) / len(qualifying)
    assert ENROLLED_SHARE - 0.15 < share <= 1.0


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = Path(tmp_path_factory.mktemp("demo")) / "clinic.sqlite3"
    engine = open_cache(path)
    generate_demo_clinic(engine, patients=300, seed=7, now=NOW, workers=0)
    yield engine
    engine.dispose()


def test_the_follow_up_list_has_due_overdue_and_unseen_patients(demo_cache: Engine) -> None:
    cache = ClinicCache(demo_cache)
    items = ChronicRegistry(demo_cache, cache.clinic).due_list(TODAY)
    assert any(i.due is not None and i.due < TODAY for i in items), "some are overdue"
    assert any(i.due is not None and i.due >= TODAY for i in items), "some are due this week"
    assert any(
        i.last_control is not None and i.last_control.value == "unsatisfactory" for i in items
    )


def test_one_patient_has_an_urgent_sign_and_the_visits_read_back(demo_cache: Engine) -> None:
    cache = ClinicCache(demo_cache)
    registry = ChronicRegistry(demo_cache, cache.clinic)
    with demo_cache.connect() as c:
        births = {
            str(row[0]): date.fromisoformat(str(row[1]))
            for row in c.exec_driver_sql(
                "SELECT DISTINCT e.patient_id, p.birth_date FROM episode_of_care e"
                " JOIN patient p ON p.id = e.patient_id ORDER BY e.patient_id"
            )
        }
    urgent = []
    for patient, birth in births.items():
        visits = registry.visits(patient)
        for number, visit in enumerate(visits):
            # The demo's classification is the rules' own: classify again from the values,
            # with the age on the day (80 and over have a target of their own).
            day = visit.when.date()
            age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
            again = classify(visit.programmes, visit.values, visits[number + 1 :], day, age=age)
            assert again.control is visit.control
            if again.urgent:
                urgent.append((patient, number))
    assert len(urgent) == 1
    assert urgent[0][1] == 0, "the urgent sign is at the patient's latest visit"


def test_the_indicators_of_the_demo_year(demo_cache: Engine) -> None:
    found = compute_indicators(demo_cache, TODAY - timedelta(days=364), TODAY)
    hypertension = found.programmes[0]
    assert hypertension.programme is Programme.HYPERTENSION
    assert 0 < hypertension.controlled < hypertension.registered
    assert 0 < hypertension.managed_to_standard < hypertension.registered
    assert found.overdue_total > 0
