"""Enrolments and 随访 visits read back from their cached FHIR JSON (followup/fhir_shapes.py).

What another workstation or the server wrote comes through the same reading, so every
value is checked for its type: a record this app did not write still reads without a
traceback (fields it cannot read stay empty).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from clinic_tui.domain.fhir import (
    LEAVE_REASON_EXTENSION,
    PROGRAMME_SYSTEM,
    Resource,
    concept_code,
    episode_ids,
    reference_id,
)
from clinic_tui.followup import fhir_shapes as shapes
from clinic_tui.followup.model import (
    Control,
    Enrolment,
    FollowUpValues,
    FollowUpVisit,
    LeaveReason,
    Lifestyle,
    Programme,
    VisitMode,
)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) else None
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.astimezone()


def programme_of(resource: Resource) -> Programme | None:
    """The programme an EpisodeOfCare is of, None when not one of ours."""
    types = resource.get("type") or []
    for concept in types if isinstance(types, list) else []:
        codings = concept.get("coding") if isinstance(concept, dict) else None
        for coding in codings if isinstance(codings, list) else []:
            if isinstance(coding, dict) and coding.get("system") == PROGRAMME_SYSTEM:
                try:
                    return Programme(str(coding.get("code")))
                except ValueError:
                    return None
    return None


def enrolment_of(resource: Resource) -> Enrolment | None:
    """An Enrolment from an EpisodeOfCare; None when it is no programme's or has no start."""
    programme = programme_of(resource)
    period = resource.get("period") if isinstance(resource.get("period"), dict) else {}
    start = _date((period or {}).get("start"))
    if programme is None or start is None:
        return None
    reason = None
    for extension in resource.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == LEAVE_REASON_EXTENSION:
            code = concept_code(extension.get("valueCodeableConcept")) or extension.get("valueCode")
            try:
                reason = LeaveReason(str(code))
            except ValueError:
                reason = LeaveReason.OTHER
    return Enrolment(
        id=str(resource.get("id")),
        patient_id=reference_id(resource.get("patient"), "Patient") or "",
        programme=programme,
        active=resource.get("status") == "active",
        start=start,
        end=_date((period or {}).get("end")),
        clinician_id=reference_id(resource.get("careManager"), "Practitioner"),
        organization_id=reference_id(resource.get("managingOrganization"), "Organization"),
        leave_reason=reason,
    )


_VISITS_SQL = """
SELECT v.id, v.resource_json, q.resource_json AS answers
FROM encounter v
LEFT JOIN questionnaire_response q ON q.encounter_id = v.id AND q.questionnaire = :questionnaire
WHERE v.patient_id = :p AND v.episode_id IS NOT NULL
  AND v.status NOT IN ('cancelled', 'entered-in-error')
ORDER BY v.period_start DESC, v.id
"""


def read_visits(connection: Connection, patient_id: str) -> list[FollowUpVisit]:
    """Every 随访 of the patient, newest first."""
    params = {"p": patient_id, "questionnaire": shapes.QUESTIONNAIRE}
    rows = connection.execute(text(_VISITS_SQL), params).all()
    if not rows:
        return []
    programmes = {
        str(row[0]): programme_of(json.loads(row[1]))
        for row in connection.execute(
            text("SELECT id, resource_json FROM episode_of_care WHERE patient_id = :p"),
            {"p": patient_id},
        )
    }
    observations = _observations_by_encounter(connection, patient_id)
    next_dates = _next_dates(connection, patient_id)
    seen: set[str] = set()
    found = []
    for row in rows:
        if row.id in seen:
            continue  # two answer sets for one visit: the first is read
        seen.add(row.id)
        visit = _visit(
            json.loads(row.resource_json),
            json.loads(row.answers) if row.answers else {},
            observations.get(row.id, []),
            programmes,
            next_dates.get(row.id),
        )
        if visit is not None:
            found.append(visit)
    return found


def _observations_by_encounter(
    connection: Connection, patient_id: str
) -> dict[str, list[Resource]]:
    codes = [*shapes.VISIT_CODES, *shapes.FASTING_GLUCOSE_CODES]
    marks = ", ".join(f":c{i}" for i in range(len(codes)))
    rows = connection.execute(
        text(f"SELECT resource_json FROM observation WHERE patient_id = :p AND code IN ({marks})"),
        {"p": patient_id, **{f"c{i}": code for i, code in enumerate(codes)}},
    ).all()
    found: dict[str, list[Resource]] = {}
    for row in rows:
        resource = json.loads(row[0])
        encounter = reference_id(resource.get("encounter"), "Encounter")
        if encounter:
            found.setdefault(encounter, []).append(resource)
    return found


def _next_dates(connection: Connection, patient_id: str) -> dict[str, date]:
    """Encounter id -> the due date of the next-visit Task it made (the earliest, if several)."""
    rows = connection.execute(
        text("SELECT due_date, resource_json FROM task WHERE patient_id = :p AND kind = :kind"),
        {"p": patient_id, "kind": shapes.TASK_KIND},
    ).all()
    found: dict[str, date] = {}
    for row in rows:
        encounter = reference_id(json.loads(row.resource_json).get("encounter"), "Encounter")
        due = _date(row.due_date)
        if encounter and due and (encounter not in found or due < found[encounter]):
            found[encounter] = due
    return found


def _visit(
    encounter: Resource,
    answers: Resource,
    observations: list[Resource],
    programmes: dict[str, Programme | None],
    next_due: date | None,
) -> FollowUpVisit | None:
    when = _moment((encounter.get("period") or {}).get("start"))
    if when is None:
        return None
    kind = encounter.get("class")
    mode = shapes.MODE_OF_CLASS.get(str(kind.get("code")) if isinstance(kind, dict) else "")
    items = _answers(answers)
    control = _control(items)
    clinician = None
    for participant in encounter.get("participant") or []:
        if isinstance(participant, dict):
            clinician = clinician or reference_id(participant.get("individual"), "Practitioner")
    chosen = [programmes.get(e) for e in episode_ids(encounter)]
    return FollowUpVisit(
        id=str(encounter.get("id")),
        patient_id=reference_id(encounter.get("subject"), "Patient") or "",
        programmes=tuple(p for p in chosen if p is not None),
        mode=mode or VisitMode.CLINIC,
        when=when,
        values=_values(observations, items),
        control=control or Control.SATISFACTORY,
        next_due=next_due or _date(_first_value(items, "next-due")),
        clinician_id=clinician,
        note=str(_first_value(items, "note") or ""),
    )


def _answers(response: Resource) -> dict[str, list[Any]]:
    """linkId -> the answer values (valueX, whatever X), nested groups flattened."""
    found: dict[str, list[Any]] = {}

    def walk(items: Any) -> None:
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            values: list[Any] = []
            for answer in item.get("answer") or []:
                if isinstance(answer, dict):
                    values.extend(v for k, v in answer.items() if k.startswith("value"))
            found.setdefault(str(item.get("linkId")), []).extend(values)
            walk(item.get("item"))

    walk(response.get("item"))
    return found


def _first_value(items: dict[str, list[Any]], link_id: str) -> Any:
    values = items.get(link_id) or []
    return values[0] if values else None


def _code(value: Any) -> str | None:
    return str(value.get("code")) if isinstance(value, dict) and value.get("code") else None


def _control(items: dict[str, list[Any]]) -> Control | None:
    try:
        return Control(str(_code(_first_value(items, "control"))))
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _whole(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _values(observations: list[Resource], items: dict[str, list[Any]]) -> FollowUpValues:
    measured: dict[str, float | None] = {}
    reported = False
    for observation in observations:
        code = concept_code(observation.get("code"), "loinc")
        quantity = observation.get("valueQuantity")
        value = _number(quantity.get("value")) if isinstance(quantity, dict) else None
        if code == "85354-9":
            for component in observation.get("component") or []:
                if not isinstance(component, dict):
                    continue
                part = concept_code(component.get("code"), "loinc")
                amount = component.get("valueQuantity")
                number = _number(amount.get("value")) if isinstance(amount, dict) else None
                if part in ("8480-6", "8462-4"):
                    measured[part] = number
        elif code:
            measured[code] = value
        for performer in observation.get("performer") or []:
            reported = reported or reference_id(performer, "Patient") is not None
    glucose = next(
        (measured[c] for c in shapes.FASTING_GLUCOSE_CODES if measured.get(c) is not None), None
    )
    said = _first_value(items, "reported")
    life = Lifestyle(
        cigarettes_per_day=_whole(_first_value(items, "cigarettes-per-day")),
        alcohol_per_day_liang=_number(_first_value(items, "alcohol-liang-per-day")),
        exercise_times_per_week=_whole(_first_value(items, "exercise-times-per-week")),
        exercise_minutes=_whole(_first_value(items, "exercise-minutes")),
        salt=_code(_first_value(items, "salt")),
        mood=_code(_first_value(items, "mood")),
        adherence_to_advice=_code(_first_value(items, "adherence-to-advice")),
    )
    systolic, diastolic = measured.get("8480-6"), measured.get("8462-4")
    rate = measured.get("8867-4")
    return FollowUpValues(
        systolic=int(systolic) if systolic is not None else None,
        diastolic=int(diastolic) if diastolic is not None else None,
        heart_rate=int(rate) if rate is not None else None,
        weight_kg=measured.get("29463-7"),
        height_cm=measured.get("8302-2"),
        fasting_glucose=glucose,
        symptoms=tuple(c for c in (_code(v) for v in items.get("symptoms", [])) if c),
        lifestyle=life,
        medication_adherence=_code(_first_value(items, "medication-adherence")),
        adverse_reaction=str(_first_value(items, "adverse-reaction") or ""),
        complication=str(_first_value(items, "complication") or ""),
        reported=said if isinstance(said, bool) else reported,
    )
