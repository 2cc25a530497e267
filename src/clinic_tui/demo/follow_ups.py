"""The demo clinic's chronic-disease registries: enrolments and a year of 随访 per patient.

A patient of 35 or over whose history holds hypertension (I10) or type 2 diabetes (E11.9) is
enrolled with probability ENROLLED_SHARE, an illustrative share (no survey was read for it),
so most diagnosed patients are under management and a few are not yet. Each enrolled patient
gets the year of follow-ups a township doctor would have recorded: the visit every three
months, two weeks after an unsatisfactory one, as followup/classify.py decides from the
values drawn; the records are the ones ChronicRegistry.record_visit writes (the same
fhir_shapes builders): Encounter, vital-sign Observations, QuestionnaireResponse, and the
next visit's Task (the earlier ones completed by the visit that followed). Some patients
lapse (their last Task is overdue), a few are newly enrolled and not seen yet, and the
patient `urgent` names has an urgent sign at the last visit (BP ≥ 180/110: refer).

Everything is drawn from the patient's own follow-up Random, so the rest of the demo clinic
is the same records with or without the registries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Final

from clinic_tui.demo.context import DemoContext, DemoRandom
from clinic_tui.demo.people import PatientFacts
from clinic_tui.domain.fhir import Resource, reference_id
from clinic_tui.followup import fhir_shapes as shapes
from clinic_tui.followup.classify import classify
from clinic_tui.followup.model import (
    Control,
    FollowUpValues,
    FollowUpVisit,
    Lifestyle,
    Programme,
    VisitMode,
)

ENROLLED_SHARE: Final = 0.85
"""Share of diagnosed patients of 35 or over who are enrolled (illustrative)."""
MIN_AGE: Final = 35
"""规范: the programmes serve residents of 35 and over."""
PROGRAMME_CODES: Final = {"I10": Programme.HYPERTENSION, "E11.9": Programme.DIABETES}
LAPSED_SHARE: Final = 0.12
NEW_SHARE: Final = 0.05
_MODES: Final = ((VisitMode.CLINIC, 50), (VisitMode.HOME, 35), (VisitMode.PHONE, 15))


@dataclass(frozen=True)
class FollowUpRecords:
    """An enrolled patient's registry records, and what a test may want to know of them."""

    resources: list[Resource]
    programmes: tuple[Programme, ...]
    visits: int
    last_control: Control | None


def programmes_of(facts: PatientFacts, chronic: Sequence[str]) -> tuple[Programme, ...]:
    """The programmes a patient qualifies for (35 or over, diagnosis on the problem list)."""
    if facts.age < MIN_AGE:
        return ()
    return tuple(PROGRAMME_CODES[code] for code in chronic if code in PROGRAMME_CODES)


def enrols(rng: DemoRandom, facts: PatientFacts, chronic: Sequence[str]) -> bool:
    """Whether this patient is enrolled: the first draw of their follow-up Random."""
    qualifies = bool(programmes_of(facts, chronic))
    return rng.random() < ENROLLED_SHARE and qualifies


def build_follow_ups(
    rng: DemoRandom,
    context: DemoContext,
    facts: PatientFacts,
    history: Sequence[Resource],
    chronic: Sequence[str],
    *,
    urgent: bool = False,
) -> FollowUpRecords | None:
    """The registry records of one patient, or None when they are not enrolled."""
    if not enrols(rng, facts, chronic):
        return None
    programmes = programmes_of(facts, chronic)
    patient_id = str(reference_id(facts.ref, "Patient"))
    clinic_id = str(reference_id(context.township, "Organization"))
    doctor = rng.choice(context.doctors)
    clinician_id = reference_id(doctor, "Practitioner")
    today = context.today
    out: list[Resource] = []

    def add(resource: Resource) -> Resource:
        stamped = {
            "resourceType": resource["resourceType"],
            "id": resource["id"],
            "meta": context.meta,
            **resource,
        }
        out.append(stamped)
        return stamped

    conditions = {
        _code(resource): str(resource["id"])
        for resource in history
        if resource.get("resourceType") == "Condition"
    }
    new = rng.random() < NEW_SHARE and not urgent
    enrolled_on = today - timedelta(days=rng.randint(3, 40) if new else rng.randint(400, 1500))
    episodes: list[tuple[Programme, str]] = []
    for programme in programmes:
        code = next(c for c, p in PROGRAMME_CODES.items() if p is programme)
        episode = shapes.episode_of_care(
            rng.new_id(),
            patient_id,
            programme,
            clinic_id,
            clinician_id,
            enrolled_on,
            conditions.get(code),
        )
        episodes.append((programme, str(add(episode)["id"])))
    if new:
        return FollowUpRecords(out, programmes, 0, None)

    # How well this patient is controlled, and whether they stopped coming this year.
    controlled_chance = rng.choice((0.8, 0.6, 0.4, 0.2))
    lapsed = rng.random() < LAPSED_SHARE and not urgent
    smoker = rng.random() < (0.45 if not facts.female else 0.03)
    height = round(rng.uniform(150, 165) if facts.female else rng.uniform(160, 176), 0)
    weight = round(height - 105 + rng.uniform(-8, 14), 1)
    day = today - timedelta(days=rng.randint(300, 360))
    stop = today - timedelta(days=rng.randint(120, 250)) if lapsed else today - timedelta(days=1)
    previous: list[FollowUpVisit] = []
    open_tasks: list[Resource] = []
    last_control: Control | None = None
    while day <= stop:
        last = urgent and day + timedelta(days=30) > stop
        values = _values(rng, programmes, controlled_chance, smoker, weight, urgent=last)
        mode = VisitMode.CLINIC if last else _mode(rng)
        if mode is VisitMode.PHONE:
            values = FollowUpValues(
                systolic=values.systolic,
                diastolic=values.diastolic,
                fasting_glucose=values.fasting_glucose,
                symptoms=values.symptoms,
                lifestyle=values.lifestyle,
                medication_adherence=values.medication_adherence,
                reported=True,
            )
        when = datetime.combine(
            day, time(rng.randint(8, 16), rng.randrange(60)), tzinfo=context.now.tzinfo
        )
        birth = facts.birth
        age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
        result = classify(programmes, values, previous, day, age=age)
        encounter = add(
            shapes.visit_encounter(
                rng.new_id(),
                patient_id,
                [ident for _, ident in episodes],
                mode,
                when,
                clinic_id,
                clinician_id,
            )
        )
        encounter_id = str(encounter["id"])
        for observation in shapes.visit_observations(
            [rng.new_id() for _ in range(7)],
            patient_id,
            encounter_id,
            values,
            when,
            clinician_id,
            height,
        ):
            add(observation)
        add(
            shapes.questionnaire_response(
                rng.new_id(), patient_id, encounter_id, values, result, when, clinician_id, ""
            )
        )
        for task in open_tasks:
            add(_done_task(task, encounter_id, when))
        open_tasks = [
            shapes.next_visit_task(
                rng.new_id(),
                patient_id,
                episode_id,
                programme,
                encounter_id,
                result.next_due,
                clinic_id,
                when,
            )
            for programme, episode_id in episodes
        ]
        previous.insert(
            0,
            FollowUpVisit(
                id=encounter_id,
                patient_id=patient_id,
                programmes=programmes,
                mode=mode,
                when=when,
                values=values,
                control=result.control,
                next_due=result.next_due,
            ),
        )
        last_control = result.control
        if last:
            break
        # Patients come within a few days of the date they were given, rarely early.
        next_day = result.next_due + timedelta(days=rng.choice((-2, 0, 0, 1, 3, 5, 8)))
        if urgent and next_day > stop:
            # The urgent patient's last visit is a recent one, whatever the schedule said.
            next_day = max(day + timedelta(days=1), today - timedelta(days=2))
        day = next_day
    for task in open_tasks:
        add(task)
    return FollowUpRecords(out, programmes, len(previous), last_control)


def _done_task(before: Resource, encounter_id: str, when: datetime) -> Resource:
    """shapes.done_task without its deep copy (a tenth of the registries' time): `before`
    is this generator's own open Task, dropped once completed, and only its top level changes.
    """
    stamp = when.isoformat(timespec="seconds")
    task = dict(before)
    task["status"] = "completed"
    task["lastModified"] = stamp
    task["executionPeriod"] = {**(before.get("executionPeriod") or {}), "end": stamp}
    task["output"] = [
        *(before.get("output") or []),
        {
            "type": {"text": "follow-up visit"},
            "valueReference": {"reference": f"Encounter/{encounter_id}"},
        },
    ]
    return task


def _code(condition: Resource) -> str:
    codings = (condition.get("code") or {}).get("coding") or []
    return str(codings[0].get("code")) if codings else ""


def _mode(rng: DemoRandom) -> VisitMode:
    modes = [mode for mode, _ in _MODES]
    return rng.choices(modes, weights=[weight for _, weight in _MODES])[0]


def _values(
    rng: DemoRandom,
    programmes: Sequence[Programme],
    controlled_chance: float,
    smoker: bool,
    weight: float,
    *,
    urgent: bool,
) -> FollowUpValues:
    controlled = rng.random() < controlled_chance
    if urgent:
        systolic, diastolic = rng.randint(182, 196), rng.randint(104, 116)
    elif controlled:
        systolic, diastolic = rng.randint(116, 138), rng.randint(68, 88)
    else:
        systolic, diastolic = rng.randint(142, 174), rng.randint(84, 104)
    glucose = None
    if Programme.DIABETES in programmes:
        glucose = round(rng.uniform(5.0, 6.9) if controlled else rng.uniform(7.1, 12.5), 1)
    symptoms: tuple[str, ...] = ()
    if urgent:
        symptoms = ("u-ht-headache",)
    elif not controlled and rng.random() < 0.3:
        symptoms = (
            ("ht-headache-dizziness",)
            if Programme.HYPERTENSION in programmes
            else ("dm-polydipsia",)
        )
    return FollowUpValues(
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=rng.randint(62, 92),
        # Weighed at about one visit in three: fewer rows for a large demo clinic.
        weight_kg=round(weight + rng.uniform(-1.5, 1.5), 1) if rng.random() < 0.34 else None,
        fasting_glucose=glucose,
        symptoms=symptoms,
        lifestyle=Lifestyle(
            cigarettes_per_day=rng.choice((5, 10, 20)) if smoker else 0,
            alcohol_per_day_liang=rng.choice((0.0, 0.0, 1.0, 2.0)),
            exercise_times_per_week=rng.choice((0, 2, 3, 5, 7)),
            exercise_minutes=rng.choice((20, 30, 45)),
            salt=rng.choice(("light", "moderate", "moderate", "heavy")),
            mood="good" if rng.random() < 0.8 else "fair",
            adherence_to_advice="good" if controlled else rng.choice(("good", "fair")),
        ),
        medication_adherence="regular" if controlled else rng.choice(("regular", "intermittent")),
    )
