"""A hospital cache filled by a real sync knows its clinic: a referred patient's chart says
where the records are kept, however the workstation is opened afterwards.

The hospital is named only for the sync (`CLINIC_TUI_CLINIC=<hospital> clinic-tui sync`,
or settings later changed); the workstation is then opened without it (`--role expert`).
Before the sync remembered its clinic, that cache read as unscoped: the chart of a patient
the township manages showed "None recorded" for its allergies and problems, which the
hospital never downloads, while the demo cache (which stores its clinic) showed the notice.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path

from clinic_tui.domain.models import AllergyState, Clinic
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.referral import fhir_shapes as shapes
from clinic_tui.referral.model import Coded, ReferralDraft
from clinic_tui.referral.store import ReferralStore
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.engine import SyncEngine
from clinic_tui.sync.scope import resolve_scope

CARDIOLOGY = Coded(shapes.SNOMED, "394579002", "Cardiology")


def test_a_synced_hospital_cache_says_where_a_referred_patients_records_are(
    fhir_client: FhirClient, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    town = Clinic(f"town-{run}", "白沙镇卫生院")
    county = Clinic(f"county-{run}", "清河县人民医院")
    hospital_org = {"resourceType": "Organization", "id": county.id, "name": county.name}
    department = shapes.department_organization(f"cardio-{run}", hospital_org, "心内科", CARDIOLOGY)
    patient = f"pat-{run}"
    allergy = {
        "resourceType": "AllergyIntolerance",
        "id": f"allergy-{run}",
        "code": {"text": "青霉素"},
        "patient": {"reference": f"Patient/{patient}"},
    }
    for resource in (
        {"resourceType": "Organization", "id": town.id, "name": town.name},
        hospital_org,
        department,
        {
            "resourceType": "Patient",
            "id": patient,
            "name": [{"text": "赵春生"}],
            "gender": "male",
            "birthDate": "1945-05-02",
            "managingOrganization": {"reference": f"Organization/{town.id}"},
        },
        allergy,
    ):
        fhir_client.put(resource)
    township = open_cache(tmp_path / "township" / "clinic.sqlite3")
    hospital = open_cache(tmp_path / "hospital" / "clinic.sqlite3")
    try:
        assert SyncEngine(township, fhir_client, clinic_id=town.id).run().errors == []
        draft = ReferralDraft(
            hospital_id=county.id,
            department_id=department["id"],
            priority="urgent",
            specialty=CARDIOLOGY,
            reason=Coded("http://hl7.org/fhir/sid/icd-10", "I10", "Essential hypertension"),
            reason_text="血压控制不佳",
            summary="过敏史：青霉素",
        )
        ReferralStore(township, town).refer(patient, draft, datetime.now().astimezone())
        assert SyncEngine(township, fhir_client, clinic_id=town.id).run().errors == []

        # The hospital is named for the sync only, as CLINIC_TUI_CLINIC names it.
        assert SyncEngine(hospital, fhir_client, clinic_id=county.id).run().errors == []

        # Opened without it: the cache itself says whose records it downloads.
        cache = ClinicCache(hospital)
        assert cache.scope_clinic_id == county.id
        chart = cache.charts.load(patient, date.today())
        assert chart is not None
        assert chart.records_kept_at == town.name
        # The allergy is on the server, not here: the chart must not read "none".
        assert (chart.allergy_state, chart.allergies) == (AllergyState.NOT_RECORDED, [])
        # And the next round, also started without the clinic, stays the hospital's.
        assert resolve_scope(hospital, None).clinic_id == county.id
    finally:
        township.dispose()
        hospital.dispose()
