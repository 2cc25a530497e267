"""A signed prescription reaches the real server with its override, renewal and stop.

The clinic, its patient, today's visit and an earlier prescription are put on the
test server; a workstation syncs them down, signs a slip offline (one line renews
the earlier order, one is overridden past a warning), stops another order, syncs,
and the server and a second workstation hold exactly that.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic_tui.domain.models import Clinic
from clinic_tui.offline_cache.chart_repository import ChartRepository
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.prescribing.model import (
    Basket,
    DraftOrder,
    FormularyDrug,
    Frequency,
    Override,
    OverrideReason,
    Product,
    SafetyWarning,
    Severity,
)
from clinic_tui.prescribing.prescriber import Prescriber
from clinic_tui.sync.client import FhirClient
from tests.integration.workstation import outbox_length, sync_completely, unique_id, wall_clock_now

# Pending until rx-formulary's MedicationRequest builder lands.
pytest.importorskip("clinic_tui.prescribing.medication_request")


AMOXICILLIN = FormularyDrug(
    code="amoxicillin",
    name_en="Amoxicillin",
    name_zh="阿莫西林",
    atc="J01CA04",
    classes=("penicillin",),
    products=(Product("capsule", 500, "mg", "capsule", "粒"),),
    antimicrobial=True,
)
METFORMIN = FormularyDrug(
    code="metformin",
    name_en="Metformin",
    name_zh="二甲双胍",
    atc="A10BA02",
    products=(Product("tablet", 500, "mg", "tablet", "片"),),
)
TID = Frequency("tid", 3, text_en="three times a day", text_zh="每日三次")
BID = Frequency("bid", 2, text_en="twice a day", text_zh="每日两次")


def _order(
    drug: FormularyDrug, frequency: Frequency, days: int, replaces: str | None = None
) -> DraftOrder:
    per_day = int(frequency.per_day)
    return DraftOrder(
        text=f"{drug.code} 500mg po {frequency.code} {days}d",
        drug=drug,
        product=drug.products[0],
        dose=500,
        dose_unit="mg",
        route="po",
        frequency=frequency,
        duration_days=days,
        quantity=per_day * days,
        quantity_unit=drug.products[0].unit_en,
        replaces=replaces,
    )


def test_a_signed_slip_with_an_override_a_renewal_and_a_stop_reaches_the_server(
    fhir_client: FhirClient, tmp_path: Path
) -> None:
    clinic = Clinic(unique_id("org"), "青山镇卫生院")
    patient_id, encounter_id = unique_id("pat"), unique_id("enc")
    earlier, to_stop = unique_id("mr"), unique_id("mr")
    fhir_client.put({"resourceType": "Organization", "id": clinic.id, "name": clinic.name})
    fhir_client.put(
        {
            "resourceType": "Patient",
            "id": patient_id,
            "name": [{"family": "张", "given": ["伟"]}],
            "gender": "male",
            "birthDate": "1958-03-14",
            "managingOrganization": {"reference": f"Organization/{clinic.id}"},
        }
    )
    fhir_client.put(
        {
            "resourceType": "Encounter",
            "id": encounter_id,
            "status": "in-progress",
            "class": {"code": "AMB"},
            "subject": {"reference": f"Patient/{patient_id}"},
            "serviceProvider": {"reference": f"Organization/{clinic.id}"},
            "period": {"start": wall_clock_now().isoformat()},
        }
    )
    for ident, name in ((earlier, "二甲双胍片 Metformin 0.5g"), (to_stop, "氨氯地平片 Amlodipine")):
        fhir_client.put(
            {
                "resourceType": "MedicationRequest",
                "id": ident,
                "status": "active",
                "intent": "order",
                "subject": {"reference": f"Patient/{patient_id}"},
                "medicationCodeableConcept": {"text": name},
                "dosageInstruction": [{"text": "0.5g bid"}],
                "authoredOn": "2026-10-01",
            }
        )
    here = open_cache(tmp_path / "here" / "clinic.sqlite3")
    sync_completely(here, fhir_client, clinic)

    # Offline: sign two lines (amoxicillin past a penicillin warning; metformin renewed).
    warning = SafetyWarning(
        check="allergy",
        severity=Severity.HIGH,
        line=0,
        message_en="Penicillin allergy recorded",
        message_zh="有青霉素过敏记录",
        source="test",
        other="青霉素 Penicillin",
        key="allergy:amoxicillin:penicillin",
    )
    reason = OverrideReason("other", "Other", "其他")
    basket = Basket(
        lines=[_order(AMOXICILLIN, TID, 5), _order(METFORMIN, BID, 7, replaces=earlier)],
        overrides={warning.key: Override(warning.key, reason, "skin test negative 2025")},
    )
    prescriber = Prescriber(here, clinic, practitioner_id=None)
    slip = prescriber.sign(patient_id, encounter_id, basket, [warning], wall_clock_now())
    prescriber.stop(to_stop, "ankle oedema")
    assert outbox_length(here) == 4

    sync_completely(here, fhir_client, clinic)

    assert outbox_length(here) == 0
    amoxicillin, metformin = (fhir_client.read("MedicationRequest", i) for i in slip.request_ids)
    for request in (amoxicillin, metformin):
        assert request["status"] == "active"
        assert request["intent"] == "order"
        assert request["encounter"]["reference"] == f"Encounter/{encounter_id}"
        assert request["requester"]["reference"] == f"Organization/{clinic.id}"
        assert request["groupIdentifier"]["value"] == slip.group_id
    assert "skin test negative 2025" in str(amoxicillin)
    assert "skin test negative 2025" not in str(metformin)
    assert metformin["priorPrescription"] == {"reference": f"MedicationRequest/{earlier}"}
    assert fhir_client.read("MedicationRequest", earlier)["status"] == "completed"
    stopped = fhir_client.read("MedicationRequest", to_stop)
    assert (stopped["status"], stopped["statusReason"]) == ("stopped", {"text": "ankle oedema"})

    # A second workstation's chart lists the two signed orders, and only them, as active.
    there = open_cache(tmp_path / "there" / "clinic.sqlite3")
    sync_completely(there, fhir_client, clinic)
    chart = ChartRepository(there).load(patient_id, wall_clock_now().date())
    assert chart is not None
    assert len(chart.medications) == 2
