"""The hospital expert's triage inbox, read from the cache with one query.

Rows are the referral Tasks owned by the hospital or one of its departments
(Organizations whose partOf is the hospital), each joined with its
ServiceRequest, the patient and the two organizations. Everything the table
shows comes from indexed columns: no row's JSON is parsed when the inbox opens
(only the preview of the one selected row reads JSON). Filters run on the rows
in memory, so a keystroke in the filter never touches the disk.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from clinic_tui.domain.pinyin import normalise_query, search_keys
from clinic_tui.referral.thread_seen import incoming_sql, seen_sql, unread

URGENCIES = ("stat", "asap", "urgent", "routine")
"""ServiceRequest.priority codes, most urgent first: the inbox's first sort key."""
URGENCY_RANK = {code: rank for rank, code in enumerate(URGENCIES)}

STATUSES = (
    "requested",
    "received",
    "accepted",
    "in-progress",
    "completed",
    "rejected",
    "cancelled",
)
"""Task.status values a referral goes through (see domain.referral_workflow)."""
AWAITING_TRIAGE = frozenset({"requested", "received"})
"""Statuses in which the referral waits for the expert's decision: the SLA clock runs."""
OPEN = frozenset({"requested", "received", "accepted", "in-progress"})
"""Statuses still on the hospital's desk (the inbox's default view)."""
SLA_URGENCIES = frozenset({"urgent", "asap", "stat"})
"""Urgencies the SLA limit applies to (routine referrals have no timer)."""

# The department a referral waits at: the Task's (moved by a forward), else the one the
# township chose (the ServiceRequest's), else the Task's owner when that is a department.
INBOX_SQL = """
WITH units(id) AS (
    SELECT :hospital UNION
    SELECT id FROM organization WHERE part_of = :hospital AND kind IS NOT 'township'
)
SELECT t.id AS task_id, t.focus_id, t.status, t.pending AS task_pending,
       COALESCE(t.authored_on, s.authored_on) AS authored_on, t.last_modified,
       COALESCE(s.priority, t.priority) AS priority, s.reason, s.pending AS request_pending,
       COALESCE(t.patient_id, s.patient_id) AS patient_id,
       -- The referred Patient comes down after the referral (sync/referred_patients.py);
       -- until it has, the name rides on Task.for.
       COALESCE(p.name, json_extract(t.resource_json, '$.for.display')) AS patient_name,
       p.gender, p.birth_date, p.pinyin_full, p.pinyin_initials, src.name AS from_name,
       dept.id AS department_id, dept.name AS department,
       INCOMING AS incoming, SEEN AS seen
FROM task AS t
JOIN service_request AS s ON s.id = t.focus_id
LEFT JOIN patient AS p ON p.id = COALESCE(t.patient_id, s.patient_id)
LEFT JOIN organization AS src ON src.id = COALESCE(s.requester_org, t.requester_org)
LEFT JOIN organization AS dept
    ON dept.id = COALESCE(t.department_org, s.department_org, t.owner_org)
    AND dept.part_of = :hospital AND dept.kind IS NOT 'township'
WHERE t.owner_org IN units AND t.kind = 'referral'
""".replace("INCOMING", incoming_sql("t.id", "COALESCE(c.sender_org, '') IN units")).replace(
    "SEEN", seen_sql("t.id")
)
"""The inbox of one hospital: Tasks through ix_task_owner_status, the rest by primary key."""

HOSPITAL_KINDS = ("county", "city", "hospital", "prov")
"""Organization kinds (Organization.type codes) that make an organization a hospital."""


@dataclass(frozen=True)
class InboxRow:
    """One referral as the triage inbox lists it."""

    task_id: str
    request_id: str
    patient_id: str | None
    patient_name: str
    gender: str
    birth_date: date | None
    from_name: str
    """The referring clinic (township health centre)."""
    department: str
    """The target department's name; '' when the referral names only the hospital."""
    department_id: str | None
    urgency: str
    """routine, urgent, asap or stat."""
    status: str
    """The Task's status."""
    authored_on: datetime | None
    last_modified: datetime | None
    reason: str
    pending: bool
    """A local change to the Task or its request waits to be uploaded."""
    unread: int = 0
    """Messages from the township that arrived since the thread was last opened here."""
    search_text: str = field(default="", compare=False, repr=False)
    """Lower-case name, reason, clinic and department, and the pinyin (full and initials) of
    the name, clinic and department: what the text filter looks in."""

    @property
    def awaiting_triage(self) -> bool:
        """True while the expert has not decided (requested or received)."""
        return self.status in AWAITING_TRIAGE

    def waiting(self, now: datetime) -> timedelta | None:
        """How long it has waited: until now while undecided, else until its last change."""
        if self.authored_on is None:
            return None
        until = now if self.status in OPEN or self.last_modified is None else self.last_modified
        return max(until - self.authored_on, timedelta(0))

    def sla_over(self, now: datetime, limit: timedelta) -> timedelta | None:
        """By how much an undecided urgent referral is past `limit`; None when it is not."""
        if self.urgency not in SLA_URGENCIES or not self.awaiting_triage:
            return None
        waited = self.waiting(now)
        if waited is None or waited <= limit:
            return None
        return waited - limit


@dataclass(frozen=True)
class InboxFilter:
    """What the expert narrowed the inbox to; an empty field lets everything through."""

    urgency: str | None = None
    department: str | None = None
    """A department's name (the rows carry names; two departments never share one)."""
    statuses: frozenset[str] = AWAITING_TRIAGE
    """Statuses shown; empty = all. The default: those waiting for the expert's decision."""
    waiting_longer_than: timedelta | None = None
    text: str = ""

    def matches(self, row: InboxRow, now: datetime) -> bool:
        """True when `row` passes every filter."""
        return bool(self.apply([row], now))

    def apply(self, rows: Iterable[InboxRow], now: datetime) -> list[InboxRow]:
        """The rows that pass, in the order given (one pass, cheapest tests first)."""
        found = list(rows)
        if self.statuses:
            found = [row for row in found if row.status in self.statuses]
        if self.urgency is not None:
            found = [row for row in found if row.urgency == self.urgency]
        if self.department is not None:
            found = [row for row in found if row.department == self.department]
        for word in self.text.lower().split():
            # Pinyin keys are kept without apostrophes or ü, as patient search keeps them.
            word = normalise_query(word) or word
            found = [row for row in found if word in row.search_text]
        if self.waiting_longer_than is not None:
            longer = self.waiting_longer_than
            found = [row for row in found if (row.waiting(now) or timedelta(0)) > longer]
        return found

    def narrows(self, before: InboxFilter) -> bool:
        """True when every row this lets through `before` let through too (typing on)."""
        return replace(self, text=before.text) == before and self.text.startswith(before.text)


def _instant(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.astimezone()


def _day(text: Any) -> date | None:
    if not isinstance(text, str) or len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


_FAR_FUTURE = datetime.max.replace(tzinfo=datetime.now().astimezone().tzinfo)


def sort_key(row: InboxRow) -> tuple[int, datetime, str]:
    """Most urgent first, then the longest wait (the oldest request) first."""
    return (
        URGENCY_RANK.get(row.urgency, len(URGENCIES)),
        row.authored_on or _FAR_FUTURE,
        row.task_id,
    )


def _keys_of(name: str, known: dict[str, str]) -> str:
    """'full initials' pinyin of a name, worked out once per name (clinics and departments
    repeat on every row; few names, so the dictionary stays small)."""
    keys = known.get(name)
    if keys is None:
        keys = known[name] = " ".join(search_keys(name)) if name else ""
    return keys


def read_inbox(connection: sqlite3.Connection, hospital_id: str) -> list[InboxRow]:
    """Every referral owned by `hospital_id` or its departments, sorted by urgency then wait."""
    rows = []
    known: dict[str, str] = {}
    for found in connection.execute(INBOX_SQL, {"hospital": hospital_id}):
        name = found["patient_name"] or ""
        reason = found["reason"] or ""
        source = found["from_name"] or ""
        department = found["department"] or ""
        rows.append(
            InboxRow(
                task_id=found["task_id"],
                request_id=found["focus_id"],
                patient_id=found["patient_id"],
                patient_name=name,
                gender=found["gender"] or "unknown",
                birth_date=_day(found["birth_date"]),
                from_name=source,
                department=department,
                department_id=found["department_id"],
                urgency=found["priority"] or "routine",
                status=found["status"],
                authored_on=_instant(found["authored_on"]),
                last_modified=_instant(found["last_modified"]),
                reason=reason,
                pending=bool(found["task_pending"] or found["request_pending"]),
                unread=unread(found["incoming"], found["seen"]),
                search_text=" ".join(
                    (
                        name,
                        reason,
                        source,
                        department,
                        # The patient's keys come from the cache (written with the patient);
                        # a patient not yet downloaded has only Task.for's name to go on.
                        f"{found['pinyin_full']} {found['pinyin_initials']}"
                        if found["pinyin_full"]
                        else _keys_of(name, known),
                        _keys_of(source, known),
                        _keys_of(department, known),
                    )
                ).lower(),
            )
        )
    rows.sort(key=sort_key)
    return rows


@dataclass(frozen=True)
class Department:
    """A department of the hospital (an Organization with partOf = the hospital)."""

    id: str
    name: str


def read_departments(connection: sqlite3.Connection, hospital_id: str) -> list[Department]:
    """The hospital's departments by name (index ix_organization_part_of); the township health
    centres of its medical alliance are partOf it too, and are no department."""
    found = connection.execute(
        "SELECT id, name FROM organization WHERE part_of = ? AND kind IS NOT 'township' "
        "ORDER BY name, id",
        (hospital_id,),
    )
    return [Department(row["id"], row["name"]) for row in found]


def _kind_list() -> str:
    return ", ".join(f"'{kind}'" for kind in HOSPITAL_KINDS)


def is_hospital(connection: sqlite3.Connection, organization_id: str | None) -> bool:
    """True when `organization_id` is a hospital (its Organization.type kind is one)."""
    if not organization_id:
        return False
    found = connection.execute(
        f"SELECT 1 FROM organization WHERE id = ? AND kind IN ({_kind_list()})",
        (organization_id,),
    ).fetchone()
    return found is not None


def resolve_hospital(connection: sqlite3.Connection, clinic_id: str | None) -> str | None:
    """The hospital whose inbox an expert at this workstation works.

    The clinic itself when it is a hospital (or a department: then its hospital);
    else the hospital the clinic belongs to (a township's partOf, its medical
    alliance's county hospital); else the first hospital in the cache.
    """
    if clinic_id:
        row = connection.execute(
            "SELECT id, kind, part_of FROM organization WHERE id = ?", (clinic_id,)
        ).fetchone()
        if row is not None:
            if row["kind"] in HOSPITAL_KINDS:
                return str(row["id"])
            if row["part_of"] and is_hospital(connection, row["part_of"]):
                return str(row["part_of"])
    first = connection.execute(
        f"SELECT id FROM organization WHERE kind IN ({_kind_list()}) "
        "ORDER BY kind != 'county', name, id LIMIT 1"
    ).fetchone()
    return str(first["id"]) if first is not None else None


@dataclass(frozen=True)
class Preview:
    """The selected referral's summary, read from its ServiceRequest and Task JSON."""

    reason: str
    summary: str
    """The clinical summary the township sent (note and supportingInfo texts)."""
    decision: str
    """What the hospital said: decline reason, appointment, advice ('' before any)."""


def _texts(items: Any, key: str) -> list[str]:
    found = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                found.append(value.strip())
    return found


def read_preview(connection: sqlite3.Connection, task_id: str) -> Preview | None:
    """The preview of one referral (two rows by primary key, their JSON parsed)."""
    row = connection.execute(
        "SELECT t.resource_json AS task, s.resource_json AS request FROM task AS t "
        "JOIN service_request AS s ON s.id = t.focus_id WHERE t.id = ?",
        (task_id,),
    ).fetchone()
    if row is None:
        return None
    task = json.loads(row["task"])
    request = json.loads(row["request"])
    reasons = [
        str(code.get("text") or "")
        for code in request.get("reasonCode") or []
        if isinstance(code, dict)
    ]
    summary = _texts(request.get("note"), "text")
    summary += [
        str(info.get("display"))
        for info in request.get("supportingInfo") or []
        if isinstance(info, dict) and info.get("display")
    ]
    decision = []
    reason = task.get("statusReason")
    if isinstance(reason, dict) and reason.get("text"):
        decision.append(str(reason["text"]))
    decision += _texts(task.get("output"), "valueString")
    decision += _texts(task.get("note"), "text")
    return Preview(
        reason="; ".join(text for text in reasons if text),
        summary="\n".join(summary),
        decision="\n".join(decision),
    )
