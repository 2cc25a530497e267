"""A patient's clinical history: problems, allergies, past visits with vitals, drugs, referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from clinic_tui.demo import clinical
from clinic_tui.demo.context import (
    AMBULATORY,
    ATC,
    ICD10,
    PRESCRIPTION_SYSTEM,
    SERVICE_CATEGORY,
    SNOMED,
    UCUM,
    DemoContext,
    DemoRandom,
    new_id,
    reference,
)
from clinic_tui.demo.earlier_years import EarlierYears
from clinic_tui.demo.history_years import DEFAULT_HISTORY_YEARS
from clinic_tui.demo.notes import visit_note
from clinic_tui.demo.people import PatientFacts
from clinic_tui.demo.vitals import VitalsProfile
from clinic_tui.domain.fhir import NO_KNOWN_ALLERGY_CODE, Resource

RECORDED_ALLERGY_SHARE = 0.16
NO_KNOWN_ALLERGY_SHARE = 0.44
"""The rest of the patients have no allergy information recorded at all."""
REFERRAL_SHARE = 0.05
"""Of patients with a problem a hospital would see."""


def _status(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


_CONDITION_ACTIVE = _status("http://terminology.hl7.org/CodeSystem/condition-clinical", "active")
_CONDITION_RESOLVED = _status(
    "http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved"
)
_CONFIRMED = _status("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed")
_PROBLEM_LIST = [
    _status("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")
]
_ENCOUNTER_DIAGNOSIS = [
    _status("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis")
]
_ALLERGY_ACTIVE = _status(
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"
)
_ALLERGY_CONFIRMED = _status(
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed"
)
_NO_KNOWN_ALLERGY = {
    "coding": [{"system": SNOMED, "code": NO_KNOWN_ALLERGY_CODE, "display": "No known allergy"}],
    "text": "无已知过敏",
}
_REFERRAL_CATEGORY = [
    {
        "coding": [
            {"system": SERVICE_CATEGORY, "code": "referral", "display": "Referral"},
            {"system": SNOMED, "code": "3457005", "display": "Patient referral"},
        ],
        "text": "转诊",
    }
]
_TASK_STATUSES = (
    ("requested", 25), ("received", 10), ("accepted", 20), ("in-progress", 10),
    ("completed", 30), ("rejected", 5),
)  # fmt: skip

_STILL_OPEN = frozenset({"requested", "received", "accepted", "in-progress"})
_OPEN_FOR_DAYS = 30
"""A history referral older than this is completed, whatever its draw."""


@dataclass(frozen=True)
class PatientHistory:
    """A patient's records and what the queue needs to know: their chronic problems."""

    resources: list[Resource]
    chronic: tuple[str, ...]


def _concept(system: str, code: str, display: str, text: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": text}


class HistoryBuilder:
    """Builds one patient's history; holds the shared pieces to keep the builders short."""

    def __init__(self, rng: DemoRandom, context: DemoContext, patient: PatientFacts) -> None:
        self.rng = rng
        self.context = context
        self.patient = patient
        self.resources: list[Resource] = []

    def add(self, body: Resource) -> Resource:
        """Give `body` an id and meta (first, as FHIR JSON conventionally reads) and keep it."""
        resource = {
            "resourceType": body.pop("resourceType"),
            "id": new_id(self.rng),
            "meta": self.context.meta,
            **body,
        }
        self.resources.append(resource)
        return resource

    def condition(
        self, problem: clinical.ProblemDef, onset: date, encounter: Resource | None
    ) -> Resource:
        resource: Resource = {
            "resourceType": "Condition",
            "clinicalStatus": _CONDITION_ACTIVE if problem.chronic else _CONDITION_RESOLVED,
            "verificationStatus": _CONFIRMED,
            "category": _PROBLEM_LIST if problem.chronic else _ENCOUNTER_DIAGNOSIS,
            "code": _concept(ICD10, problem.code, problem.en, problem.zh),
            "subject": self.patient.ref,
            "onsetDateTime": onset.isoformat(),
            "recordedDate": onset.isoformat(),
        }
        if encounter is not None:
            resource["encounter"] = reference(encounter)
        if not problem.chronic:
            resource["abatementDateTime"] = (onset + timedelta(days=7)).isoformat()
        return self.add(resource)

    def allergy(self, allergen: clinical.AllergenDef, recorded: str) -> None:
        code, english, chinese, criticality = self.rng.choice(clinical.REACTIONS)
        self.add(
            {
                "resourceType": "AllergyIntolerance",
                "clinicalStatus": _ALLERGY_ACTIVE,
                "verificationStatus": _ALLERGY_CONFIRMED,
                "type": "allergy",
                "category": [allergen.category],
                "criticality": criticality,
                "code": _concept(SNOMED, allergen.snomed, allergen.en, allergen.zh),
                "patient": self.patient.ref,
                "recordedDate": recorded,
                "reaction": [
                    {
                        "manifestation": [_concept(SNOMED, code, english, chinese)],
                        "severity": "severe" if criticality == "high" else "mild",
                    }
                ],
            }
        )

    def no_known_allergy(self, recorded: str) -> None:
        self.add(
            {
                "resourceType": "AllergyIntolerance",
                "clinicalStatus": _ALLERGY_ACTIVE,
                "verificationStatus": _ALLERGY_CONFIRMED,
                "code": _NO_KNOWN_ALLERGY,
                "patient": self.patient.ref,
                "recordedDate": recorded,
            }
        )

    def visit(self, day: date, reason: str, doctor: dict[str, str]) -> Resource:
        start = self.rng.randrange(7 * 3600 + 1800, 11 * 3600 + 1800)
        return self.add(
            {
                "resourceType": "Encounter",
                "status": "finished",
                "class": AMBULATORY,
                "subject": self.patient.ref,
                "participant": [{"individual": doctor}],
                "period": {
                    "start": self.context.at(day, start),
                    "end": self.context.at(day, start + self.rng.randrange(600, 1800)),
                },
                "reasonCode": [{"text": reason}],
                "serviceProvider": self.context.township,
            }
        )

    def medication(
        self,
        drug: clinical.DrugDef,
        condition: Resource,
        authored: str,
        group: dict[str, str],
        doctor: dict[str, str],
        status: str = "active",
    ) -> None:
        sig, per_day = clinical.FREQUENCY_TEXT[drug.frequency]
        route_code, route_en, route_zh = clinical.ROUTES[drug.route]
        # UCUM codes micrograms 'ug'; people read µg.
        unit = "µg" if drug.unit == "ug" else drug.unit
        dose = f"{drug.dose:g} {unit}"
        dosage: dict[str, Any] = {
            "text": f"{dose} {route_zh} {sig}",
            "route": _concept(SNOMED, route_code, route_en, route_zh),
            "doseAndRate": [
                {
                    "doseQuantity": {
                        "value": drug.dose,
                        "unit": unit,
                        "system": UCUM,
                        "code": drug.unit,
                    }
                }
            ],
        }
        if per_day:
            dosage["timing"] = {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}}
            if drug.frequency == "QN":
                dosage["timing"]["repeat"]["when"] = ["HS"]
        else:
            dosage["asNeededBoolean"] = True
        self.add(
            {
                "resourceType": "MedicationRequest",
                "status": status,
                "intent": "order",
                "groupIdentifier": group,
                "medicationCodeableConcept": _concept(ATC, drug.atc, drug.en, drug.zh),
                "subject": self.patient.ref,
                "authoredOn": authored,
                "requester": doctor,
                "reasonReference": [reference(condition)],
                "dosageInstruction": [dosage],
                "dispenseRequest": {
                    "quantity": {"value": max(per_day, 1) * 30, "unit": drug.form},
                    "expectedSupplyDuration": {
                        "value": 30,
                        "unit": "天",
                        "system": UCUM,
                        "code": "d",
                    },
                },
            }
        )

    def referral(self, code: str, condition: Resource, day: date) -> None:
        rng, context = self.rng, self.context
        reason, department = clinical.REFERRAL_REASONS[code]
        authored = context.at(day, rng.randrange(8 * 3600, 16 * 3600))
        status = rng.choices(
            [s for s, _ in _TASK_STATUSES], weights=[w for _, w in _TASK_STATUSES]
        )[0]
        if status in _STILL_OPEN and (context.today - day).days > _OPEN_FOR_DAYS:
            # A referral of months ago has long been dealt with; only recent ones wait in the
            # hospital's triage inbox (demo.referrals fills it).
            status = "completed"
        request = self.add(
            {
                "resourceType": "ServiceRequest",
                "status": "completed" if status == "completed" else "active",
                "intent": "order",
                "category": _REFERRAL_CATEGORY,
                "priority": "urgent" if rng.random() < 0.2 else "routine",
                "code": {"text": f"上转 {department}"},
                "subject": self.patient.ref,
                "authoredOn": authored,
                "requester": context.township,
                "performer": [context.county],
                "reasonCode": [{**condition["code"], "text": reason}],
                "reasonReference": [reference(condition)],
                "supportingInfo": [reference(condition)],
            }
        )
        modified = context.at(min(day + timedelta(days=rng.randrange(0, 4)), context.today), 0)
        task: Resource = {
            "resourceType": "Task",
            "status": status,
            "intent": "order",
            "priority": request["priority"],
            "focus": reference(request),
            "for": self.patient.ref,
            "authoredOn": authored,
            "lastModified": max(modified, authored),
            "requester": context.township,
            "owner": context.county,
            "description": reason,
        }
        if status == "rejected":
            task["statusReason"] = {"text": "建议先在乡镇卫生院调整用药，两周后复诊再评估"}
        if status == "completed":
            task["output"] = [
                {
                    "type": {"text": "下转随访计划"},
                    "valueString": "已诊治，建议回乡镇卫生院继续口服药物，每月随访血压血糖",
                }
            ]
        self.add(task)


def build_history(
    rng: DemoRandom,
    context: DemoContext,
    patient: PatientFacts,
    years: int = DEFAULT_HISTORY_YEARS,
) -> PatientHistory:
    """All records of one patient, dated in the `years` years before `context.now`."""
    # The last two years (one, if `years` is 1) are built exactly as the default clinic's, so
    # the default draws nothing more; earlier years are added after them from the same stream.
    recent = min(years, DEFAULT_HISTORY_YEARS) * 365
    builder = HistoryBuilder(rng, context, patient)
    today = context.today
    problems = [
        problem
        for problem in clinical.PROBLEMS
        if rng.random() < problem.probability(patient.age, patient.female)
    ]
    chronic = [problem for problem in problems if problem.chronic]
    acute = [problem for problem in problems if not problem.chronic]
    visits = rng.randint(2, 4) if chronic else rng.choice((0, 1, 1, 2))
    visits = max(visits, len(acute))
    days = sorted(today - timedelta(days=ago) for ago in rng.sample(range(3, recent), visits))
    # An infant's visits fall after its birth (a weight dated before birth misleads the
    # children's dose check); the draws stay the same, so other patients are unchanged.
    earliest = min(patient.birth + timedelta(days=1), today)
    days = [max(day, earliest) for day in days]
    doctor = rng.choice(context.doctors)
    vitals = VitalsProfile(rng, patient, {problem.code for problem in problems})

    # Acute problems each get a visit of their own; the other visits are chronic follow-ups.
    reasons: list[tuple[str, clinical.ProblemDef | None]] = []
    for index in range(visits):
        if index < len(acute):
            complaints = clinical.ACUTE_PROBLEM_COMPLAINTS.get(acute[index].code, ("不适",))
            reasons.append((rng.choice(complaints), acute[index]))
        elif chronic:
            follow_up = rng.choice(chronic)
            options = clinical.CHRONIC_VISIT_REASONS.get(follow_up.code, ("慢病随访",))
            reasons.append((rng.choice(options), None))
        else:
            reasons.append((rng.choice(clinical.ACUTE_COMPLAINTS_ADULT), None))
    rng.shuffle(reasons)
    encounters: list[Resource] = []
    for index, (day, (reason, problem)) in enumerate(zip(days, reasons, strict=True)):
        encounter = builder.visit(day, reason, doctor)
        encounters.append(encounter)
        code = problem.code if problem else ""
        measured = vitals.observations(
            rng,
            context,
            patient,
            reference(encounter),
            encounter["period"]["start"],
            febrile=code in clinical.FEBRILE_PROBLEMS and rng.random() < 0.7,
            respiratory=code in clinical.RESPIRATORY_PROBLEMS,
            weigh=index == 0 or rng.random() < 0.2,
        )
        builder.resources.extend(measured)
        if problem is not None:
            builder.condition(problem, day, encounter)
        diagnosis = (problem.code, problem.zh) if problem is not None else None
        builder.resources.append(visit_note(encounter, measured, diagnosis, context.meta))

    first_seen = days[0] if days else today - timedelta(days=rng.randrange(30, recent - 30))
    conditions: dict[str, Resource] = {}
    drugs_now: dict[str, clinical.DrugDef] = {}
    for problem in chronic:
        onset = first_seen - timedelta(days=rng.randrange(30, 3650))
        conditions[problem.code] = builder.condition(problem, max(onset, patient.birth), None)

    allergic_to: set[str] = set()
    draw = rng.random()
    recorded = first_seen.isoformat()
    if draw < RECORDED_ALLERGY_SHARE:
        allergens = [allergen for allergen, _ in clinical.ALLERGENS]
        weights = [weight for _, weight in clinical.ALLERGENS]
        # dict.fromkeys drops a repeat in draw order; a set's order changed with the process's
        # string hash seed, so the same seed gave other files from one run to the next.
        for allergen in dict.fromkeys(
            rng.choices(allergens, weights=weights, k=1 if rng.random() < 0.85 else 2)
        ):
            builder.allergy(allergen, recorded)
            allergic_to.add(allergen.en)
    elif draw < RECORDED_ALLERGY_SHARE + NO_KNOWN_ALLERGY_SHARE:
        builder.no_known_allergy(recorded)

    if conditions:
        authored = (
            encounters[-1]["period"]["start"] if encounters else context.at(first_seen, 32400)
        )
        group = {"system": PRESCRIPTION_SYSTEM, "value": new_id(rng)}
        for code, condition in conditions.items():
            drugs = clinical.DRUGS_FOR.get(code, ())
            if not drugs:
                continue
            drug = drugs[0] if rng.random() < 0.6 else rng.choice(drugs)
            if drug.en == "Acetylsalicylic acid" and "Aspirin" in allergic_to:
                drug = clinical.CLOPIDOGREL
            drugs_now[code] = drug
            builder.medication(drug, condition, authored, group, doctor)
        referable = [code for code in conditions if code in clinical.REFERRAL_REASONS]
        if referable and rng.random() < REFERRAL_SHARE:
            code = rng.choice(referable)
            builder.referral(code, conditions[code], today - timedelta(days=rng.randrange(0, 60)))
    if years > DEFAULT_HISTORY_YEARS:
        earlier = EarlierYears(builder, vitals, doctor, conditions, drugs_now, allergic_to)
        for year in range(DEFAULT_HISTORY_YEARS, years):
            earlier.add_year(year)
    return PatientHistory(builder.resources, tuple(problem.code for problem in chronic))
