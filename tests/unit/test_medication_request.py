"""DraftOrders as R4 MedicationRequests (checked against the FHIR model), and back again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest

from clinic_tui.prescribing.formulary import starter_formulary
from clinic_tui.prescribing.medication_request import (
    OVERRIDE_URL,
    draft_from_medication_request,
    medication_request_for,
    overrides_on,
)
from clinic_tui.prescribing.model import DraftOrder, Override, OverrideReason
from clinic_tui.prescribing.order_line import parse_order_line

FORMULARY = starter_formulary()
DOCTOR = {"reference": "Practitioner/doc-1", "display": "李医生"}
AUTHORED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
OVERRIDE = Override(
    "allergy:penicillin:amoxicillin",
    OverrideReason("tolerated-before", "Tolerated before", "既往用过无反应"),
    "took amoxicillin in 2024 without a reaction",
    by="Practitioner/doc-1",
)

LINES = [
    "amox 500mg po tid 7d",
    "阿莫西林 0.5g 口服 每日三次 饭后 7天",
    "二甲双胍 500mg bid 30d",
    "ibuprofen 400 prn q8h 3d",
    "atorvastatin 20mg qn 30d",
    "salbutamol 2 puffs prn qid",
    "amlodipine 5mg qd 4w",
]


def order(text: str) -> DraftOrder:
    parsed = parse_order_line(text, FORMULARY)
    assert parsed.order is not None, parsed.problems
    return parsed.order


def build(draft: DraftOrder, overrides: list[Override] | None = None) -> dict[str, Any]:
    return medication_request_for(
        draft, "pat-1", "enc-1", DOCTOR, "rx-1", AUTHORED, overrides or [], request_id="mr-1"
    )


@pytest.mark.parametrize("text", LINES)
def test_every_line_makes_a_valid_r4_medication_request(text: str) -> None:
    resource = build(order(text), [OVERRIDE])
    MedicationRequest.model_validate(resource)
    assert resource["status"] == "active"
    assert resource["intent"] == "order"
    assert resource["note"] == [{"text": text}]


def test_fields_of_amoxicillin_500_tid_7_days() -> None:
    resource = build(order("阿莫西林 0.5g 口服 每日三次 饭后 7天"))
    assert resource["medicationCodeableConcept"] == {
        "coding": [
            {"system": "http://www.whocc.no/atc", "code": "J01CA04", "display": "Amoxicillin"},
            {"system": "urn:clinic-tui:formulary", "code": "amoxicillin", "display": "阿莫西林"},
        ],
        "text": "阿莫西林 Amoxicillin 500 mg",
    }
    assert resource["subject"] == {"reference": "Patient/pat-1"}
    assert resource["encounter"] == {"reference": "Encounter/enc-1"}
    assert resource["requester"] == DOCTOR
    assert resource["authoredOn"] == "2026-12-01T09:30:00+00:00"
    assert resource["groupIdentifier"] == {"system": "urn:clinic-tui:prescription", "value": "rx-1"}
    (dosage,) = resource["dosageInstruction"]
    assert dosage["text"] == "500 mg 口服 每日三次 tid 饭后 7天"
    assert dosage["timing"]["repeat"] == {
        "frequency": 3,
        "period": 1,
        "periodUnit": "d",
        "boundsDuration": {"value": 7, "unit": "d", "system": "http://unitsofmeasure.org",
                           "code": "d"},
    }  # fmt: skip
    assert dosage["route"]["coding"] == [
        {"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}
    ]
    assert dosage["doseAndRate"][0]["doseQuantity"] == {
        "value": 500,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert dosage["patientInstruction"] == "饭后"
    assert "asNeededBoolean" not in dosage
    assert resource["dispenseRequest"] == {
        "quantity": {"value": 21, "unit": "粒", "system": "http://unitsofmeasure.org",
                     "code": "{capsule}"},
        "expectedSupplyDuration": {"value": 7, "unit": "天", "system": "http://unitsofmeasure.org",
                                   "code": "d"},
    }  # fmt: skip
    assert "extension" not in resource


def test_as_needed_every_8_hours() -> None:
    (dosage,) = build(order("ibuprofen 400 prn q8h 3d"))["dosageInstruction"]
    assert dosage["asNeededBoolean"] is True
    assert dosage["timing"]["repeat"]["frequency"] == 1
    assert dosage["timing"]["repeat"]["period"] == 8
    assert dosage["timing"]["repeat"]["periodUnit"] == "h"


def test_inhaled_dose_in_micrograms_dispensed_as_one_inhaler() -> None:
    resource = build(order("salbutamol 2 puffs prn qid"))
    (dosage,) = resource["dosageInstruction"]
    assert dosage["route"]["coding"][0]["code"] == "447694001"
    assert dosage["doseAndRate"][0]["doseQuantity"]["code"] == "ug"
    assert resource["dispenseRequest"]["quantity"]["value"] == 1
    assert resource["dispenseRequest"]["quantity"]["unit"] == "支"
    assert "expectedSupplyDuration" not in resource["dispenseRequest"]


def test_overrides_are_recorded_and_read_back() -> None:
    resource = build(order("amox 500mg po tid 7d"), [OVERRIDE])
    (extension,) = resource["extension"]
    assert extension["url"] == OVERRIDE_URL
    assert extension["extension"][1]["valueCoding"]["code"] == "tolerated-before"
    assert overrides_on(resource) == [
        (
            "allergy:penicillin:amoxicillin",
            "tolerated-before",
            "took amoxicillin in 2024 without a reaction",
        )
    ]


@pytest.mark.parametrize("text", LINES)
def test_draft_from_the_request_gives_the_same_order_back(text: str) -> None:
    original = order(text)
    back = draft_from_medication_request(build(original), FORMULARY)
    assert back is not None
    assert back.drug == original.drug
    assert back.product == original.product
    assert (back.dose, back.dose_unit, back.route) == (original.dose, original.dose_unit,
                                                      original.route)  # fmt: skip
    assert back.frequency.code == original.frequency.code
    assert back.frequency.as_needed == original.frequency.as_needed
    assert back.frequency.per_day == original.frequency.per_day
    assert back.duration_days == original.duration_days
    assert (back.quantity, back.quantity_unit) == (original.quantity, original.quantity_unit)
    assert back.instructions == original.instructions
    assert back.replaces == "mr-1"
    # Its text is a line the parser reads into the same order.
    again = parse_order_line(back.text, FORMULARY).order
    assert again is not None
    assert (again.drug, again.dose, again.frequency.code, again.duration_days) == (
        back.drug, back.dose, back.frequency.code, back.duration_days)  # fmt: skip


def test_draft_from_a_demo_style_request_found_by_atc() -> None:
    resource = {
        "resourceType": "MedicationRequest",
        "id": "old-1",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "A10BA02"}],
            "text": "盐酸二甲双胍片",
        },
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 0.5, "unit": "g", "code": "g"}}],
            }
        ],
        "dispenseRequest": {"expectedSupplyDuration": {"value": 30, "code": "d"}},
    }
    back = draft_from_medication_request(resource, FORMULARY)
    assert back is not None
    assert (back.drug.code, back.dose, back.frequency.code, back.duration_days) == (
        "metformin", 500, "tid", 30)  # fmt: skip
    assert back.quantity == 90
    assert back.replaces == "old-1"


@pytest.mark.parametrize(
    "resource",
    [
        {},
        {"medicationCodeableConcept": {"text": "unheard-of"}},
        {"medicationCodeableConcept": {"text": "amoxicillin"}, "dosageInstruction": []},
        {"medicationCodeableConcept": {"text": "amoxicillin"},
         "dosageInstruction": [{"doseAndRate": [{"doseQuantity": {"value": 300, "unit": "mg"}}],
                                "timing": {"repeat": {"frequency": 3, "period": 1,
                                                      "periodUnit": "d"}}}]},
        {"medicationCodeableConcept": {"text": "amoxicillin"},
         "dosageInstruction": [{"doseAndRate": [{"doseQuantity": {"value": "x"}}]}]},
    ],
)  # fmt: skip
def test_draft_from_an_unreadable_request_is_none(resource: dict[str, Any]) -> None:
    assert draft_from_medication_request(resource, FORMULARY) is None
