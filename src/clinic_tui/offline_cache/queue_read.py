"""Read today's queue with the standard library's sqlite3 only.

The queue is the first screen: reading it must not wait for SQLAlchemy to load
(a quarter of a second on an old PC). QueueRepository runs this same read on
its own connections, so there is one query and one mapping for both paths.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import date, datetime
from typing import Any

from clinic_tui.domain.fhir import Resource
from clinic_tui.domain.models import Gender, Priority, QueueEntry, QueueStatus

_WAITING_STATUSES = ("planned", "arrived", "triaged")

QUEUE_SQL = """
SELECT e.id, e.patient_id, e.queue_number, e.chief_complaint, e.priority, e.status,
       e.period_start, e.pending, e.resource_json,
       p.name, p.gender, p.birth_date, p.pending AS patient_pending
FROM encounter AS e LEFT OUTER JOIN patient AS p ON p.id = e.patient_id
WHERE e.organization_id = :clinic AND e.queue_date = :day AND e.status != 'entered-in-error'
  AND (:encounter IS NULL OR e.id = :encounter)
ORDER BY e.queue_number, e.period_start, e.id
"""
"""Registrations of one clinic on one day (index ix_encounter_queue), optionally just one."""


def parse_datetime(text: Any) -> datetime | None:
    """An aware datetime from FHIR text (naive values are taken as local time); None if bad."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.astimezone()


def _parse_date(text: Any) -> date | None:
    if not isinstance(text, str) or len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _waited_until(resource: Resource) -> datetime | None:
    """When the encounter last stopped waiting, from statusHistory (None if never recorded)."""
    ends = [
        parse_datetime((item.get("period") or {}).get("end"))
        for item in resource.get("statusHistory") or []
        if isinstance(item, dict) and item.get("status") in _WAITING_STATUSES
    ]
    known = [moment for moment in ends if moment is not None]
    return max(known) if known else None


def _entry(row: sqlite3.Row) -> QueueEntry | None:
    arrived = parse_datetime(row["period_start"])
    if arrived is None:
        return None
    status = QueueStatus.from_encounter_status(row["status"])
    waited_until = None
    if status is not QueueStatus.WAITING:
        waited_until = _waited_until(json.loads(row["resource_json"]))
    try:
        gender = Gender(row["gender"] or "unknown")
    except ValueError:
        gender = Gender.UNKNOWN
    return QueueEntry(
        encounter_id=row["id"],
        patient_id=row["patient_id"] or "",
        number=row["queue_number"] or 0,
        patient_name=row["name"] or "?",
        gender=gender,
        birth_date=_parse_date(row["birth_date"]),
        chief_complaint=row["chief_complaint"],
        priority=Priority.from_code(row["priority"]),
        status=status,
        arrived_at=arrived,
        pending=bool(row["pending"]) or bool(row["patient_pending"]),
        waited_until=waited_until,
    )


def read_queue(
    connection: sqlite3.Connection, clinic_id: str, day: date, encounter_id: str | None = None
) -> list[QueueEntry]:
    """The clinic's registrations of `day` by queue number (just `encounter_id` when given)."""
    cursor = connection.cursor()
    # A cursor-level factory leaves the connection's own row type alone for its other users.
    # The Row of the module that made the connection: SQLCipher's for an encrypted cache.
    cursor.row_factory = sys.modules[type(connection).__module__].Row
    rows = cursor.execute(
        QUEUE_SQL, {"clinic": clinic_id, "day": day.isoformat(), "encounter": encounter_id}
    ).fetchall()
    entries = [_entry(row) for row in rows]
    return [entry for entry in entries if entry is not None]
