"""A MedicationRequest made from a typed line: the real server accepts it, reads it back whole."""

from __future__ import annotations

import uuid
from datetime import datetime

from clinic_tui.prescribing.formulary import starter_formulary
from clinic_tui.prescribing.medication_request import (
    draft_from_medication_request,
    medication_request_for,
    overrides_on,
)
from clinic_tui.prescribing.model import Override, OverrideReason
from clinic_tui.prescribing.order_line import parse_order_line
from clinic_tui.sync.client import FhirClient
from tests.integration.workstation import unique_id


def test_a_signed_line_round_trips_through_the_server(fhir_client: FhirClient) -> None:
    formulary = starter_formulary()
    patient_id, encounter_id, doctor_id = unique_id("pat"), unique_id("enc"), unique_id("doc")
    fhir_client.put({"resourceType": "Patient", "id": patient_id, "gender": "female",
                     "name": [{"family": "王", "given": ["芳"]}]})  # fmt: skip
    fhir_client.put({"resourceType": "Practitioner", "id": doctor_id,
                     "name": [{"family": "李", "given": ["明"]}]})  # fmt: skip
    fhir_client.put(
        {
            "resourceType": "Encounter",
            "id": encounter_id,
            "status": "in-progress",
            "class": {"code": "AMB"},
            "subject": {"reference": f"Patient/{patient_id}"},
        }
    )
    order = parse_order_line("阿莫西林 0.5g 口服 每日三次 饭后 7天", formulary).order
    assert order is not None
    override = Override(
        "allergy:cephalosporin:amoxicillin",
        OverrideReason("tolerated-before", "Tolerated before", "既往用过无反应"),
        "既往多次使用无反应",
        by=f"Practitioner/{doctor_id}",
    )
    request_id = str(uuid.uuid4())
    resource = medication_request_for(
        order,
        patient_id,
        encounter_id,
        {"reference": f"Practitioner/{doctor_id}", "display": "李明"},
        unique_id("rx"),
        datetime.now().astimezone().replace(microsecond=0),
        [override],
        request_id=request_id,
    )
    fhir_client.put(resource)
    stored = fhir_client.read("MedicationRequest", request_id)
    for key in ("status", "intent", "medicationCodeableConcept", "subject", "encounter",
                "requester", "groupIdentifier", "note", "extension"):  # fmt: skip
        assert stored[key] == resource[key], key
    assert stored["dosageInstruction"][0]["timing"] == resource["dosageInstruction"][0]["timing"]
    assert stored["dispenseRequest"]["quantity"]["value"] == 21
    assert overrides_on(stored) == [
        ("allergy:cephalosporin:amoxicillin", "tolerated-before", "既往多次使用无反应")
    ]
    back = draft_from_medication_request(stored, formulary)
    assert back is not None
    assert (back.drug.code, back.dose, back.frequency.code, back.duration_days, back.quantity) == (
        "amoxicillin", 500, "tid", 7, 21)  # fmt: skip
    assert back.replaces == request_id
