"""Follow-ups due, read with plain sqlite3: the queue's first paint loads no ORM.

The same reading as ReferralStore.follow_ups_due (tests hold the two together).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date

from clinic_tui.referral.model import FollowUpItem

FOLLOW_UPS_DUE_SQL = """
SELECT t.id, t.patient_id, t.due_date, t.status, t.part_of, t.pending, t.resource_json,
       COALESCE(p.name, json_extract(t.resource_json, '$.for.display')) AS patient_name,
       o.name AS from_name
FROM task t
LEFT JOIN patient p ON p.id = t.patient_id
LEFT JOIN organization o ON o.id = t.requester_org
WHERE t.kind = 'follow-up' AND t.owner_org = :clinic AND t.due_date <= :day
  AND t.status IN ('requested', 'received', 'accepted', 'in-progress')
ORDER BY t.due_date, t.id
"""
"""This clinic's follow-ups not yet done, due on or before :day (overdue ones stay)."""


def follow_up_from_row(row: sqlite3.Row | dict[str, object]) -> FollowUpItem:
    """A FollowUpItem from one row of FOLLOW_UPS_DUE_SQL's columns."""
    resource = json.loads(str(row["resource_json"]))
    return FollowUpItem(
        task_id=str(row["id"]),
        patient_id=str(row["patient_id"]) if row["patient_id"] else None,
        patient_name=str(row["patient_name"] or ""),
        due=str(row["due_date"]) if row["due_date"] else None,
        plan=str(resource.get("description") or ""),
        status=str(row["status"]),
        referral_task_id=str(row["part_of"]) if row["part_of"] else None,
        from_name=str(row["from_name"] or ""),
        pending=bool(row["pending"]),
    )


def read_follow_ups_due(
    connection: sqlite3.Connection, clinic_id: str, day: date
) -> list[FollowUpItem]:
    """Follow-ups the clinic owns, not yet done, due on or before `day`, earliest first."""
    try:
        cursor = connection.execute(
            FOLLOW_UPS_DUE_SQL, {"clinic": clinic_id, "day": day.isoformat()}
        )
    except sqlite3.OperationalError:
        return []  # a cache from before the referral schema: nothing can be due there
    columns = [d[0] for d in cursor.description]
    return [follow_up_from_row(dict(zip(columns, row, strict=True))) for row in cursor]
