"""The audit trail reaches the real server as AuditEvents, once, and a refused one is kept here."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from clinic_tui.domain.audit import AuditAgent
from clinic_tui.domain.models import Clinic
from clinic_tui.offline_cache.audit import AuditTrail, set_acting_agent
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import record_local_change
from clinic_tui.sync.audit_upload import upload_audit_events
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.engine import SyncEngine
from tests.integration.workstation import unique_id


def _clinic_with_patient(client: FhirClient) -> tuple[Clinic, str]:
    clinic = Clinic(unique_id("org"), "青山镇卫生院")
    patient = unique_id("pat")
    client.put({"resourceType": "Organization", "id": clinic.id, "name": clinic.name})
    client.put(
        {
            "resourceType": "Patient",
            "id": patient,
            "name": [{"family": "赵", "given": ["燚"]}],
            "gender": "male",
            "managingOrganization": {"reference": f"Organization/{clinic.id}"},
        }
    )
    return clinic, patient


def _unsent(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.exec_driver_sql(
                "SELECT id FROM audit_event WHERE sent_at IS NULL AND refused IS NULL"
            ).scalars()
        )


def test_chart_reads_and_writes_reach_the_server_as_audit_events_once(
    fhir_client: FhirClient, tmp_path: Path
) -> None:
    clinic, patient = _clinic_with_patient(fhir_client)
    engine = open_cache(tmp_path / "here" / "clinic.sqlite3")
    assert SyncEngine(engine, fhir_client, clinic_id=clinic.id).run().complete
    set_acting_agent(engine, AuditAgent("dr-zhao", "赵医生", clinic.id, clinic.name))

    # Offline: the chart is opened and a diagnosis is written.
    trail = AuditTrail(engine)
    read_id = trail.chart_opened(patient)
    condition = {
        "resourceType": "Condition",
        "id": unique_id("cond"),
        "subject": {"reference": f"Patient/{patient}"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10"}]},
    }
    record_local_change(engine, condition, "create")
    assert len(_unsent(engine)) == 2

    # Fresh records wait for a batch (one request per ten minutes on a thin link) ...
    assert SyncEngine(engine, fhir_client, clinic_id=clinic.id).run().complete
    assert len(_unsent(engine)) == 2
    # ... and go once they are due (here: at once).
    sync = SyncEngine(engine, fhir_client, clinic_id=clinic.id, audit_send_after=timedelta(0))
    report = sync.run()
    assert report.complete, report.errors
    assert _unsent(engine) == []

    on_server = fhir_client.read("AuditEvent", read_id)
    assert on_server["action"] == "R"
    assert on_server["agent"][0]["who"]["reference"] == "Practitioner/dr-zhao"
    assert on_server["entity"][0]["what"]["reference"] == f"Patient/{patient}"
    version = on_server["meta"]["versionId"]

    # A second round sends nothing again: the server's record is untouched.
    assert upload_audit_events(engine, fhir_client).sent == 0
    assert fhir_client.read("AuditEvent", read_id)["meta"]["versionId"] == version
    listed = trail.for_patient(patient)
    assert {record.action for record in listed} == {"read", "create"}
    assert all(record.sent for record in listed)
    engine.dispose()


def test_an_audit_event_the_server_refuses_is_kept_and_the_others_still_go(
    fhir_client: FhirClient, tmp_path: Path
) -> None:
    _clinic, patient = _clinic_with_patient(fhir_client)
    engine = open_cache(tmp_path / "here" / "clinic.sqlite3")
    trail = AuditTrail(engine)
    good = [trail.chart_opened(patient) for _ in range(3)]
    bad = trail.chart_opened(patient)
    with engine.begin() as connection:
        # A record the server must refuse: not an AuditEvent at all under that id.
        broken = {"resourceType": "AuditEvent", "id": bad, "recorded": "not a date"}
        connection.exec_driver_sql(
            "UPDATE audit_event SET resource_json = ? WHERE id = ?", (json.dumps(broken), bad)
        )

    result = upload_audit_events(engine, fhir_client)

    assert result.sent == 3, result
    assert result.refused == 1, result
    assert _unsent(engine) == []
    for ident in good:
        assert fhir_client.read("AuditEvent", ident)["id"] == ident
    refused = [r for r in trail.for_patient(patient) if r.refused]
    assert len(refused) == 1
    engine.dispose()


def test_sign_ins_reach_the_server_as_login_audit_events_without_the_pin(
    fhir_client: FhirClient, tmp_path: Path
) -> None:
    from clinic_tui.offline_cache.local_users import add_user, load_users
    from clinic_tui.offline_cache.sign_in import SignInGate
    from clinic_tui.offline_cache.sign_in_attempts import FREE_FAILURES, SignInAttempts
    from clinic_tui.offline_cache.sign_in_audit import SignInAudit

    clinic, _patient = _clinic_with_patient(fhir_client)
    here = tmp_path / "here"
    engine = open_cache(here / "clinic.sqlite3")
    add_user(here, "dr-zhao", "赵医生", "482916")
    zhao = load_users(here)[0]
    gate = SignInGate(
        SignInAttempts(here), SignInAudit(here / "clinic.sqlite3", clinic.id, clinic.name)
    )
    for _ in range(FREE_FAILURES):
        gate.sign_in(zhao, "905173")
    waiting = _unsent(engine)
    assert len(waiting) == FREE_FAILURES + 1  # the wrong PINs and the lock-out

    result = upload_audit_events(engine, fhir_client)

    assert (result.sent, result.refused) == (FREE_FAILURES + 1, 0), result
    events = [fhir_client.read("AuditEvent", ident) for ident in waiting]
    assert sorted(event["outcome"] for event in events) == ["4"] * FREE_FAILURES + ["8"]
    for event in events:
        assert event["subtype"][0]["code"] == "110122"
        assert "905173" not in json.dumps(event)
        assert "482916" not in json.dumps(event)
    engine.dispose()
