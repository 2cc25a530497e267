"""What the safety checks know of the patient: PrescribingContext and the facts it holds.

Plain frozen dataclasses built by context_reader.py from the cache (or by a test by
hand), so the checks stay pure functions of (patient facts, basket, rule tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from clinic_tui.domain.ages import age_in_months, age_in_years
from clinic_tui.prescribing.model import FormularyDrug

ADULT_AGE = 18
"""Below this age the children's rules are consulted (and decide when adult doses apply)."""


class AllergyState(StrEnum):
    """Whether the chart says anything about allergies (the banner's three states)."""

    RECORDED = "recorded"
    NONE_KNOWN = "none-known"
    NOT_RECORDED = "not-recorded"


@dataclass(frozen=True)
class AllergyFact:
    """One active AllergyIntolerance as the checks read it: codes, names, how bad."""

    substance: str
    """code.text as recorded (青霉素, Penicillin, 阿莫西林)."""
    codes: tuple[tuple[str, str], ...] = ()
    """(system, code) of each coding: SNOMED CT, ATC, RxNorm."""
    displays: tuple[str, ...] = ()
    """Display of each coding (the English name when coded from a list)."""
    category: str | None = None
    """medication, food, environment, biologic."""
    criticality: str | None = None
    """low, high, unable-to-assess (None when not recorded)."""
    reaction: str = ""
    """The first manifestation in words as recorded (皮疹, anaphylaxis)."""
    reaction_en: str = ""
    """Its coding's display when coded (Eruption of skin), for English messages."""
    severity: str | None = None
    """The reaction's severity: mild, moderate, severe."""
    recorded: date | None = None
    id: str = ""
    drug: FormularyDrug | None = None
    """The formulary drug the substance names, when it names one (阿莫西林 -> amoxicillin)."""

    def name(self, zh: bool) -> str:
        """The substance for a message: the recorded text in Chinese, a coded English name in
        English when there is one."""
        if not zh and self.displays:
            return self.displays[0]
        return self.substance or (self.displays[0] if self.displays else "?")

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the record gives the substance: its text and each coding's display."""
        return tuple(name for name in (self.substance, *self.displays) if name)

    def described(self, zh: bool) -> str:
        """'severe rash, 2023' / '严重 皮疹，2023年': what happened and when, for a message."""
        parts: list[str] = []
        words = {"mild": "轻度", "moderate": "中度", "severe": "严重"}
        how = (words.get(self.severity or "", "") if zh else self.severity) or ""
        reaction = self.reaction if zh else (self.reaction_en or self.reaction)
        what = ("" if zh else " ").join(part for part in (how, reaction) if part)
        if what:
            parts.append(what)
        if self.recorded is not None:
            parts.append(f"{self.recorded.year}年" if zh else str(self.recorded.year))
        return ("，" if zh else ", ").join(parts)


@dataclass(frozen=True)
class ActiveMedication:
    """A medicine the patient takes now (active MedicationRequest)."""

    text: str
    """As the record names it (苯磺酸氨氯地平片, Amlodipine)."""
    drug: FormularyDrug | None = None
    """The formulary drug it resolves to; None when it names nothing the formulary holds."""
    id: str = ""
    """MedicationRequest id: a basket line that renews or changes it names this."""
    dosage: str = ""


@dataclass(frozen=True)
class HlaResult:
    """A recorded HLA-B genotype result: which allele, carried or not, when."""

    allele: str
    """As the record names it, normalised by hla_check.allele_key (HLA-B*15:02 -> hlab1502)."""
    positive: bool
    """True: the allele is carried."""
    recorded_on: date | None = None


@dataclass(frozen=True)
class PrescribingContext:
    """The patient facts every check reads, as of one day."""

    age_years: int | None
    """Completed years on the day; None when the birth date is unknown."""
    age_months: int | None
    sex: str = "unknown"
    """FHIR administrative gender: male, female, other, unknown."""
    weight_kg: float | None = None
    """Latest body weight (LOINC 29463-7)."""
    weight_date: date | None = None
    pregnant: bool | None = None
    """True / False as last recorded (Observation 82810-3, or an active pregnancy Condition);
    None when the chart says nothing."""
    pregnancy_date: date | None = None
    breastfeeding: bool | None = None
    """As last recorded (Observation 63895-7, or an active Condition Z39.1); None: not recorded."""
    breastfeeding_date: date | None = None
    allergy_state: AllergyState = AllergyState.NOT_RECORDED
    allergies: tuple[AllergyFact, ...] = ()
    medications: tuple[ActiveMedication, ...] = ()
    diagnoses: tuple[str, ...] = ()
    """ICD-10 codes of active conditions (I10, E11.9)."""
    egfr: float | None = None
    """Latest eGFR in mL/min/1.73 m2 (LOINC 98979-8, 62238-1, 33914-3...), when recorded."""
    egfr_date: date | None = None
    records_kept_at: str | None = None
    """The clinic keeping the patient's records when this cache holds only the referral
    (offline_cache/records_elsewhere.py): its allergies and medicines cannot be checked here."""
    prescribed_before: frozenset[str] = frozenset()
    """Formulary codes of every drug the chart holds a MedicationRequest for, whatever its
    status (active, completed, stopped; not entered-in-error): a drug absent here and from
    `medications` is a first prescription (hla_check.py)."""
    hla_results: tuple[HlaResult, ...] = ()
    """HLA-B allele results recorded in the chart, newest first (context_reader.py)."""

    def checks_off(self) -> tuple[str, str] | None:
        """(English, Chinese) naming the checks a missing fact turns off; None when none is.

        An age comes from a valid birth date; without one every order is dosed as an
        adult's and no age rule can apply. A child without a weight cannot be dosed by mg/kg.
        The order screen says so before anything is typed, not only when a line is checked.
        """
        if self.age_years is None:
            return (
                "Age unknown (no valid birth date): children's dose and age checks are off",
                "年龄不详（无有效出生日期）：儿童剂量和年龄相关检查已关闭",
            )
        if self.age_years < ADULT_AGE and self.weight_kg is None:
            return (
                "Weight unknown: this child's mg/kg dose checks are off until weighed",
                "体重不详：称体重前，按 mg/kg 的儿童剂量检查已关闭",
            )
        return None

    @classmethod
    def for_birth_date(
        cls, birth_date: date | None, today: date, **facts: object
    ) -> PrescribingContext:
        """A context whose ages are worked out from the birth date on `today`."""
        months = age_in_months(birth_date, today) if birth_date is not None else None
        return cls(
            age_years=age_in_years(birth_date, today),
            age_months=months,
            **facts,  # type: ignore[arg-type]
        )
