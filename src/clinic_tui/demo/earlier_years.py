"""A patient's history before the last two years, for a denser clinic (`--history-years`).

Each earlier year brings what a township health centre records for its patients: follow-up
visits for the chronic problems already diagnosed by then (each with its vital signs), that
year's repeat prescription (now completed), and now and then an acute visit suited to the
patient's age at the time. Nothing is dated before the patient's birth or a problem's onset.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Protocol

from clinic_tui.demo import clinical
from clinic_tui.demo.context import (
    PRESCRIPTION_SYSTEM,
    DemoContext,
    DemoRandom,
    new_id,
    reference,
)
from clinic_tui.demo.people import PatientFacts
from clinic_tui.demo.vitals import VitalsProfile
from clinic_tui.domain.fhir import Resource


class HistoryBuilder(Protocol):
    """What earlier years need of records.HistoryBuilder (named here: records imports this)."""

    rng: DemoRandom
    context: DemoContext
    patient: PatientFacts
    resources: list[Resource]

    def condition(
        self, problem: clinical.ProblemDef, onset: date, encounter: Resource | None
    ) -> Resource:
        """Keep a Condition."""

    def visit(self, day: date, reason: str, doctor: dict[str, str]) -> Resource:
        """Keep an Encounter."""

    def medication(
        self,
        drug: clinical.DrugDef,
        condition: Resource,
        authored: str,
        group: dict[str, str],
        doctor: dict[str, str],
        status: str = "active",
    ) -> None:
        """Keep a MedicationRequest."""


FOLLOW_UPS_PER_YEAR = (1, 2)
"""Chronic follow-up visits in an earlier year (inclusive range), as in the last two years."""
ACUTE_VISIT_SHARE = 0.25
"""Chance of an acute visit (a cold, diarrhoea, back pain, ...) in an earlier year."""
SAME_DRUG_SHARE = 0.8
"""Share of earlier prescriptions for the drug the patient takes now (the rest were switched)."""
_ACUTE_PROBLEMS = tuple(problem for problem in clinical.PROBLEMS if not problem.chronic)


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class EarlierYears:
    """Adds earlier years to one patient's history, consistent with its last two years."""

    def __init__(
        self,
        builder: HistoryBuilder,
        vitals: VitalsProfile,
        doctor: dict[str, str],
        conditions: dict[str, Resource],
        drugs_now: dict[str, clinical.DrugDef],
        allergic_to: set[str],
    ) -> None:
        self.builder = builder
        self.vitals = vitals
        self.doctor = doctor
        self.onsets = {
            code: date.fromisoformat(condition["onsetDateTime"])
            for code, condition in conditions.items()
        }
        self.conditions = conditions
        self.drugs_now = drugs_now
        self.allergic_to = allergic_to

    def add_year(self, year: int) -> None:
        """The visits of the year that ended `year` years (of 365 days) before today."""
        patient, today = self.builder.patient, self.builder.context.today
        newest = today - timedelta(days=year * 365)
        oldest = max(today - timedelta(days=year * 365 + 364), patient.birth + timedelta(days=1))
        if oldest > newest:
            return
        age = _age_on(patient.birth, newest)
        vitals = self.vitals
        if age < 14:
            # A child's readings follow the age they had then, not the age they have now.
            active = {code for code, onset in self.onsets.items() if onset <= newest}
            vitals = VitalsProfile(self.builder.rng, replace(patient, age=age), active)
        self._follow_ups(oldest, newest, vitals)
        if self.builder.rng.random() < ACUTE_VISIT_SHARE:
            self._acute_visit(oldest, newest, age, vitals)

    def _follow_ups(self, oldest: date, newest: date, vitals: VitalsProfile) -> None:
        rng = self.builder.rng
        diagnosed = [onset for onset in self.onsets.values() if onset <= newest]
        if not diagnosed:
            return
        start = max(oldest, min(diagnosed))
        span = (newest - start).days + 1
        count = min(rng.randint(*FOLLOW_UPS_PER_YEAR), span)
        days = sorted(start + timedelta(days=offset) for offset in rng.sample(range(span), count))
        for index, day in enumerate(days):
            active = [code for code, onset in self.onsets.items() if onset <= day]
            code = rng.choice(active)
            reason = rng.choice(clinical.CHRONIC_VISIT_REASONS.get(code, ("慢病随访",)))
            encounter = self._visit(
                day, reason, vitals, respiratory=code in clinical.RESPIRATORY_PROBLEMS
            )
            if index == 0:
                self._repeat_prescription(active, encounter["period"]["start"])

    def _acute_visit(self, oldest: date, newest: date, age: int, vitals: VitalsProfile) -> None:
        rng, patient = self.builder.rng, self.builder.patient
        weights = [problem.probability(age, patient.female) for problem in _ACUTE_PROBLEMS]
        if not any(weights):
            return
        problem = rng.choices(_ACUTE_PROBLEMS, weights=weights)[0]
        day = oldest + timedelta(days=rng.randrange((newest - oldest).days + 1))
        complaint = rng.choice(clinical.ACUTE_PROBLEM_COMPLAINTS.get(problem.code, ("不适",)))
        febrile = problem.code in clinical.FEBRILE_PROBLEMS and rng.random() < 0.7
        encounter = self._visit(
            day,
            complaint,
            vitals,
            respiratory=problem.code in clinical.RESPIRATORY_PROBLEMS,
            febrile=febrile,
        )
        self.builder.condition(problem, day, encounter)

    def _visit(
        self,
        day: date,
        reason: str,
        vitals: VitalsProfile,
        *,
        respiratory: bool,
        febrile: bool = False,
    ) -> Resource:
        builder = self.builder
        encounter = builder.visit(day, reason, self.doctor)
        builder.resources.extend(
            vitals.observations(
                builder.rng,
                builder.context,
                builder.patient,
                reference(encounter),
                encounter["period"]["start"],
                febrile=febrile,
                respiratory=respiratory,
                # Children are weighed at every visit, adults now and then.
                weigh=not vitals.adult or builder.rng.random() < 0.2,
            )
        )
        return encounter

    def _repeat_prescription(self, active: list[str], authored: str) -> None:
        rng = self.builder.rng
        group = {"system": PRESCRIPTION_SYSTEM, "value": new_id(rng)}
        for code in active:
            drug = self.drugs_now.get(code)
            if drug is None:
                continue
            if rng.random() >= SAME_DRUG_SHARE:
                drug = rng.choice(clinical.DRUGS_FOR[code])
            if drug.en == "Acetylsalicylic acid" and "Aspirin" in self.allergic_to:
                drug = self.drugs_now[code]
            self.builder.medication(
                drug, self.conditions[code], authored, group, self.doctor, status="completed"
            )
