"""Every demo referral's summary states what the patient's chart held on the referral's day.

The chart is read the way the app reads it (ChartRepository over the cache), and the
summary's lines are taken apart: its problems, allergies, medicines and vital signs must
be exactly the chart's as of the referral's day: none missing, none made up. Checked over
the demo township's cache (its own patients) and over everything a seeded server holds
(the other townships' patients too, whose records those townships keep).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from clinic_tui.demo import referral_summary as words
from clinic_tui.demo.generator import DemoClinic, generate_demo_clinic
from clinic_tui.domain.models import AllergyState, Chart
from clinic_tui.offline_cache.chart_repository import ChartRepository
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import bulk_insert_resources
from clinic_tui.offline_cache.tables import RESOURCE_TABLES

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=timezone(timedelta(hours=8)))
PATIENTS = 90
SEED = 7

_LINE = re.compile(r"^(?P<label>[^：（]+)(?:（(?P<day>[\d-]+)）)?：(?P<items>.*)$")


def _lines(summary: str) -> dict[str, tuple[str | None, list[str]]]:
    """label -> (the day in brackets, the items) of each labelled line of a summary."""
    found = {}
    for line in summary.splitlines():
        match = _LINE.match(line)
        assert match, f"unreadable summary line {line!r}"
        items = match["items"].split(words.SEPARATOR)
        found[match["label"]] = (match["day"], items)
    return found


def _allergy_days(engine: Engine, patient: str) -> list[tuple[str, str]]:
    """(substance, recorded day) of the patient's cached allergy records."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT resource_json FROM allergy_intolerance WHERE patient_id = :p"),
            {"p": patient},
        )
        found = []
        for (resource_json,) in rows:
            resource = json.loads(resource_json)
            substance = resource["code"].get("text", "")
            found.append((substance, str(resource.get("recordedDate", ""))[:10]))
    return found


def _check(engine: Engine, chart: Chart, patient: str, summary: str, day: date) -> None:
    lines = _lines(summary)
    iso = day.isoformat()
    # Problems: the chart's active problems that had begun by that day.
    problems = {
        f"{p.code or ''} {p.display}".strip()
        for p in chart.problems
        if p.clinical_status in ("active", "recurrence", "relapse") and p.onset and p.onset <= day
    }
    stated = set(lines[words.PROBLEMS][1]) - {words.NONE_RECORDED}
    assert stated == problems, (patient, summary)
    # Allergies: those recorded by that day, or what the chart said of them then.
    recorded = [(s, d) for s, d in _allergy_days(engine, patient) if d <= iso]
    substances = {a.substance for a in chart.allergies}
    stated_allergies = lines[words.ALLERGIES][1]
    real = [s for s, _ in recorded if s != "无已知过敏"]
    if real:
        assert {item.split("（")[0] for item in stated_allergies} == set(real), summary
        assert set(real) <= substances, summary
    elif recorded:
        assert chart.allergy_state is not AllergyState.RECORDED or not substances
        assert stated_allergies == [words.NO_KNOWN_ALLERGIES], summary
    else:
        assert stated_allergies == [words.ALLERGIES_NOT_RECORDED], summary
    # Medicines: the active orders written by that day, name and dosage as the chart shows.
    medicines = {
        f"{m.name} {m.dosage}".strip()
        for m in chart.medications
        if m.authored_on is not None and m.authored_on <= day
    }
    stated = set(lines[words.MEDICATIONS][1]) - {words.NONE_RECORDED}
    assert stated == medicines, (patient, summary)
    # Vital signs: each sign's latest value by that day, and the day of the latest.
    expected: list[str] = []
    days: list[date] = []
    for series in chart.vital_history.values():
        before = [v for v in series if v.effective.date() <= day]
        if before:
            vital = before[-1]
            value = f"{vital.value:g}"
            if vital.second_value is not None:
                value += f"/{vital.second_value:g}"
            expected.append(value)
            days.append(vital.effective.date())
    vitals_day, readings = lines[words.VITALS]
    if not expected:
        assert readings == [words.NONE_RECORDED], summary
        return
    stated_values = sorted(reading.split(" ")[1] for reading in readings)
    assert stated_values == sorted(expected), (patient, summary)
    assert vitals_day == max(days).isoformat(), summary


def _referrals(engine: Engine) -> list[tuple[str, str, str, str | None]]:
    """(patient, authoredOn, summary, patient's managing organization) of noted referrals."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.resource_json, p.organization_id FROM service_request AS s "
                "JOIN patient AS p ON p.id = s.patient_id"
            )
        ).all()
    found = []
    for resource_json, organization in rows:
        request = json.loads(resource_json)
        notes = request.get("note") or []
        category = json.dumps(request.get("category"))
        if '"referral"' not in category:
            continue
        assert notes, f"a demo referral without a summary: {request['id']}"
        patient = request["subject"]["reference"].split("/")[-1]
        found.append((patient, request["authoredOn"], notes[0]["text"], organization))
    return found


def _check_all(engine: Engine, only_clinic: str | None) -> int:
    repository = ChartRepository(engine)
    checked = 0
    for patient, authored, summary, organization in _referrals(engine):
        if only_clinic is not None and organization != only_clinic:
            continue  # another township keeps that patient's records
        chart = repository.load(patient, NOW.date())
        assert chart is not None
        _check(engine, chart, patient, summary, date.fromisoformat(authored[:10]))
        checked += 1
    return checked


def test_the_demo_caches_referral_summaries_agree_with_its_charts(tmp_path: Path) -> None:
    engine = open_cache(tmp_path / "clinic.sqlite3")
    summary = generate_demo_clinic(engine, patients=PATIENTS, seed=SEED, now=NOW, workers=0)
    # The inbox's referrals from the demo township and its patients' own older referrals.
    assert _check_all(engine, summary.clinic_id) >= 9
    engine.dispose()


@pytest.mark.parametrize("history_years", [2, 4])
def test_every_referral_a_seeded_server_holds_agrees_with_its_chart(
    tmp_path: Path, history_years: int
) -> None:
    # 600 patients: enough for the older referrals a few patients' own histories hold.
    clinic = DemoClinic(patients=600, seed=SEED, now=NOW, history_years=history_years)
    engine = open_cache(tmp_path / "world.sqlite3")
    with engine.begin() as connection:
        kept = (r for r in clinic.resources() if r["resourceType"] in RESOURCE_TABLES)
        bulk_insert_resources(connection, kept)
    inbox = [r for r in clinic.hospital_side.records if r["resourceType"] == "ServiceRequest"]
    # Every inbox referral, those of the other townships included, and the older ones.
    assert _check_all(engine, None) > len(inbox)
    engine.dispose()


def test_the_townships_answers_about_allergies_and_medicines_agree_with_its_records() -> None:
    """An answer 'denies drug allergies' to a patient allergic to penicillin misleads."""
    resources = list(DemoClinic(patients=600, seed=SEED, now=NOW).resources())
    by_id = {r["id"]: r for r in resources}
    checked = 0
    for answer in resources:
        if answer["resourceType"] != "Communication" or "inResponseTo" not in answer:
            continue
        question = by_id[answer["inResponseTo"][0]["reference"].split("/")[-1]]
        asked = question["payload"][0]["contentString"]
        said = answer["payload"][0]["contentString"]
        patient = answer["subject"]["reference"]
        day = question["sent"][:10]
        own = [
            r
            for r in resources
            if (r.get("subject") or r.get("patient") or {}).get("reference") == patient
        ]
        if asked == "有无药物过敏史？":
            drugs = [
                r["code"]["text"]
                for r in own
                if r["resourceType"] == "AllergyIntolerance"
                and "medication" in (r.get("category") or [])
                and r["recordedDate"][:10] <= day
            ]
            assert all(drug in said for drug in drugs), (said, drugs)
            assert ("否认" in said) == (not drugs), said
            checked += 1
        elif asked == "目前用药剂量和服药依从性如何？":
            taking = [
                r["medicationCodeableConcept"]["text"]
                for r in own
                if r["resourceType"] == "MedicationRequest"
                and r["status"] == "active"
                and r["authoredOn"][:10] <= day
            ]
            assert all(drug in said for drug in taking), (said, taking)
            assert ("无长期用药" in said) == (not taking), said
            checked += 1
    assert checked >= 10
