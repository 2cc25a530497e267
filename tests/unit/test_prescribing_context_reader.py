"""PrescribingContext from the cache: a hand-made chart read field by field, then a demo clinic."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.demo.clinical import DRUGS_FOR
from clinic_tui.demo.generator import generate_demo_clinic
from clinic_tui.domain.fhir import Resource
from clinic_tui.offline_cache.store import upsert_resources
from clinic_tui.prescribing.checks import AllergyState, check_basket
from clinic_tui.prescribing.context_reader import FormularyIndex, read_context
from clinic_tui.prescribing.model import Basket, Severity
from tests.unit.rx_check_fixtures import (
    AMLODIPINE,
    AMOXICILLIN,
    ATORVASTATIN,
    CEFALEXIN,
    CLOPIDOGREL,
    ENALAPRIL,
    IBUPROFEN,
    METFORMIN,
    OMEPRAZOLE,
    QD,
    VALSARTAN,
    drug,
    order,
)

TODAY = date(2026, 12, 1)
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ATC = "http://www.whocc.no/atc"
FORMULARY = (AMLODIPINE, AMOXICILLIN, ATORVASTATIN, CLOPIDOGREL, ENALAPRIL, METFORMIN, OMEPRAZOLE)


def _ref(kind: str, ident: str) -> dict[str, str]:
    return {"reference": f"{kind}/{ident}"}


def _status(code: str) -> dict[str, Any]:
    return {"coding": [{"code": code}]}


def observation(ident: str, code: str, when: str, **value: Any) -> Resource:
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": _ref("Patient", "p1"),
        "effectiveDateTime": when,
        **value,
    }


def concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def chart() -> list[Resource]:
    """A 30-year-old woman: penicillin allergy, an ACE inhibitor, pregnant, weighed twice."""
    return [
        {
            "resourceType": "Patient",
            "id": "p1",
            "gender": "female",
            "birthDate": "1996-03-02",
            "name": [{"family": "李", "given": ["娜"]}],
        },
        {
            "resourceType": "AllergyIntolerance",
            "id": "a1",
            "patient": _ref("Patient", "p1"),
            "clinicalStatus": _status("active"),
            "verificationStatus": _status("confirmed"),
            "category": ["medication"],
            "criticality": "high",
            "code": {
                "coding": [{"system": SNOMED, "code": "764146007", "display": "Penicillin"}],
                "text": "青霉素",
            },
            "recordedDate": "2023-05-01",
            "reaction": [{"manifestation": [{"text": "皮疹"}], "severity": "severe"}],
        },
        {
            "resourceType": "AllergyIntolerance",
            "id": "a2",
            "patient": _ref("Patient", "p1"),
            "clinicalStatus": _status("active"),
            "verificationStatus": _status("refuted"),
            "code": {"text": "头孢氨苄"},
        },
        {
            "resourceType": "MedicationRequest",
            "id": "m1",
            "status": "active",
            "intent": "order",
            "subject": _ref("Patient", "p1"),
            "authoredOn": "2026-10-01",
            "medicationCodeableConcept": {
                "coding": [{"system": ATC, "code": "C09AA02", "display": "Enalapril"}],
                "text": "马来酸依那普利片",
            },
            "dosageInstruction": [{"text": "10 mg 口服 每日一次"}],
        },
        {
            "resourceType": "MedicationRequest",
            "id": "m2",
            "status": "active",
            "intent": "order",
            "subject": _ref("Patient", "p1"),
            "authoredOn": "2026-09-01",
            "medicationCodeableConcept": {"text": "某中成药"},
        },
        {
            "resourceType": "MedicationRequest",
            "id": "m3",
            "status": "completed",
            "intent": "order",
            "subject": _ref("Patient", "p1"),
            "medicationCodeableConcept": {"text": "阿莫西林胶囊"},
        },
        {
            "resourceType": "Condition",
            "id": "c1",
            "subject": _ref("Patient", "p1"),
            "clinicalStatus": _status("active"),
            "verificationStatus": _status("confirmed"),
            "code": {"coding": [{"system": ICD10, "code": "I10"}]},
            "onsetDateTime": "2024-01-01",
        },
        observation("w1", "29463-7", "2026-01-05", valueQuantity={"value": 58, "unit": "kg"}),
        observation("w2", "29463-7", "2026-11-20", valueQuantity={"value": 61.5, "unit": "kg"}),
        observation(
            "preg",
            "82810-3",
            "2026-10-02",
            valueCodeableConcept=concept(SNOMED, "77386006"),
        ),
        observation("gfr", "62238-1", "2026-06-01", valueQuantity={"value": 48, "unit": "mL/min"}),
    ]


@pytest.fixture
def filled(engine: Engine) -> Engine:
    with engine.begin() as connection:
        upsert_resources(connection, chart())
    return engine


def test_unknown_patient_has_no_context(filled: Engine) -> None:
    assert read_context(filled, "nobody", TODAY, FORMULARY) is None


def test_every_fact_is_read(filled: Engine) -> None:
    context = read_context(filled, "p1", TODAY, FORMULARY)
    assert context is not None
    assert (context.age_years, context.sex) == (30, "female")
    assert (context.weight_kg, context.weight_date) == (61.5, date(2026, 11, 20))
    assert (context.pregnant, context.pregnancy_date) == (True, date(2026, 10, 2))
    assert context.breastfeeding is None
    assert (context.egfr, context.egfr_date) == (48.0, date(2026, 6, 1))
    assert context.diagnoses == ("I10",)
    assert context.allergy_state is AllergyState.RECORDED
    [penicillin] = context.allergies  # the refuted cefalexin record is left out
    assert penicillin.substance == "青霉素"
    assert penicillin.codes == ((SNOMED, "764146007"),)
    assert (penicillin.criticality, penicillin.reaction, penicillin.severity) == (
        "high",
        "皮疹",
        "severe",
    )
    assert [(m.id, m.drug.code if m.drug else None) for m in context.medications] == [
        ("m1", "enalapril"),
        ("m2", None),
    ]


def test_the_context_drives_the_checks(filled: Engine) -> None:
    context = read_context(filled, "p1", TODAY, FORMULARY)
    assert context is not None
    basket = Basket(lines=[order(CEFALEXIN), order(VALSARTAN, 80, QD), order(IBUPROFEN, 400)])
    found = {
        (w.line, w.check)
        for w in check_basket(basket, context, TODAY)
        if w.severity is Severity.HIGH
    }
    assert {(0, "allergy"), (1, "interaction")} <= found


def test_an_old_pregnancy_record_is_not_taken_as_current(filled: Engine) -> None:
    later = TODAY + timedelta(days=400)
    context = read_context(filled, "p1", later, FORMULARY)
    assert context is not None
    assert context.pregnant is None


def test_not_pregnant_and_breastfeeding_observations(engine: Engine) -> None:
    resources = [r for r in chart() if r["id"] != "preg"]
    resources += [
        observation(
            "np", "82810-3", "2026-11-01", valueCodeableConcept=concept(SNOMED, "60001007")
        ),
        observation(
            "bf", "63895-7", "2026-11-01", valueCodeableConcept=concept(LOINC, "LA29252-6")
        ),
    ]
    with engine.begin() as connection:
        upsert_resources(connection, resources)
    context = read_context(engine, "p1", TODAY, FORMULARY)
    assert context is not None
    assert (context.pregnant, context.breastfeeding) == (False, True)


def test_pregnancy_from_an_active_z33_condition(engine: Engine) -> None:
    resources = [r for r in chart() if r["id"] != "preg"]
    resources.append(
        {
            "resourceType": "Condition",
            "id": "c2",
            "subject": _ref("Patient", "p1"),
            "clinicalStatus": _status("active"),
            "code": {"coding": [{"system": ICD10, "code": "Z33"}]},
            "onsetDateTime": "2026-09-15",
        }
    )
    with engine.begin() as connection:
        upsert_resources(connection, resources)
    context = read_context(engine, "p1", TODAY, FORMULARY)
    assert context is not None
    assert (context.pregnant, context.pregnancy_date) == (True, date(2026, 9, 15))


def test_no_known_allergy_and_no_record_are_told_apart(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, [r for r in chart() if r["resourceType"] == "Patient"])
    context = read_context(engine, "p1", TODAY, FORMULARY)
    assert context is not None
    assert context.allergy_state is AllergyState.NOT_RECORDED


def test_formulary_index_prefers_the_atc_code_then_the_longest_name() -> None:
    isosorbide = drug("isosorbide-mononitrate", "单硝酸异山梨酯", "C01DA14")
    dinitrate = drug("isosorbide-dinitrate", "硝酸异山梨酯", "C01DA08")
    index = FormularyIndex([dinitrate, isosorbide, AMLODIPINE])
    assert index("单硝酸异山梨酯缓释片", None) is isosorbide
    assert index("苯磺酸氨氯地平片", None) is AMLODIPINE
    assert index("anything", "C01DA08") is dinitrate
    assert index("某中成药", None) is None


def test_a_demo_clinic_reads_and_checks_without_error(engine: Engine) -> None:
    """Every demo patient: a context, its medications resolved, and a basket checked."""
    generate_demo_clinic(
        engine, patients=120, seed=5, now=datetime(2026, 12, 1, 9, tzinfo=UTC), workers=0
    )
    demo_drugs = [
        drug(d.en.lower().replace(" ", "-"), d.zh, d.atc)
        for group in DRUGS_FOR.values()
        for d in group
    ]
    index = FormularyIndex(demo_drugs)
    with engine.connect() as connection:
        ids = [row[0] for row in connection.execute(text("SELECT id FROM patient"))]
        allergic = {
            row[0]
            for row in connection.execute(
                text("SELECT patient_id FROM allergy_intolerance WHERE no_known = 0")
            )
        }
        records = connection.execute(
            text("SELECT resource_json FROM medication_request WHERE status = 'active'")
        ).all()
    assert ids
    assert records  # the demo clinic has chronic prescriptions to resolve
    weighed = resolved = unresolved = 0
    for patient_id in ids:
        context = read_context(engine, patient_id, TODAY, index)
        assert context is not None
        assert (context.allergy_state is AllergyState.RECORDED) == (patient_id in allergic)
        weighed += context.weight_kg is not None
        for medication in context.medications:
            resolved += medication.drug is not None
            unresolved += medication.drug is None
        basket = Basket(lines=[order(AMOXICILLIN), order(IBUPROFEN, 400)])
        for warning in check_basket(basket, context, TODAY):
            assert warning.message_en
            assert warning.message_zh
    # Every demo drug is in this formulary (by ATC): every active medication resolves.
    assert resolved == sum(
        1 for (record,) in records if json.loads(record)["subject"]["reference"][8:] in ids
    )
    assert unresolved == 0
    assert weighed > 0


def test_every_earlier_prescription_is_read_whatever_its_status(filled: Engine) -> None:
    # m1 enalapril (active) and m3 amoxicillin (completed) resolve; m2 names nothing stocked.
    context = read_context(filled, "p1", TODAY, FORMULARY)
    assert context is not None
    assert context.prescribed_before == frozenset({"enalapril", "amoxicillin"})


def _hla(ident: str, name: str, when: str, **value: Any) -> Resource:
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": {"text": name},
        "subject": _ref("Patient", "p1"),
        "effectiveDateTime": when,
        **value,
    }


def test_hla_results_are_read_by_name_and_answer(filled: Engine) -> None:
    from clinic_tui.prescribing.facts import HlaResult

    with filled.begin() as connection:
        upsert_resources(
            connection,
            [
                _hla("h1", "HLA-B*1502基因检测", "2025-03-01", valueString="阴性"),
                _hla(
                    "h2",
                    "HLA-B*58:01",
                    "2026-05-01",
                    valueCodeableConcept=concept(SNOMED, "10828004"),
                ),
                _hla("h3", "HLA-B*58:01", "2026-04-01", valueString="pending"),
                {**_hla("h4", "HLA-B*15:02", "2026-06-01", valueString="阳性"),
                 "status": "entered-in-error"},
            ],
        )  # fmt: skip
    context = read_context(filled, "p1", TODAY, FORMULARY)
    assert context is not None
    assert context.hla_results == (
        HlaResult("hlab5801", True, date(2026, 5, 1)),
        HlaResult("hlab1502", False, date(2025, 3, 1)),
    )
