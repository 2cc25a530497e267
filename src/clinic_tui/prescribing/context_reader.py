"""Build a patient's PrescribingContext from the cache: what the safety checks read.

Birth date and sex, active allergies (with their codes, reaction and criticality), active
MedicationRequests resolved through the formulary, the latest weight, pregnancy and
breastfeeding status, active diagnoses and the latest eGFR. Every query filters on an
indexed patient_id; nothing here writes.

How the chart records pregnancy and breastfeeding (the chart form does not record them yet;
this is the reading the checks use, as HL7 IPS and US Core code them):
- pregnancy: the latest Observation LOINC 82810-3 (Pregnancy status) with valueCodeableConcept
  SNOMED CT 77386006 Pregnant / 60001007 Not pregnant / 261665006 Unknown; else an active
  Condition ICD-10 Z33 (pregnant state), Z34/Z35 (supervision of pregnancy) or O10-O48
  (complications of pregnancy). A 'pregnant' record older than 42 weeks is out of date.
- breastfeeding: the latest Observation LOINC 63895-7 (Breastfeeding status) with LOINC
  answers LA29252-6 Currently breastfeeding / LA29253-4 Not currently breastfeeding; else an
  active Condition Z39.1 (care of the lactating mother). Out of date after a year.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, select

from clinic_tui.domain.fhir import concept_code, concept_text
from clinic_tui.offline_cache.records_elsewhere import records_kept_at
from clinic_tui.offline_cache.tables import (
    AllergyIntoleranceRow,
    ConditionRow,
    MedicationRequestRow,
    ObservationRow,
    PatientRow,
)
from clinic_tui.prescribing.facts import (
    ActiveMedication,
    AllergyFact,
    AllergyState,
    HlaResult,
    PrescribingContext,
)
from clinic_tui.prescribing.hla_check import allele_key
from clinic_tui.prescribing.model import FormularyDrug
from clinic_tui.prescribing.rule_tables import normalise

WEIGHT = "29463-7"
PREGNANCY_STATUS = "82810-3"
BREASTFEEDING_STATUS = "63895-7"
EGFR_CODES = ("98979-8", "62238-1", "33914-3", "48642-3", "48643-1")
"""eGFR by CKD-EPI 2021, CKD-EPI, MDRD (and MDRD by race, in older records)."""
PREGNANT = {"77386006": True, "60001007": False, "261665006": None}
BREASTFEEDING = {"LA29252-6": True, "LA29253-4": False}
PREGNANCY_DAYS = 42 * 7
"""A pregnancy recorded longer ago than the longest term is no longer taken as current."""
BREASTFEEDING_DAYS = 365
PREGNANCY_CONDITIONS = ("Z33", "Z34", "Z35")
LACTATION_CONDITIONS = ("Z39.1",)
ACTIVE = ("active", "recurrence", "relapse")
EXCLUDED = ("entered-in-error", "refuted")
ATC_SYSTEM = "atc"

Resolver = Callable[[str, str | None], FormularyDrug | None]
"""(a record's name, its ATC code or None) -> the formulary drug it names, if any."""


def _table(model: Any) -> Any:
    return model.__table__


def _date(text: Any) -> date | None:
    if not isinstance(text, str) or len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


class FormularyIndex:
    """Finds the formulary drug a record names: by ATC code, else by the longest name in it."""

    def __init__(self, drugs: Iterable[FormularyDrug]) -> None:
        self.by_atc: dict[str, FormularyDrug] = {}
        self.names: list[tuple[str, FormularyDrug]] = []
        for drug in drugs:
            if len(drug.atc) == 7:
                self.by_atc.setdefault(drug.atc.upper(), drug)
            for name in (drug.name_zh, drug.name_en, drug.code):
                key = normalise(name)
                if len(key) >= (4 if key.isascii() else 2):
                    self.names.append((key, drug))
        # Longest first: 单硝酸异山梨酯 before 硝酸异山梨酯.
        self.names.sort(key=lambda pair: -len(pair[0]))

    def __call__(self, text: str, atc: str | None) -> FormularyDrug | None:
        """The drug `text` (or its ATC code) names, or None."""
        if atc and atc.upper() in self.by_atc:
            return self.by_atc[atc.upper()]
        key = normalise(text)
        for name, drug in self.names:
            if name in key:
                return drug
        return None


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def _atc_of(concept: Any) -> str | None:
    for coding in _codings(concept):
        if ATC_SYSTEM in str(coding.get("system", "")).lower() and coding.get("code"):
            return str(coding["code"])
    return None


def _excluded(resource: dict[str, Any]) -> bool:
    return concept_code(resource.get("verificationStatus")) in EXCLUDED


def _allergy_fact(row: Any, resolve: Resolver) -> AllergyFact:
    resource = json.loads(row.resource_json)
    code = resource.get("code")
    codings = _codings(code)
    reaction = (resource.get("reaction") or [{}])[0]
    first = (reaction.get("manifestation") or [None])[0]
    manifestation = concept_text(first) or ""
    english = next((str(c["display"]) for c in _codings(first) if c.get("display")), "")
    text = concept_text(code) or ""
    categories = resource.get("category") or []
    return AllergyFact(
        substance=text,
        codes=tuple((str(c.get("system", "")), str(c["code"])) for c in codings if c.get("code")),
        displays=tuple(str(c["display"]) for c in codings if c.get("display")),
        category=str(categories[0]) if categories else None,
        criticality=resource.get("criticality"),
        reaction=manifestation,
        reaction_en=english,
        severity=reaction.get("severity"),
        recorded=_date(resource.get("recordedDate") or resource.get("onsetDateTime")),
        id=row.id,
        drug=resolve(text, _atc_of(code)),
    )


def _allergies(
    connection: Connection, patient_id: str, resolve: Resolver
) -> tuple[AllergyState, tuple[AllergyFact, ...]]:
    table = _table(AllergyIntoleranceRow)
    rows = connection.execute(
        select(table.c.id, table.c.resource_json, table.c.no_known).where(
            table.c.patient_id == patient_id, table.c.clinical_status == "active"
        )
    ).all()
    facts: list[AllergyFact] = []
    no_known = False
    for row in rows:
        if _excluded(json.loads(row.resource_json)):
            continue
        if row.no_known:
            no_known = True
            continue
        facts.append(_allergy_fact(row, resolve))
    if facts:
        return AllergyState.RECORDED, tuple(facts)
    return (AllergyState.NONE_KNOWN if no_known else AllergyState.NOT_RECORDED), ()


def _medications(
    connection: Connection, patient_id: str, resolve: Resolver
) -> tuple[ActiveMedication, ...]:
    table = _table(MedicationRequestRow)
    rows = connection.execute(
        select(table.c.id, table.c.resource_json, table.c.medication, table.c.dosage_text)
        .where(table.c.patient_id == patient_id, table.c.status == "active")
        .order_by(table.c.authored_on.desc())
    ).all()
    found: list[ActiveMedication] = []
    for row in rows:
        concept = json.loads(row.resource_json).get("medicationCodeableConcept")
        names = [row.medication, *(str(c.get("display") or "") for c in _codings(concept))]
        text = row.medication or next((name for name in names if name), "")
        drug = None
        for name in names:
            drug = resolve(name, _atc_of(concept))
            if drug is not None:
                break
        found.append(ActiveMedication(text=text, drug=drug, id=row.id, dosage=row.dosage_text))
    return tuple(found)


def _prescribed_before(
    connection: Connection, patient_id: str, resolve: Resolver
) -> frozenset[str]:
    """Formulary codes of every MedicationRequest in the chart, any status but an error."""
    table = _table(MedicationRequestRow)
    rows = connection.execute(
        select(table.c.resource_json, table.c.medication).where(
            table.c.patient_id == patient_id, table.c.status != "entered-in-error"
        )
    ).all()
    codes: set[str] = set()
    for row in rows:
        concept = json.loads(row.resource_json).get("medicationCodeableConcept")
        names = [row.medication, *(str(c.get("display") or "") for c in _codings(concept))]
        for name in names:
            drug = resolve(name, _atc_of(concept))
            if drug is not None:
                codes.add(drug.code)
                break
    return frozenset(codes)


POSITIVE = {"10828004", "LA6576-8", "LA9633-4"}
"""Answer codes read as 'carried': SNOMED CT Positive, LOINC Positive and Present."""
NEGATIVE = {"260385009", "LA6577-6", "LA9634-2"}
"""SNOMED CT Negative, LOINC Negative and Absent."""
POSITIVE_WORDS = ("阳性", "positive", "detected", "present", "携带")
NEGATIVE_WORDS = ("阴性", "negative", "not detected", "absent", "未检出", "未携带")


def _hla_value(resource: dict[str, Any]) -> bool | None:
    """True (carried), False (not), None (no readable answer) from an HLA Observation."""
    value = resource.get("valueCodeableConcept")
    codes = {str(c.get("code")) for c in _codings(value)}
    if codes & POSITIVE:
        return True
    if codes & NEGATIVE:
        return False
    words = " ".join(
        str(part)
        for part in (
            concept_text(value) or "",
            resource.get("valueString") or "",
            *(str(c.get("display") or "") for c in _codings(value)),
        )
    ).lower()
    # Negative words first: "not detected" holds "detected", "未携带" holds "携带".
    if any(word in words for word in NEGATIVE_WORDS):
        return False
    if any(word in words for word in POSITIVE_WORDS):
        return True
    return None


def _hla_results(connection: Connection, patient_id: str) -> tuple[HlaResult, ...]:
    """HLA-B allele results of the chart, newest first; unreadable or withdrawn ones left out.

    Named by the record's code text or a coding's display (HLA-B*15:02, HLA-B*1502), since a
    township chart codes such a test by its name more often than by a LOINC code.
    """
    table = _table(ObservationRow)
    rows = connection.execute(
        select(table.c.resource_json, table.c.effective)
        .where(table.c.patient_id == patient_id, table.c.resource_json.like("%HLA-B%"))
        .order_by(table.c.effective.desc())
    ).all()
    found: list[HlaResult] = []
    for row in rows:
        resource = json.loads(row.resource_json)
        if resource.get("status") in (
            "entered-in-error",
            "cancelled",
            "preliminary",
            "registered",
        ):
            continue
        code = resource.get("code")
        names = [concept_text(code) or "", *(str(c.get("display") or "") for c in _codings(code))]
        allele = next((key for key in map(allele_key, names) if key), "")
        positive = _hla_value(resource)
        if allele and positive is not None:
            found.append(HlaResult(allele, positive, recorded_on=_date(row.effective)))
    return tuple(found)


def _conditions(connection: Connection, patient_id: str) -> list[tuple[str, date | None]]:
    table = _table(ConditionRow)
    rows = connection.execute(
        select(table.c.code, table.c.onset, table.c.resource_json).where(
            table.c.patient_id == patient_id,
            table.c.clinical_status.in_(ACTIVE),
            table.c.code.is_not(None),
        )
    ).all()
    return [
        (str(row.code), _date(row.onset))
        for row in rows
        if not _excluded(json.loads(row.resource_json))
    ]


def _observations(connection: Connection, patient_id: str, codes: tuple[str, ...]) -> list[Any]:
    """Final (or amended) observations of these codes, newest first."""
    table = _table(ObservationRow)
    rows = connection.execute(
        select(table.c.code, table.c.value, table.c.unit, table.c.effective, table.c.resource_json)
        .where(table.c.patient_id == patient_id, table.c.code.in_(codes))
        .order_by(table.c.effective.desc())
    ).all()
    kept = []
    for row in rows:
        status = json.loads(row.resource_json).get("status")
        if status in ("entered-in-error", "cancelled", "preliminary", "registered"):
            continue
        kept.append(row)
    return kept


def _weight_kg(value: float, unit: str | None) -> float:
    unit = (unit or "kg").lower()
    if unit == "g":
        return value / 1000
    if unit in ("lb", "[lb_av]", "lbs"):
        return value * 0.45359237
    return value


def _status_observation(
    rows: list[Any], answers: dict[str, bool | None], today: date, fresh_days: int
) -> tuple[bool | None, date | None] | None:
    """(status, date) from the newest observation; None when there is none to go by."""
    for row in rows:
        resource = json.loads(row.resource_json)
        code = concept_code(resource.get("valueCodeableConcept"))
        if code not in answers:
            continue
        when = _date(row.effective)
        status = answers[code]
        if status and (when is None or (today - when).days > fresh_days):
            return None  # an old 'yes' says nothing about today
        return status, when
    return None


def _status_condition(
    conditions: list[tuple[str, date | None]],
    prefixes: tuple[str, ...],
    today: date,
    fresh_days: int,
) -> tuple[bool | None, date | None]:
    for code, onset in conditions:
        if code.startswith(prefixes) and (onset is None or (today - onset).days <= fresh_days):
            return True, onset
    return None, None


def _pregnancy_condition(code: str) -> bool:
    if code.startswith(PREGNANCY_CONDITIONS):
        return True
    if code.startswith("O") and code[1:3].isdigit():
        return 10 <= int(code[1:3]) <= 48
    return False


def read_context(
    engine: Engine,
    patient_id: str,
    today: date,
    resolve: Resolver | Iterable[FormularyDrug],
    clinic_id: str | None = None,
) -> PrescribingContext | None:
    """The PrescribingContext of `patient_id` on `today`; None when the patient is not cached.

    `resolve` finds the formulary drug a record names: a FormularyIndex, any function of the
    same shape, or simply the formulary's drugs. `clinic_id` is the clinic whose patients'
    records the cache downloads (None: unscoped): a patient another clinic manages has its
    records there, which the context says (records_kept_at).
    """
    lookup: Resolver = resolve if callable(resolve) else FormularyIndex(resolve)
    with engine.connect() as connection:
        table = _table(PatientRow)
        patient = connection.execute(
            select(table.c.birth_date, table.c.gender, table.c.organization_id).where(
                table.c.id == patient_id
            )
        ).first()
        if patient is None:
            return None
        kept_at = records_kept_at(connection, patient.organization_id, clinic_id)
        state, allergies = _allergies(connection, patient_id, lookup)
        medications = _medications(connection, patient_id, lookup)
        prescribed = _prescribed_before(connection, patient_id, lookup)
        hla = _hla_results(connection, patient_id)
        conditions = _conditions(connection, patient_id)
        weights = _observations(connection, patient_id, (WEIGHT,))
        pregnancy_rows = _observations(connection, patient_id, (PREGNANCY_STATUS,))
        feeding_rows = _observations(connection, patient_id, (BREASTFEEDING_STATUS,))
        egfrs = _observations(connection, patient_id, EGFR_CODES)
    weight = next((row for row in weights if row.value is not None), None)
    egfr = next((row for row in egfrs if row.value is not None), None)
    pregnancy = _status_observation(pregnancy_rows, PREGNANT, today, PREGNANCY_DAYS)
    if pregnancy is None:
        pregnant = [(code, onset) for code, onset in conditions if _pregnancy_condition(code)]
        pregnancy = _status_condition(pregnant, ("",), today, PREGNANCY_DAYS)
    feeding = _status_observation(feeding_rows, dict(BREASTFEEDING), today, BREASTFEEDING_DAYS)
    if feeding is None:
        feeding = _status_condition(conditions, LACTATION_CONDITIONS, today, BREASTFEEDING_DAYS)
    return PrescribingContext.for_birth_date(
        _date(patient.birth_date),
        today,
        sex=patient.gender or "unknown",
        weight_kg=_weight_kg(float(weight.value), weight.unit) if weight else None,
        weight_date=_date(weight.effective) if weight else None,
        pregnant=pregnancy[0],
        pregnancy_date=pregnancy[1],
        breastfeeding=feeding[0],
        breastfeeding_date=feeding[1],
        allergy_state=state,
        allergies=allergies,
        medications=medications,
        diagnoses=tuple(dict.fromkeys(code for code, _ in conditions)),
        egfr=float(egfr.value) if egfr else None,
        egfr_date=_date(egfr.effective) if egfr else None,
        records_kept_at=kept_at,
        prescribed_before=prescribed,
        hla_results=hla,
    )
