"""A referral up and back down between two workstations syncing through one real server.

A township cache and a hospital cache (each scoped to its own Organization) exchange
ServiceRequest, Task and Communication through sekmet; the follow-up the hospital sends
down lands on the township's list of follow-ups due. Two experts acting on one Task from
two caches never lose either action silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from clinic_tui.domain.models import Clinic
from clinic_tui.offline_cache.cache_file import connect
from clinic_tui.offline_cache.conflicts import ConflictStore
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import read_resource, record_local_change
from clinic_tui.referral import fhir_shapes as shapes
from clinic_tui.referral.follow_up_read import read_follow_ups_due
from clinic_tui.referral.inbox import read_inbox
from clinic_tui.referral.model import Coded, FollowUpPlan, ReferralDraft
from clinic_tui.referral.store import ReferralStore
from clinic_tui.sync import history
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.engine import SyncEngine, SyncReport
from tests.integration.conftest import FhirServer
from tests.netlab.server_quirks import QuirksTransport

Resource = dict[str, Any]
CARDIOLOGY = Coded(shapes.SNOMED, "394579002", "Cardiology")


@dataclass
class Network:
    """A township and a county hospital (with a cardiology department) on the server."""

    town: Clinic
    county: Clinic
    department: str
    patient: str


@pytest.fixture
def network(fhir_client: FhirClient) -> Network:
    run = uuid.uuid4().hex[:8]
    town = Clinic(f"town-{run}", "青山镇卫生院")
    county = Clinic(f"county-{run}", "青河县人民医院")
    hospital = {"resourceType": "Organization", "id": county.id, "name": county.name}
    department = shapes.department_organization(f"cardio-{run}", hospital, "心内科", CARDIOLOGY)
    patient = f"pat-{run}"
    for resource in (
        {"resourceType": "Organization", "id": town.id, "name": town.name},
        hospital,
        department,
        {
            "resourceType": "Patient",
            "id": patient,
            "name": [{"family": "张", "given": ["伟"], "text": "张伟"}],
            "gender": "male",
            "birthDate": "1958-03-14",
            "managingOrganization": {"reference": f"Organization/{town.id}"},
        },
    ):
        fhir_client.put(resource)
    return Network(town, county, department["id"], patient)


def _cache(tmp_path: Path, name: str) -> Iterator[Engine]:
    engine = open_cache(tmp_path / name / "clinic.sqlite3")
    yield engine
    engine.dispose()


@pytest.fixture
def township(tmp_path: Path) -> Iterator[Engine]:
    yield from _cache(tmp_path, "township")


@pytest.fixture
def hospital(tmp_path: Path) -> Iterator[Engine]:
    yield from _cache(tmp_path, "hospital")


@pytest.fixture
def hospital_two(tmp_path: Path) -> Iterator[Engine]:
    yield from _cache(tmp_path, "hospital-two")


def _sync(engine: Engine, client: FhirClient, clinic: Clinic) -> SyncReport:
    report = SyncEngine(engine, client, clinic_id=clinic.id).run()
    assert report.errors == []
    assert report.conflicts == 0
    return report


def _now() -> datetime:
    return datetime.now().astimezone()


def _draft(network: Network) -> ReferralDraft:
    return ReferralDraft(
        hospital_id=network.county.id,
        department_id=network.department,
        priority="urgent",
        specialty=CARDIOLOGY,
        reason=Coded("http://hl7.org/fhir/sid/icd-10", "I10", "Essential hypertension"),
        reason_text="高血压 控制不佳",
        summary="问题: I10 原发性高血压\n过敏: 青霉素",
    )


def test_a_referral_travels_up_and_its_follow_up_comes_down_to_the_township_queue(
    fhir_client: FhirClient, network: Network, township: Engine, hospital: Engine
) -> None:
    town = ReferralStore(township, network.town)
    county = ReferralStore(hospital, network.county)
    _sync(township, fhir_client, network.town)
    _sync(hospital, fhir_client, network.county)

    # Written offline at the township, uploaded by its next sync.
    task_id = town.refer(network.patient, _draft(network), _now())
    _sync(township, fhir_client, network.town)
    assert fhir_client.read("Task", task_id)["status"] == "requested"

    _sync(hospital, fhir_client, network.county)
    # The hospital's first sync of the referral receives it, and tells the server so.
    [inbox] = county.referrals_of_clinic("received")
    assert (inbox.task_id, inbox.status, inbox.patient_name) == (task_id, "received", "张伟")
    assert fhir_client.read("Task", task_id)["status"] == "received"
    assert (inbox.priority, inbox.department_name) == ("urgent", "心内科")
    detail = county.detail(task_id)
    assert detail is not None
    assert detail.summary.startswith("问题: I10")
    question = county.ask(task_id, "最近一次心电图？", _now())
    _sync(hospital, fhir_client, network.county)

    _sync(township, fhir_client, network.town)
    [sent] = town.referrals_for_patient(network.patient)
    assert sent.status == "received"
    assert [(m.id, m.from_here) for m in town.thread(task_id)] == [(question, False)]
    answer = town.answer(task_id, "窦性心律", _now())
    _sync(township, fhir_client, network.town)

    _sync(hospital, fhir_client, network.county)
    thread = county.thread(task_id)
    assert [(m.kind, m.text) for m in thread] == [
        ("question", "最近一次心电图？"),
        ("answer", "窦性心律"),
    ]
    assert thread[1].id == answer
    assert thread[1].in_response_to == question
    now = _now()
    county.accept(task_id, now, teleconsultation=True)
    due = now.date() + timedelta(days=14)
    follow_up = county.complete(
        task_id, "氨氯地平加至10mg", now, FollowUpPlan(due, "两周后复测血压")
    )
    assert follow_up is not None
    _sync(hospital, fhir_client, network.county)
    assert fhir_client.read("Task", follow_up)["owner"]["reference"] == (
        f"Organization/{network.town.id}"
    )

    _sync(township, fhir_client, network.town)
    [done] = town.referrals_for_patient(network.patient)
    assert (done.status, done.follow_up_id) == ("completed", follow_up)
    assert town.follow_ups_due(due - timedelta(days=1)) == []
    [item] = town.follow_ups_due(due)
    assert (item.task_id, item.plan, item.patient_name) == (follow_up, "两周后复测血压", "张伟")
    assert item.from_name == network.county.name
    # What the queue screen reads for its follow-up line (plain sqlite3, no ORM).
    with connect(Path(str(township.url.database))) as connection:
        assert read_follow_ups_due(connection, network.town.id, due) == [item]
        assert read_follow_ups_due(connection, network.town.id, due - timedelta(days=1)) == []


def test_the_server_searches_communications_by_sender_and_recipient(
    fhir_client: FhirClient, network: Network, township: Engine
) -> None:
    town = ReferralStore(township, network.town)
    _sync(township, fhir_client, network.town)
    task_id = town.refer(network.patient, _draft(network), _now())
    message = town.ask(task_id, "请尽快安排", _now())
    _sync(township, fhir_client, network.town)
    for parameter, clinic in (("sender", network.town), ("recipient", network.county)):
        bundle = fhir_client.get_json("Communication", {parameter: f"Organization/{clinic.id}"})
        found = [e["resource"]["id"] for e in bundle.get("entry") or []]
        assert found == [message], parameter
    bundle = fhir_client.get_json("Communication", {"sender": "Organization/nobody-at-all"})
    assert not bundle.get("entry")


def test_two_experts_acting_on_one_referral_never_lose_either_silently(
    fhir_client: FhirClient,
    network: Network,
    township: Engine,
    hospital: Engine,
    hospital_two: Engine,
) -> None:
    town = ReferralStore(township, network.town)
    _sync(township, fhir_client, network.town)
    task_id = town.refer(network.patient, _draft(network), _now())
    _sync(township, fhir_client, network.town)
    first = ReferralStore(hospital, network.county, "expert-li")
    second = ReferralStore(hospital_two, network.county, "expert-huang")
    _sync(hospital, fhir_client, network.county)
    _sync(hospital_two, fhir_client, network.county)

    # Both offline: one accepts, the other declines; both also ask a question.
    first.accept(task_id, _now(), teleconsultation=True)
    first.ask(task_id, "血糖多少？", _now())
    second.ask(task_id, "是否吸烟？", _now())
    second.decline(task_id, "manage-locally", "先调整用药", _now())
    _sync(hospital, fhir_client, network.county)
    report = SyncEngine(hospital_two, fhir_client, clinic_id=network.county.id).run()

    # The second's decline met the accept: a conflict for a person, the server untouched.
    assert report.conflicts == 1
    assert fhir_client.read("Task", task_id)["status"] == "accepted"
    [conflict] = ConflictStore(hospital_two).list()
    assert (conflict.resource_type, conflict.resource_id) == ("Task", task_id)
    paths = {f.path for f in conflict.fields}
    assert "status" in paths
    status = next(f for f in conflict.fields if f.path == "status")
    assert (status.local, status.remote) == ("rejected", "accepted")
    with hospital_two.connect() as connection:
        assert (read_resource(connection, "Task", task_id) or {})["status"] == "rejected"
    # Messages are records of their own: both questions reach both sides.
    _sync(hospital, fhir_client, network.county)
    _sync(township, fhir_client, network.town)
    for store in (first, town):
        assert sorted(m.text for m in store.thread(task_id)) == ["是否吸烟？", "血糖多少？"]


def test_the_hospital_downloads_the_referred_patient_but_not_its_records(
    fhir_client: FhirClient, network: Network, township: Engine, hospital: Engine
) -> None:
    town = ReferralStore(township, network.town)
    _sync(township, fhir_client, network.town)
    _sync(hospital, fhir_client, network.county)
    assert _cached_patient(hospital, network.patient) is None  # not the hospital's patient
    town.refer(network.patient, _draft(network), _now())
    _sync(township, fhir_client, network.town)

    _sync(hospital, fhir_client, network.county)

    # The referral brought its patient (by id), so the inbox can say sex and age.
    patient = _cached_patient(hospital, network.patient)
    assert patient is not None
    assert (patient["gender"], patient["birthDate"]) == ("male", "1958-03-14")
    with connect(Path(str(hospital.url.database))) as connection:
        [row] = read_inbox(connection, network.county.id)
    assert (row.patient_name, row.gender, row.birth_date) == ("张伟", "male", date(1958, 3, 14))

    # Afterwards the township records a blood pressure and edits the patient. The hospital's
    # next round reads the changes feed: the patient it holds is updated, but the new
    # record of another clinic's patient is left, as the scoped searches would leave it.
    observation = {
        "resourceType": "Observation",
        "id": f"obs-{uuid.uuid4().hex[:10]}",
        "status": "final",
        "code": {"text": "blood pressure"},
        "subject": {"reference": f"Patient/{network.patient}"},
        "valueQuantity": {"value": 150, "unit": "mmHg"},
    }
    fhir_client.put(observation)
    fhir_client.put({**fhir_client.read("Patient", network.patient), "birthDate": "1958-03-15"})
    _sync(hospital, fhir_client, network.county)

    with hospital.connect() as connection:
        assert read_resource(connection, "Observation", observation["id"]) is None
    assert (_cached_patient(hospital, network.patient) or {})["birthDate"] == "1958-03-15"
    # A fresh hospital cache, searching per type, holds the same: the two paths agree.
    for fresh in _cache(Path(str(hospital.url.database)).parent.parent, "fresh"):
        _sync(fresh, fhir_client, network.county)
        with fresh.connect() as connection:
            assert read_resource(connection, "Observation", observation["id"]) is None
        assert (_cached_patient(fresh, network.patient) or {})["birthDate"] == "1958-03-15"


def _cached_patient(engine: Engine, ident: str) -> Resource | None:
    with engine.connect() as connection:
        return read_resource(connection, "Patient", ident)


def test_the_server_answers_a_search_by_several_ids_with_those_patients_only(
    fhir_client: FhirClient, network: Network
) -> None:
    """What the hospital's round relies on first (it falls back to reads without it)."""
    other = f"pat-other-{uuid.uuid4().hex[:8]}"
    fhir_client.put({"resourceType": "Patient", "id": other, "gender": "female"})
    bundle = fhir_client.get_json(
        "Patient", {"_id": f"{network.patient},{other},no-such-patient", "_count": "40"}
    )
    found = sorted(entry["resource"]["id"] for entry in bundle.get("entry") or [])
    assert found == sorted([network.patient, other])


class WithoutSystemHistory(QuirksTransport):
    """The real server, answering `GET [base]/_history` as one without system history
    does (an empty searchset); records each request."""

    def __init__(self) -> None:
        super().__init__(no_system_history=True)
        self.requests: list[httpx.URL] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url)
        return super().handle_request(request)

    def patient_requests(self) -> list[httpx.URL]:
        """Searches by id and reads of patients (not the clinic's `Patient?organization=`,
        nor the `Patient/_history` that looks for deletions)."""
        return [
            u
            for u in self.requests
            if ("/Patient/" in u.path and "_history" not in u.path)
            or (u.path.endswith("/Patient") and "_id" in u.params)
        ]


def test_a_referred_patient_edited_elsewhere_stays_current_without_the_changes_feed(
    fhir_server: FhirServer,
    fhir_client: FhirClient,
    network: Network,
    township: Engine,
    hospital: Engine,
) -> None:
    town = ReferralStore(township, network.town)
    transport = WithoutSystemHistory()
    with FhirClient(fhir_server.base_url, lambda: fhir_server.token, transport=transport) as link:
        _sync(township, fhir_client, network.town)
        _sync(hospital, link, network.county)
        town.refer(network.patient, _draft(network), _now())
        _sync(township, fhir_client, network.town)
        _sync(hospital, link, network.county)  # brings the referred patient (missing)
        _sync(hospital, link, network.county)  # its first refresh: asked once, no watermark
        # The hospital's rounds searched per type: the server has no system history.
        assert not history.system_history_worth_asking(hospital)

        # The township corrects the birth date and adds a phone, and sends them up.
        with township.connect() as connection:
            held = read_resource(connection, "Patient", network.patient)
        assert held is not None
        phone = {"system": "phone", "value": "13800138000", "use": "mobile"}
        record_local_change(
            township, {**held, "birthDate": "1958-03-15", "telecom": [phone]}, "update"
        )
        _sync(township, fhir_client, network.town)
        transport.requests.clear()
        report = _sync(hospital, link, network.county)

        patient = _cached_patient(hospital, network.patient)
        assert patient is not None
        assert (patient["birthDate"], patient["telecom"]) == ("1958-03-15", [phone])
        assert report.downloaded >= 1
        [asked] = transport.patient_requests()  # one search, asking what changed; no read
        assert asked.params["_id"] == network.patient
        assert asked.params["_lastUpdated"].startswith("gt")

        # Nothing changed since: the round's one search brings no patient and reads none.
        transport.requests.clear()
        quiet = _sync(hospital, link, network.county)
        assert [u.path.endswith("/Patient") for u in transport.patient_requests()] == [True]
        assert quiet.downloaded == 0
