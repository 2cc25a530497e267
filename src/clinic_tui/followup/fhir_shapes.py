"""FHIR R4 JSON of the follow-up programme (pure: ids and times are handed in).

- Enrolment: EpisodeOfCare (status active -> finished; type coded in PROGRAMME_SYSTEM;
  patient, managingOrganization = the clinic, careManager = the clinician, period,
  diagnosis -> the Condition; leaving adds the LEAVE_REASON_EXTENSION and a statusHistory).
- A 随访: an Encounter (class v3-ActCode AMB / HH / VR for clinic / home / phone, type =
  follow-up, episodeOfCare = every programme the visit covers), vital-sign Observations with
  the chart's LOINC codes plus fasting glucose, a QuestionnaireResponse for the rest of the
  form, and per programme the next visit as a Task of kind 'chronic-follow-up'
  (focus = EpisodeOfCare, restriction.period.end = the due date, owner = the clinic).

Values the patient reported (a phone follow-up) name the Patient as Observation.performer:
R4 defines performer as who is responsible for asserting the value, and allows Patient there
(observation.html, Resource Content), so "reported, not measured" is said in a structured
element every FHIR reader knows; a note says it in words too. The QuestionnaireResponse's
`source` is the Patient likewise (the person who answered).
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from clinic_tui.domain.chart_resources import OBSERVATION_CATEGORY_SYSTEM, vital_observations
from clinic_tui.domain.fhir import (
    LEAVE_REASON_EXTENSION,
    PROGRAMME_SYSTEM,
    TASK_KIND_SYSTEM,
    Resource,
)
from clinic_tui.domain.vital_entry import LOINC_SYSTEM, UCUM_SYSTEM, VitalsEntry
from clinic_tui.followup.model import (
    Classification,
    FollowUpValues,
    LeaveReason,
    Programme,
    VisitMode,
)

ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SNOMED_SYSTEM = "http://snomed.info/sct"
PARTICIPATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
EPISODE_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/episodeofcare-type"
LEAVE_REASON_SYSTEM = "urn:clinic-tui:programme-leave-reason"
ENCOUNTER_TYPE_SYSTEM = "urn:clinic-tui:encounter-type"
ANSWER_SYSTEM = "urn:clinic-tui:chronic-follow-up"
"""Prefix of the answer codings' systems: ANSWER_SYSTEM + ':' + the item's linkId."""

QUESTIONNAIRE = "urn:clinic-tui:questionnaire:chronic-follow-up"
"""QuestionnaireResponse.questionnaire of a 随访 form."""
TASK_KIND = "chronic-follow-up"
"""Task.code (TASK_KIND_SYSTEM) of a programme's next visit."""
FOLLOW_UP_TYPE = "chronic-follow-up"
"""Encounter.type code (ENCOUNTER_TYPE_SYSTEM) of a 随访 visit."""

VISIT_CLASS: dict[VisitMode, tuple[str, str]] = {
    VisitMode.CLINIC: ("AMB", "ambulatory"),
    VisitMode.HOME: ("HH", "home health"),
    VisitMode.PHONE: ("VR", "virtual"),
}
"""Encounter.class (v3-ActCode, the R4 binding's value set) of each mode."""
MODE_OF_CLASS = {code: mode for mode, (code, _) in VISIT_CLASS.items()}

FOLLOW_UP_SNOMED = ("390906007", "Follow-up encounter")
"""SNOMED CT 'Follow-up encounter (procedure)': the code several public FHIR implementations
use for Encounter.type of a follow-up; not read from the SNOMED CT browser here."""

FASTING_GLUCOSE = ("77145-1", "Fasting glucose [Moles/volume] in Serum, Plasma or Blood")
"""LOINC for a fasting glucose in mmol/L whatever the specimen (loinc.org/77145-1, v2.73): a
随访 form does not record whether a finger-stick meter or the laboratory measured it."""
FASTING_GLUCOSE_CODES = (FASTING_GLUCOSE[0], "14771-0", "14770-2")
"""Codes read as a fasting glucose in mmol/L: ours, serum/plasma (14771-0) and capillary blood
by glucometer (14770-2, 'Fasting glucose [Moles/volume] in Capillary blood by Glucometer')."""

VISIT_CODES = ("85354-9", "8867-4", "29463-7", "8302-2", "39156-5")
"""LOINC codes of the vital signs a 随访 records (the chart's: BP panel, heart rate, weight,
height, BMI; offline_cache/chart_repository.py VITAL_CODES)."""

PROGRAMME_WORDS: dict[Programme, tuple[str, str]] = {
    Programme.HYPERTENSION: ("Hypertension management", "高血压患者健康管理"),
    Programme.DIABETES: ("Type 2 diabetes management", "2型糖尿病患者健康管理"),
}
"""(display, text) of each programme's EpisodeOfCare.type."""


def _ref(kind: str, ident: str) -> dict[str, str]:
    return {"reference": f"{kind}/{ident}"}


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# ----- EpisodeOfCare ---------------------------------------------------------------------------


def programme_type(programme: Programme) -> dict[str, Any]:
    """EpisodeOfCare.type of a programme.

    Diabetes also carries the R4 example code 'diab' (Post coordinated diabetes program,
    ValueSet episodeofcare-type), which names the same kind of episode; hypertension has no
    such code there. The disease itself is the diagnosis (a Condition), not the type.
    """
    display, words = PROGRAMME_WORDS[programme]
    codings: list[dict[str, str]] = [
        {"system": PROGRAMME_SYSTEM, "code": programme.value, "display": display}
    ]
    if programme is Programme.DIABETES:
        codings.append(
            {"system": EPISODE_TYPE_SYSTEM, "code": "diab", "display": "Post coordinated diabetes"}
        )
    return {"coding": codings, "text": words}


def episode_of_care(
    ident: str,
    patient_id: str,
    programme: Programme,
    clinic_id: str,
    clinician_id: str | None,
    on: date,
    condition_id: str | None,
) -> Resource:
    """A new enrolment (status active from `on`)."""
    episode: Resource = {
        "resourceType": "EpisodeOfCare",
        "id": ident,
        "status": "active",
        "type": [programme_type(programme)],
        "patient": _ref("Patient", patient_id),
        "managingOrganization": _ref("Organization", clinic_id),
        "period": {"start": on.isoformat()},
    }
    if condition_id:
        episode["diagnosis"] = [{"condition": _ref("Condition", condition_id), "rank": 1}]
    if clinician_id:
        episode["careManager"] = _ref("Practitioner", clinician_id)
    return episode


def left_episode(before: Resource, reason: LeaveReason, on: date, note: str) -> Resource:
    """The enrolment ended on `on` for `reason` (status finished; the active spell kept)."""
    episode = copy.deepcopy(before)
    period = dict(episode.get("period") or {})
    history = list(episode.get("statusHistory") or [])
    history.append({"status": episode.get("status") or "active", "period": {**period}})
    history[-1]["period"]["end"] = on.isoformat()
    period["end"] = on.isoformat()
    episode["status"] = "finished"
    episode["period"] = period
    episode["statusHistory"] = history
    concept: dict[str, Any] = {
        "coding": [{"system": LEAVE_REASON_SYSTEM, "code": reason.value, "display": reason.value}]
    }
    if note.strip():
        concept["text"] = note.strip()
    others = [
        e
        for e in episode.get("extension") or []
        if not (isinstance(e, dict) and e.get("url") == LEAVE_REASON_EXTENSION)
    ]
    episode["extension"] = [
        *others,
        {"url": LEAVE_REASON_EXTENSION, "valueCodeableConcept": concept},
    ]
    return episode


# ----- the visit: Encounter, Observations -----------------------------------------------------


def visit_encounter(
    ident: str,
    patient_id: str,
    episode_ids: list[str],
    mode: VisitMode,
    when: datetime,
    clinic_id: str,
    clinician_id: str | None,
) -> Resource:
    """The 随访 as an Encounter (finished), linked to every programme it covers."""
    code, display = VISIT_CLASS[mode]
    encounter: Resource = {
        "resourceType": "Encounter",
        "id": ident,
        "status": "finished",
        "class": {"system": ACT_CODE_SYSTEM, "code": code, "display": display},
        "type": [
            {
                "coding": [
                    {
                        "system": ENCOUNTER_TYPE_SYSTEM,
                        "code": FOLLOW_UP_TYPE,
                        "display": "Chronic disease follow-up",
                    },
                    {
                        "system": SNOMED_SYSTEM,
                        "code": FOLLOW_UP_SNOMED[0],
                        "display": FOLLOW_UP_SNOMED[1],
                    },
                ],
                "text": "慢病随访",
            }
        ],
        "subject": _ref("Patient", patient_id),
        "episodeOfCare": [_ref("EpisodeOfCare", e) for e in episode_ids],
        "serviceProvider": _ref("Organization", clinic_id),
        "period": {"start": _stamp(when), "end": _stamp(when)},
    }
    if clinician_id:
        encounter["participant"] = [
            {
                "type": [
                    {
                        "coding": [
                            {
                                "system": PARTICIPATION_SYSTEM,
                                "code": "PPRF",
                                "display": "primary performer",
                            }
                        ]
                    }
                ],
                "individual": _ref("Practitioner", clinician_id),
            }
        ]
    return encounter


REPORTED_NOTE = "患者自报，未经测量 / reported by the patient, not measured"


def visit_observations(
    ids: list[str],
    patient_id: str,
    encounter_id: str,
    values: FollowUpValues,
    when: datetime,
    clinician_id: str | None,
    height_for_bmi: float | None = None,
) -> list[Resource]:
    """Vital signs with the chart's LOINC codes (BP panel, rate, weight, height, BMI), then glucose.

    `ids` supplies ids in order (seven suffice). Reported values name the Patient as performer.
    """
    vitals: dict[str, float] = {}
    for key, value in (
        ("systolic", values.systolic),
        ("diastolic", values.diastolic),
        ("heart_rate", values.heart_rate),
        ("weight", values.weight_kg),
        ("height", values.height_cm),
    ):
        if value is not None:
            vitals[key] = value
    pool = iter(ids)
    found = (
        vital_observations(
            [next(pool) for _ in range(len(vitals) + 1)],
            patient_id,
            VitalsEntry(vitals),
            when,
            encounter_id,
            height_for_bmi,
        )
        if vitals
        else []
    )
    if values.fasting_glucose is not None:
        found.append(_glucose(next(pool), patient_id, encounter_id, values.fasting_glucose, when))
    performer = (
        _ref("Patient", patient_id)
        if values.reported
        else (_ref("Practitioner", clinician_id) if clinician_id else None)
    )
    for observation in found:
        if performer is not None:
            observation["performer"] = [dict(performer)]
        if values.reported:
            observation["note"] = [{"text": REPORTED_NOTE}]
    return found


def _glucose(
    ident: str, patient_id: str, encounter_id: str, value: float, when: datetime
) -> Resource:
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": OBSERVATION_CATEGORY_SYSTEM,
                        "code": "laboratory",
                        "display": "Laboratory",
                    }
                ],
                "text": "检验",
            }
        ],
        "code": {
            "coding": [
                {"system": LOINC_SYSTEM, "code": FASTING_GLUCOSE[0], "display": FASTING_GLUCOSE[1]}
            ],
            "text": "空腹血糖",
        },
        "subject": _ref("Patient", patient_id),
        "encounter": _ref("Encounter", encounter_id),
        "effectiveDateTime": _stamp(when),
        "valueQuantity": {
            "value": value,
            "unit": "mmol/L",
            "system": UCUM_SYSTEM,
            "code": "mmol/L",
        },
    }


# ----- the rest of the form: QuestionnaireResponse --------------------------------------------


def _coded(link_id: str, *codes: str) -> list[dict[str, Any]]:
    if not codes:
        return []  # most items of most visits: skip making the system's text
    system = f"{ANSWER_SYSTEM}:{link_id}"
    return [{"valueCoding": {"system": system, "code": code}} for code in codes]


def _item(link_id: str, text: str, answers: list[dict[str, Any]]) -> dict[str, Any] | None:
    return {"linkId": link_id, "text": text, "answer": answers} if answers else None


def questionnaire_response(
    ident: str,
    patient_id: str,
    encounter_id: str,
    values: FollowUpValues,
    classification: Classification,
    when: datetime,
    clinician_id: str | None,
    note: str,
) -> Resource:
    """The answers of the 随访 form that are not vital signs, and how the visit was classified.

    The control item comes first: lists read it (the latest visit's control) by position.
    """
    life = values.lifestyle
    items = [
        _item(
            "control", "Classification (此次随访分类)", _coded("control", classification.control)
        ),
        _item("reasons", "Why (原因)", [{"valueString": r} for r in classification.reasons]),
        _item("refer", "Referral proposed (建议转诊)", [{"valueBoolean": classification.refer}]),
        _item(
            "refer-reasons",
            "Why refer (转诊原因)",
            [{"valueString": r} for r in classification.refer_reasons],
        ),
        _item("urgent", "Urgent sign (紧急情况)", [{"valueBoolean": classification.urgent}]),
        _item(
            "next-due",
            "Next follow-up (下次随访日期)",
            [{"valueDate": classification.next_due.isoformat()}],
        ),
        _item(
            "reported", "Reported by the patient (患者自报)", [{"valueBoolean": values.reported}]
        ),
        _item("symptoms", "Symptoms (症状)", _coded("symptoms", *values.symptoms)),
        _item(
            "cigarettes-per-day",
            "Cigarettes a day (日吸烟量)",
            _int(life.cigarettes_per_day),
        ),
        _item(
            "alcohol-liang-per-day",
            "Liquor a day, liang (日饮酒量 两)",
            _decimal(life.alcohol_per_day_liang),
        ),
        _item(
            "exercise-times-per-week",
            "Exercise times a week (运动 次/周)",
            _int(life.exercise_times_per_week),
        ),
        _item("exercise-minutes", "Exercise minutes (运动 分钟/次)", _int(life.exercise_minutes)),
        _item("salt", "Salt intake (摄盐情况)", _coded("salt", *_some(life.salt))),
        _item("mood", "Mood (心理调整)", _coded("mood", *_some(life.mood))),
        _item(
            "adherence-to-advice",
            "Following advice (遵医行为)",
            _coded("adherence-to-advice", *_some(life.adherence_to_advice)),
        ),
        _item(
            "medication-adherence",
            "Taking medicines (服药依从性)",
            _coded("medication-adherence", *_some(values.medication_adherence)),
        ),
        _item(
            "adverse-reaction",
            "Adverse drug reaction (药物不良反应)",
            [{"valueString": values.adverse_reaction}] if values.adverse_reaction else [],
        ),
        _item(
            "complication",
            "New complication (新发并发症)",
            [{"valueString": values.complication}] if values.complication else [],
        ),
        _item("note", "Note (备注)", [{"valueString": note}] if note.strip() else []),
    ]
    response: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": ident,
        "questionnaire": QUESTIONNAIRE,
        "status": "completed",
        "subject": _ref("Patient", patient_id),
        "encounter": _ref("Encounter", encounter_id),
        "authored": _stamp(when),
        "item": [item for item in items if item is not None],
    }
    if clinician_id:
        response["author"] = _ref("Practitioner", clinician_id)
    if values.reported:
        response["source"] = _ref("Patient", patient_id)
    elif clinician_id:
        response["source"] = _ref("Practitioner", clinician_id)
    return response


def _some(value: str | None) -> tuple[str, ...]:
    return (value,) if value else ()


def _int(value: int | None) -> list[dict[str, Any]]:
    return [] if value is None else [{"valueInteger": int(value)}]


def _decimal(value: float | None) -> list[dict[str, Any]]:
    return [] if value is None else [{"valueDecimal": float(value)}]


# ----- the next visit: Task --------------------------------------------------------------------


def next_visit_task(
    ident: str,
    patient_id: str,
    episode_id: str,
    programme: Programme,
    encounter_id: str | None,
    due: date,
    clinic_id: str,
    now: datetime,
) -> Resource:
    """The programme's next 随访, due on `due`: a Task the clinic owns (status requested)."""
    display, words = PROGRAMME_WORDS[programme]
    task: Resource = {
        "resourceType": "Task",
        "id": ident,
        "status": "requested",
        "intent": "plan",
        "priority": "routine",
        "code": {
            "coding": [
                {"system": TASK_KIND_SYSTEM, "code": TASK_KIND, "display": "Chronic follow-up"}
            ],
            "text": "慢病随访",
        },
        "description": f"{words}: 下次随访 / next follow-up ({display})",
        "focus": _ref("EpisodeOfCare", episode_id),
        "for": _ref("Patient", patient_id),
        "authoredOn": _stamp(now),
        "lastModified": _stamp(now),
        "requester": _ref("Organization", clinic_id),
        "owner": _ref("Organization", clinic_id),
        "restriction": {"period": {"end": due.isoformat()}},
    }
    if encounter_id:
        task["encounter"] = _ref("Encounter", encounter_id)
    return task


def done_task(before: Resource, encounter_id: str, now: datetime) -> Resource:
    """An open next-visit Task completed by the visit `encounter_id` (its output)."""
    task = copy.deepcopy(before)
    task["status"] = "completed"
    task["lastModified"] = _stamp(now)
    period = dict(task.get("executionPeriod") or {})
    period["end"] = _stamp(now)
    task["executionPeriod"] = period
    task["output"] = [
        *(task.get("output") or []),
        {"type": {"text": "follow-up visit"}, "valueReference": _ref("Encounter", encounter_id)},
    ]
    return task


def cancelled_task(before: Resource, reason: str, now: datetime) -> Resource:
    """An open next-visit Task withdrawn (the patient left the programme)."""
    task = copy.deepcopy(before)
    task["status"] = "cancelled"
    task["lastModified"] = _stamp(now)
    task["statusReason"] = {"text": reason}
    return task
