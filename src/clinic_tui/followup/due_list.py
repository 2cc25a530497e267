"""The follow-up list in one SQL query: who is due, overdue, or not seen this year.

For each active enrolment (EpisodeOfCare) of the clinic: its earliest open next-visit Task
(kind 'chronic-follow-up', index ix_task_open), its visits this year and its last visit
(Encounters naming it, sought through the patient in the partial index ix_encounter_follow_up,
which holds only follow-up visits, then matched on `episode_ids`), and the last visit's
control (the first item of its QuestionnaireResponse). No query per patient: 5,000 enrolled
patients are read in one statement (benchmarks/followup_due_query.py measures it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from clinic_tui.followup import fhir_shapes as shapes
from clinic_tui.followup.model import Control, DueItem, Programme

_OPEN = "('draft', 'requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold')"

_VISITS = (
    "v.patient_id = n.patient_id AND v.episode_id IS NOT NULL"
    " AND instr(v.episode_ids, ' ' || n.id || ' ') > 0"
    " AND v.status NOT IN ('cancelled', 'entered-in-error')"
)
"""Visits (Encounters) of the enrolment `n`, found through its patient (ix_encounter_follow_up)."""

DUE_SQL = f"""
WITH planned AS (
    SELECT t.focus_id, min(t.due_date) AS due
    FROM task t
    WHERE t.kind = '{shapes.TASK_KIND}' AND t.status IN {_OPEN}
    GROUP BY t.focus_id
),
listed AS (
    SELECT n.id, n.patient_id, n.programme, n.care_manager_id, n.period_start, planned.due,
           (SELECT count(*) FROM encounter v
             WHERE {_VISITS} AND v.period_start >= :year_start) AS this_year,
           (SELECT v.id FROM encounter v
             WHERE {_VISITS} ORDER BY v.period_start DESC LIMIT 1) AS last_encounter
    FROM episode_of_care n
    LEFT JOIN planned ON planned.focus_id = n.id
    WHERE n.status = 'active'
      AND (:clinic IS NULL OR n.organization_id = :clinic)
      AND (:programme IS NULL OR n.programme = :programme)
      AND (:clinician IS NULL OR n.care_manager_id = :clinician)
)
SELECT l.id, l.patient_id, l.programme, l.care_manager_id, l.period_start, l.due, l.this_year,
       p.name, p.gender, p.birth_date, p.address, p.phone, v.period_start AS last_visit,
       (SELECT json_extract(q.resource_json, '$.item[0].answer[0].valueCoding.code')
          FROM questionnaire_response q
         WHERE q.encounter_id = l.last_encounter
           AND json_extract(q.resource_json, '$.item[0].linkId') = 'control'
         LIMIT 1) AS last_control
FROM listed l
JOIN patient p ON p.id = l.patient_id
LEFT JOIN encounter v ON v.id = l.last_encounter
WHERE (:address IS NULL OR instr(p.address, :address) > 0)
  AND (l.due IS NULL OR l.due <= :horizon OR l.this_year = 0)
ORDER BY COALESCE(l.due, substr(l.period_start, 1, 10)), p.name, l.id
"""
"""Active enrolments due by :horizon, overdue, unplanned or not seen since :year_start."""


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value and len(str(value)) >= 10 else None
    except ValueError:
        return None


def _control(value: Any) -> Control | None:
    try:
        return Control(str(value)) if value else None
    except ValueError:
        return None


def due_items(
    connection: Connection,
    clinic_id: str | None,
    today: date,
    *,
    horizon: date,
    programme: str | None = None,
    clinician_id: str | None = None,
    address: str | None = None,
) -> list[DueItem]:
    """The rows of the follow-up list (see ChronicRegistry.due_list)."""
    params = {
        "clinic": clinic_id,
        "programme": programme,
        "clinician": clinician_id,
        "address": address,
        "horizon": horizon.isoformat(),
        "year_start": date(today.year, 1, 1).isoformat(),
    }
    items = []
    for row in connection.execute(text(DUE_SQL), params):
        try:
            kind = Programme(row.programme)
        except ValueError:
            continue  # an EpisodeOfCare of another programme (not ours to list)
        items.append(
            DueItem(
                enrolment_id=row.id,
                patient_id=row.patient_id,
                name=row.name or "",
                gender=row.gender or "unknown",
                birth_date=_date(row.birth_date),
                address=row.address or "",
                programme=kind,
                clinician_id=row.care_manager_id,
                due=_date(row.due),
                last_visit=_date(row.last_visit),
                visits_this_year=int(row.this_year or 0),
                last_control=_control(row.last_control),
                phone=row.phone or "",
            )
        )
    return items
