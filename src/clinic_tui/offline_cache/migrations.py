"""Schema versions of the cache and the steps between them.

The schema version lives in `PRAGMA user_version`; `PRAGMA application_id`
marks the file as ours so a foreign SQLite database is never mistaken for a
cache. A new cache runs every step from zero, so a fresh install and an
upgraded one always end on the same schema. Steps are frozen once released:
change the schema by appending a step, never by editing one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from clinic_tui.domain.fhir import (
    encounter_columns,
    home_address,
    service_request_columns,
    task_columns,
)
from clinic_tui.domain.pinyin import given_pinyin, search_keys

APPLICATION_ID = 0x434C4E43
"""'CLNC': written into the SQLite header of every cache."""

_RESOURCE_COLUMNS = """
    id TEXT PRIMARY KEY NOT NULL,
    version_id TEXT,
    last_updated TEXT,
    resource_json TEXT NOT NULL,
    pending BOOLEAN NOT NULL DEFAULT 0"""

_V1 = f"""
CREATE TABLE patient ({_RESOURCE_COLUMNS},
    name TEXT NOT NULL DEFAULT '', family TEXT NOT NULL DEFAULT '', given TEXT NOT NULL DEFAULT '',
    gender TEXT NOT NULL DEFAULT 'unknown', birth_date TEXT, identifier TEXT, phone TEXT,
    organization_id TEXT, active BOOLEAN NOT NULL DEFAULT 1);
CREATE INDEX ix_patient_identifier ON patient (identifier);
CREATE INDEX ix_patient_phone ON patient (phone);
CREATE INDEX ix_patient_name ON patient (name);
CREATE TABLE practitioner ({_RESOURCE_COLUMNS}, name TEXT NOT NULL DEFAULT '');
CREATE TABLE organization ({_RESOURCE_COLUMNS},
    name TEXT NOT NULL DEFAULT '', kind TEXT, part_of TEXT);
CREATE TABLE encounter ({_RESOURCE_COLUMNS},
    patient_id TEXT, organization_id TEXT, status TEXT NOT NULL DEFAULT 'unknown', priority TEXT,
    chief_complaint TEXT NOT NULL DEFAULT '', period_start TEXT, period_end TEXT,
    queue_date TEXT, queue_number INTEGER);
CREATE INDEX ix_encounter_patient_id ON encounter (patient_id);
CREATE INDEX ix_encounter_queue ON encounter (organization_id, queue_date);
CREATE TABLE condition ({_RESOURCE_COLUMNS},
    patient_id TEXT, code TEXT, display TEXT NOT NULL DEFAULT '',
    clinical_status TEXT NOT NULL DEFAULT 'active', onset TEXT);
CREATE INDEX ix_condition_patient_id ON condition (patient_id);
CREATE TABLE allergy_intolerance ({_RESOURCE_COLUMNS},
    patient_id TEXT, code TEXT, display TEXT NOT NULL DEFAULT '',
    clinical_status TEXT NOT NULL DEFAULT 'active', criticality TEXT, reaction TEXT,
    no_known BOOLEAN NOT NULL DEFAULT 0);
CREATE INDEX ix_allergy_intolerance_patient_id ON allergy_intolerance (patient_id);
CREATE TABLE observation ({_RESOURCE_COLUMNS},
    patient_id TEXT, code TEXT, category TEXT, value FLOAT, value2 FLOAT, unit TEXT,
    effective TEXT);
CREATE INDEX ix_observation_patient_code ON observation (patient_id, code, effective);
CREATE TABLE medication_request ({_RESOURCE_COLUMNS},
    patient_id TEXT, medication TEXT NOT NULL DEFAULT '', dosage_text TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'unknown', authored_on TEXT, group_id TEXT);
CREATE INDEX ix_medication_request_patient_id ON medication_request (patient_id);
CREATE TABLE service_request ({_RESOURCE_COLUMNS},
    patient_id TEXT, category TEXT, status TEXT NOT NULL DEFAULT 'unknown', priority TEXT,
    reason TEXT NOT NULL DEFAULT '', requester_org TEXT, performer_org TEXT, authored_on TEXT);
CREATE INDEX ix_service_request_patient_id ON service_request (patient_id);
CREATE TABLE task ({_RESOURCE_COLUMNS},
    focus_id TEXT, patient_id TEXT, status TEXT NOT NULL DEFAULT 'unknown', owner_org TEXT,
    requester_org TEXT, authored_on TEXT, last_modified TEXT);
CREATE INDEX ix_task_focus_id ON task (focus_id);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, operation TEXT NOT NULL,
    base_version TEXT, base_json TEXT, created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', error TEXT, attempts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX ix_outbox_resource ON outbox (resource_type, resource_id);
CREATE TABLE sync_state (resource_type TEXT PRIMARY KEY NOT NULL, watermark TEXT,
    last_success TEXT);
CREATE TABLE cache_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
"""

# v2: pinyin search keys, so `zs` and `zhangsan` find 张三 through an index.
_V2 = """
ALTER TABLE patient ADD COLUMN pinyin_full TEXT NOT NULL DEFAULT '';
ALTER TABLE patient ADD COLUMN pinyin_initials TEXT NOT NULL DEFAULT '';
CREATE INDEX ix_patient_pinyin_full ON patient (pinyin_full);
CREATE INDEX ix_patient_pinyin_initials ON patient (pinyin_initials);
"""


# v3: case-insensitive prefix search on Latin family and given names (John Smith by "smith").
_V3 = """
CREATE INDEX ix_patient_family_lower ON patient (lower(family));
CREATE INDEX ix_patient_given_lower ON patient (lower(given));
"""


# v4: sync groundwork. A download that meets a record with a pending local change keeps the
# server's version aside (never overwrites the local one) for the three-way merge; a deletion
# on the server is kept aside the same way (deleted = 1, resource_json NULL). sync_state gains
# the position of the type's _history scan, which is how server deletes are found.
_V4 = """
CREATE TABLE server_version (
    resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, version_id TEXT, last_updated TEXT,
    resource_json TEXT, deleted BOOLEAN NOT NULL DEFAULT 0, received_at TEXT NOT NULL,
    PRIMARY KEY (resource_type, resource_id));
ALTER TABLE sync_state ADD COLUMN history_since TEXT;
"""


# v5: conflicts waiting for a person (same element changed here and on the server). One per
# record: a newer conflict for the same record replaces the older one.
_V5 = """
CREATE TABLE conflict (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_type TEXT NOT NULL, resource_id TEXT NOT NULL,
    base_json TEXT, local_json TEXT NOT NULL, remote_json TEXT NOT NULL,
    fields_json TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE UNIQUE INDEX ix_conflict_resource ON conflict (resource_type, resource_id);
"""

# A conflict now has a kind: 'edit-edit' (both sides changed fields), 'deleted-on-server'
# (no server version: remote_json becomes nullable, so the table is rebuilt), 'deleted-here'.
_V6 = """
CREATE TABLE conflict_v6 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_type TEXT NOT NULL, resource_id TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'edit-edit',
    base_json TEXT, local_json TEXT NOT NULL, remote_json TEXT,
    fields_json TEXT NOT NULL, created_at TEXT NOT NULL);
INSERT INTO conflict_v6 (id, resource_type, resource_id, kind, base_json, local_json,
    remote_json, fields_json, created_at)
    SELECT id, resource_type, resource_id, 'edit-edit', base_json, local_json, remote_json,
    fields_json, created_at FROM conflict;
DROP TABLE conflict;
ALTER TABLE conflict_v6 RENAME TO conflict;
CREATE UNIQUE INDEX ix_conflict_resource ON conflict (resource_type, resource_id);
"""

_V7_OUTBOX_SENT = """
ALTER TABLE outbox ADD COLUMN sent_json TEXT;
"""
"""v7: the body each change was last sent with, so a lost answer's record is known as ours."""


# v8: ICD-10 terminology for diagnosis search (clinic_tui.terminology fills and reads these).
# One row per code of a code system (WHO ICD-10, the national clinical edition), its titles and
# their normalised forms; terminology_search_key holds the search keys of each active code
# (title n-grams, pinyin n-grams and suffixes, English words), kept in `rank` order (shorter
# codes first) so a key's best hits are the first rows of one index range.
_V8_TERMINOLOGY = """
CREATE TABLE terminology_concept (
    id INTEGER PRIMARY KEY,
    system TEXT NOT NULL, code TEXT NOT NULL, code_key TEXT NOT NULL,
    display_zh TEXT NOT NULL DEFAULT '', display_en TEXT NOT NULL DEFAULT '',
    title_key TEXT NOT NULL DEFAULT '', english_key TEXT NOT NULL DEFAULT '',
    pinyin_full TEXT NOT NULL DEFAULT '', pinyin_initials TEXT NOT NULL DEFAULT '',
    rank INTEGER NOT NULL, active BOOLEAN NOT NULL DEFAULT 1, source TEXT NOT NULL);
CREATE UNIQUE INDEX ix_terminology_concept_system_code ON terminology_concept (system, code);
CREATE INDEX ix_terminology_concept_code_key ON terminology_concept (code_key);
CREATE INDEX ix_terminology_concept_title_key ON terminology_concept (title_key);
CREATE INDEX ix_terminology_concept_english_key ON terminology_concept (english_key);
CREATE INDEX ix_terminology_concept_pinyin_full ON terminology_concept (pinyin_full);
CREATE INDEX ix_terminology_concept_pinyin_initials ON terminology_concept (pinyin_initials);
CREATE TABLE terminology_search_key (
    key TEXT NOT NULL, rank INTEGER NOT NULL, concept_id INTEGER NOT NULL,
    PRIMARY KEY (key, rank, concept_id)) WITHOUT ROWID;
CREATE TABLE terminology_source (
    system TEXT NOT NULL, source TEXT NOT NULL, version TEXT NOT NULL DEFAULT '',
    concepts INTEGER NOT NULL DEFAULT 0, imported_at TEXT NOT NULL,
    PRIMARY KEY (system, source));
"""
_V9_CHART_NOTES = f"""
CREATE TABLE document_reference ({_RESOURCE_COLUMNS},
    patient_id TEXT, encounter_id TEXT, status TEXT NOT NULL DEFAULT 'unknown', doc_status TEXT,
    date TEXT, description TEXT NOT NULL DEFAULT '');
CREATE INDEX ix_document_reference_patient_id ON document_reference (patient_id);
CREATE INDEX ix_document_reference_encounter_id ON document_reference (encounter_id);
"""
"""v9: consultation notes (DocumentReference), one per visit, written from the chart."""


# v10 (front desk): the pinyin of the given name alone, so `shuzhen` finds 王淑珍 through an index;
# and family then given name, so "Okafor Ah" (family name first) is one index range.
_V10_GIVEN_PINYIN = """
ALTER TABLE patient ADD COLUMN pinyin_given TEXT NOT NULL DEFAULT '';
CREATE INDEX ix_patient_pinyin_given ON patient (pinyin_given);
CREATE INDEX ix_patient_family_given_lower ON patient (lower(family), lower(given));
"""

# formulary (prescribing): the drugs a clinic prescribes, the shipped starter and a hospital's own
# import; each row keeps the whole drug as JSON (prescribing/formulary_store.py reads it).
_FORMULARY = """
CREATE TABLE formulary_drug (
    code TEXT PRIMARY KEY NOT NULL, name_en TEXT NOT NULL, name_zh TEXT NOT NULL,
    atc TEXT NOT NULL DEFAULT '', drug_json TEXT NOT NULL, source TEXT NOT NULL,
    reviewed BOOLEAN NOT NULL DEFAULT 1, updated_at TEXT NOT NULL);
CREATE INDEX ix_formulary_drug_atc ON formulary_drug (atc);
CREATE TABLE formulary_source (
    source TEXT PRIMARY KEY NOT NULL, version TEXT NOT NULL DEFAULT '',
    drugs INTEGER NOT NULL DEFAULT 0, imported_at TEXT NOT NULL);
"""
# v14 (triage inbox): a hospital's departments (Organizations partOf it) in one index range;
# the inbox's Tasks come through v12's ix_task_owner_status.
_V14_TRIAGE_INBOX = """
CREATE INDEX ix_organization_part_of ON organization (part_of);
"""


# Audit records of charts opened and records written here (issue #13). Apart from the outbox:
# never merged or downloaded, only sent up once; the partial index finds what still waits.
_AUDIT_EVENTS = """
CREATE TABLE audit_event (
    id TEXT PRIMARY KEY NOT NULL, recorded TEXT NOT NULL, patient_id TEXT, agent TEXT,
    agent_name TEXT NOT NULL DEFAULT '', action TEXT NOT NULL, entity TEXT NOT NULL,
    resource_json TEXT NOT NULL, sent_at TEXT, refused TEXT);
CREATE INDEX ix_audit_event_patient ON audit_event (patient_id, recorded);
CREATE INDEX ix_audit_event_unsent ON audit_event (recorded)
    WHERE sent_at IS NULL AND refused IS NULL;
"""
"""Audit events (AuditEvent) of chart reads and local writes."""
# v12 (referrals): what the referral lists, the triage inbox and the follow-ups on the queue
# query, and the conversation between the two doctors (Communication).
_V12_REFERRALS = f"""
ALTER TABLE service_request ADD COLUMN department_org TEXT;
ALTER TABLE service_request ADD COLUMN specialty TEXT;
ALTER TABLE service_request ADD COLUMN reason_code TEXT;
ALTER TABLE task ADD COLUMN kind TEXT;
ALTER TABLE task ADD COLUMN priority TEXT;
ALTER TABLE task ADD COLUMN business_status TEXT;
ALTER TABLE task ADD COLUMN department_org TEXT;
ALTER TABLE task ADD COLUMN specialty TEXT;
ALTER TABLE task ADD COLUMN appointment TEXT;
ALTER TABLE task ADD COLUMN due_date TEXT;
ALTER TABLE task ADD COLUMN part_of TEXT;
CREATE INDEX ix_task_owner_status ON task (owner_org, kind, status);
CREATE INDEX ix_task_requester ON task (requester_org, kind);
CREATE INDEX ix_task_patient_id ON task (patient_id);
CREATE INDEX ix_task_due ON task (kind, due_date);
CREATE TABLE communication ({_RESOURCE_COLUMNS},
    patient_id TEXT, task_id TEXT, request_id TEXT, sender_org TEXT, recipient_org TEXT,
    kind TEXT, sent TEXT, in_response_to TEXT);
CREATE INDEX ix_communication_task_id ON communication (task_id);
"""


def _run_script(connection: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT first; run statement by statement to stay in one transaction.
    for statement in script.split(";"):
        if statement.strip():
            connection.execute(statement)


def _to_v1(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V1)


def _to_v2(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V2)
    rows = connection.execute("SELECT id, name FROM patient").fetchall()
    connection.executemany(
        "UPDATE patient SET pinyin_full = ?, pinyin_initials = ? WHERE id = ?",
        [(*search_keys(name), ident) for ident, name in rows],
    )


def _to_v3(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V3)


def _to_v4(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V4)


def _to_v5(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V5)


def _to_v6(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V6)


def _to_v7_outbox_sent(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V7_OUTBOX_SENT)


def _to_v8_terminology(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V8_TERMINOLOGY)


def _to_v9_chart_notes(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V9_CHART_NOTES)


def _to_v10_given_pinyin(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V10_GIVEN_PINYIN)
    # Only Han given names have a pinyin key; the rest keep ''. The same reading as
    # domain.fhir.patient_columns, so a migrated cache equals a freshly synced one.
    # One pypinyin reading per distinct given name: many people share one (建国, 秀英).
    givens = [row[0] for row in connection.execute("SELECT DISTINCT given FROM patient")]
    keys = [(key, given) for given in givens if (key := given_pinyin(given))]
    # lower(given) = lower(?2): through the v3 index on lower(given), not a scan per name.
    connection.executemany(
        "UPDATE patient SET pinyin_given = ?1 WHERE lower(given) = lower(?2) AND given = ?2", keys
    )


def _to_v11_audit_events(connection: sqlite3.Connection) -> None:
    _run_script(connection, _AUDIT_EVENTS)


def _to_v12_referrals(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V12_REFERRALS)
    # Tasks and ServiceRequests already cached get the new columns from their JSON, the same
    # reading as domain.fhir, so a migrated cache equals a freshly synced one.
    for table, columns in (("task", task_columns), ("service_request", service_request_columns)):
        rows = connection.execute(f"SELECT id, resource_json FROM {table}").fetchall()
        names = _V12_NEW_COLUMNS[table]
        sets = ", ".join(f"{name} = ?" for name in names)
        connection.executemany(
            f"UPDATE {table} SET {sets} WHERE id = ?",
            [
                (*(values[name] for name in names), ident)
                for ident, text in rows
                for values in (columns(json.loads(text)),)
            ],
        )


_V12_NEW_COLUMNS = {
    "task": (
        "kind", "priority", "business_status", "department_org", "specialty", "appointment",
        "due_date", "part_of",
    ),
    "service_request": ("department_org", "specialty", "reason_code"),
}  # fmt: skip


def _to_v13_formulary(connection: sqlite3.Connection) -> None:
    _run_script(connection, _FORMULARY)


def _to_v14_triage_inbox(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V14_TRIAGE_INBOX)


# formulary pinyin (prescribing/formulary_store.py): each drug's pinyin keys, worked out when
# it is written, so the order screen's completion never loads pypinyin. '' = not yet worked
# out (rows from before this step: the next start fills them).
_FORMULARY_PINYIN = """
ALTER TABLE formulary_drug ADD COLUMN pinyin_keys TEXT NOT NULL DEFAULT '';
"""


def _to_v15_formulary_pinyin(connection: sqlite3.Connection) -> None:
    _run_script(connection, _FORMULARY_PINYIN)


# Chronic-disease follow-up (issue #21): enrolments (EpisodeOfCare), the answers of a 随访 form
# (QuestionnaireResponse), the programme a visit belongs to (Encounter.episodeOfCare) and the
# home address a village visit list is sorted by.
_V16_CHRONIC_FOLLOW_UP = f"""
CREATE TABLE episode_of_care ({_RESOURCE_COLUMNS},
    patient_id TEXT, programme TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'active',
    period_start TEXT, period_end TEXT, organization_id TEXT, care_manager_id TEXT,
    leave_reason TEXT);
CREATE INDEX ix_episode_of_care_patient_id ON episode_of_care (patient_id);
CREATE INDEX ix_episode_of_care_programme ON episode_of_care (programme, status);
CREATE TABLE questionnaire_response ({_RESOURCE_COLUMNS},
    patient_id TEXT, encounter_id TEXT, questionnaire TEXT, authored TEXT,
    status TEXT NOT NULL DEFAULT 'completed');
CREATE INDEX ix_questionnaire_response_patient_id ON questionnaire_response (patient_id);
CREATE INDEX ix_questionnaire_response_encounter_id ON questionnaire_response (encounter_id);
ALTER TABLE encounter ADD COLUMN episode_id TEXT;
CREATE INDEX ix_encounter_episode_id ON encounter (episode_id);
ALTER TABLE patient ADD COLUMN address TEXT NOT NULL DEFAULT '';
"""


def _to_v16_chronic_follow_up(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V16_CHRONIC_FOLLOW_UP)
    # Rows already cached get the new columns from their JSON, as a fresh sync would write them.
    patients = connection.execute("SELECT id, resource_json FROM patient").fetchall()
    connection.executemany(
        "UPDATE patient SET address = ? WHERE id = ?",
        [(home_address(json.loads(text))[:500], ident) for ident, text in patients],
    )
    visits = connection.execute(
        "SELECT id, resource_json FROM encounter WHERE resource_json LIKE '%episodeOfCare%'"
    ).fetchall()
    connection.executemany(
        "UPDATE encounter SET episode_id = ? WHERE id = ?",
        [(encounter_columns(json.loads(text))["episode_id"], ident) for ident, text in visits],
    )


# The follow-up list (followup/due_list.py) in one query for 5,000 enrolled patients: every
# programme a visit covers (a 随访 may cover hypertension and diabetes at once: episode_ids);
# the visits of a patient, this year's or the last, sought in a partial index that holds only
# follow-up visits (a patient's years of ordinary visits are not read); the open next-visit
# Tasks (kind, status first: the completed ones are not read). A follow-up at home or by phone
# is no queue registration: rows cached before this lose their queue date, as
# encounter_columns now says.
_V17_FOLLOW_UP_LIST = """
ALTER TABLE encounter ADD COLUMN episode_ids TEXT;
CREATE INDEX ix_encounter_follow_up ON encounter (patient_id, period_start, status, episode_ids)
    WHERE episode_id IS NOT NULL;
CREATE INDEX ix_task_open ON task (kind, status, focus_id, due_date);
CREATE INDEX ix_episode_of_care_organization ON episode_of_care (organization_id, status);
"""


def _to_v17_follow_up_list(connection: sqlite3.Connection) -> None:
    _run_script(connection, _V17_FOLLOW_UP_LIST)
    visits = connection.execute(
        "SELECT id, resource_json FROM encounter WHERE episode_id IS NOT NULL"
    ).fetchall()
    columns = [encounter_columns(json.loads(text)) for _, text in visits]
    connection.executemany(
        "UPDATE encounter SET episode_ids = ?, queue_date = ? WHERE id = ?",
        [
            (found["episode_ids"], found["queue_date"], ident)
            for (ident, _), found in zip(visits, columns, strict=True)
        ],
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _to_v1,
    _to_v2,
    _to_v3,
    _to_v4,
    _to_v5,
    _to_v6,
    _to_v7_outbox_sent,
    _to_v8_terminology,
    _to_v9_chart_notes,
    _to_v10_given_pinyin,
    _to_v11_audit_events,
    _to_v12_referrals,
    _to_v13_formulary,
    _to_v14_triage_inbox,
    _to_v15_formulary_pinyin,
    _to_v16_chronic_follow_up,
    _to_v17_follow_up_list,
]
"""MIGRATIONS[n] takes a cache from schema version n to n + 1."""

LATEST_VERSION = len(MIGRATIONS)


def _version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def migrate(connection: sqlite3.Connection, target: int = LATEST_VERSION) -> int:
    """Bring a cache up to `target` in one transaction; returns the version it started from."""
    start = _version(connection)
    if start >= target:
        # Up to date (versions only go up): no write lock, so opening a cache never waits
        # for another process's write.
        return start
    # The write lock first, then the version again: two processes opening an unmigrated
    # cache at once (browser tabs of `clinic-tui serve`) both read the old version above,
    # and the second to get the lock would run the steps again on a migrated cache. It
    # waits here (the connection's busy timeout) and finds the work done.
    connection.execute("BEGIN IMMEDIATE")
    try:
        start = _version(connection)
        if start >= target:
            connection.execute("COMMIT")
            return start
        for step in MIGRATIONS[start:target]:
            step(connection)
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {target}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return start
