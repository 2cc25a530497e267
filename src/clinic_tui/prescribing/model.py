"""Types prescribing shares: a formulary drug, a parsed order line, a warning, an override.

Plain frozen dataclasses (no SQL, no UI) so the parser, the checks, the order screen, the
MedicationRequest builder and the slip all speak of the same things. Doses are kept in the
unit the formulary states them in (mg for most oral drugs); a product's strength says how much
of that unit one dispensable unit holds, so quantities and daily totals are plain arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How much a warning asks of the prescriber."""

    HIGH = "high"
    """Blocks signing until overridden with a coded reason (and may be changed instead)."""
    MODERATE = "moderate"
    """Shown beside the line; signing goes on."""
    INFO = "info"
    """Information only."""


class Pregnancy(StrEnum):
    """What the formulary's cited source says about use in pregnancy (or breastfeeding)."""

    CONTRAINDICATED = "contraindicated"
    AVOID = "avoid"
    CAUTION = "caution"
    COMPATIBLE = "compatible"
    UNKNOWN = "unknown"


class Controlled(StrEnum):
    """China's special-management classes (处方管理办法; 麻醉药品和精神药品管理条例)."""

    NONE = ""
    NARCOTIC = "narcotic"  # 麻醉药品
    PSYCHOTROPIC_1 = "psychotropic-1"  # 第一类精神药品
    PSYCHOTROPIC_2 = "psychotropic-2"  # 第二类精神药品
    TOXIC = "toxic"  # 医疗用毒性药品


@dataclass(frozen=True)
class Product:
    """One stocked form and strength of a drug: what the pharmacy hands over, one unit at a time."""

    form: str
    """Plain dosage form: tablet, capsule, granules, oral-solution, injection, inhaler, cream."""
    strength: float
    """Amount of the drug in one unit, in `strength_unit` (500 for a 500 mg capsule)."""
    strength_unit: str
    """mg, g, µg, IU, mL; the unit doses of this drug are written in."""
    unit_en: str
    """What one dispensable unit is called: tablet, capsule, vial, bottle, puff."""
    unit_zh: str
    """The same in Chinese as on the slip: 片, 粒, 支, 瓶, 揿."""
    volume_ml: float | None = None
    """For liquids: mL that hold `strength` (5 for 125 mg/5 mL); None for solid units."""
    pack_size: int | None = None
    """Units per box when dispensed by the box (a 28-tablet pack), None when dispensed loose."""
    pack_unit_en: str = ""
    """What one pack is called when `pack_size` is set: box, inhaler, pen (quantity is in packs)."""
    pack_unit_zh: str = ""
    """The same in Chinese: 盒, 支, 瓶."""


@dataclass(frozen=True)
class DoseRange:
    """A usual dose per administration, low to high, in the drug's dose unit."""

    low: float
    high: float
    unit: str = "mg"


@dataclass(frozen=True)
class ChildBand:
    """One row of a drug's children's doses: the ages (and weights) it covers and its limits.

    Amounts are in the drug's dose unit; for a combination (co-amoxiclav) they are of the
    part `ChildDosing.parts` names (the amoxicillin in the tablet), not the tablet's total.
    """

    cite: str
    """Where these numbers come from (source, section or table), as the warning shows it."""
    from_months: int | None = None
    """Completed months of age from which the row applies (None: from birth)."""
    below_months: int | None = None
    """Completed months of age from which it no longer applies (None: no upper age)."""
    above_kg: float | None = None
    """The row applies to weights above this (exclusive), when the source doses by weight."""
    up_to_kg: float | None = None
    """... and up to this weight (inclusive)."""
    neonatal: bool = False
    """A neonatal dose (first month): only such rows apply to a neonate."""
    per_kg_day: tuple[float, float] | None = None
    """Usual range per kg per day (low, high)."""
    max_per_kg_day: float | None = None
    """Most per kg per day for a named indication (meningitis): between the usual high and
    this is moderate, above it high. None: more than 10% above the usual high is high."""
    dose: tuple[float, float] | None = None
    """Usual fixed amount per administration (low, high) when the source doses by age or
    weight band rather than per kg."""
    above_usual_moderate: bool = False
    """The source allows more than `dose` (salbutamol in acute asthma): above it is moderate."""
    max_dose: float | None = None
    """Most per administration."""
    max_daily: float | None = None
    """Most per day."""

    def covers(self, months: int, weight: float | None) -> bool | None:
        """True when the row applies to this age and weight; None when it needs a weight."""
        if self.from_months is not None and months < self.from_months:
            return False
        if self.below_months is not None and months >= self.below_months:
            return False
        if self.above_kg is None and self.up_to_kg is None:
            return True
        if weight is None:
            return None
        if self.above_kg is not None and weight <= self.above_kg:
            return False
        return self.up_to_kg is None or weight <= self.up_to_kg


@dataclass(frozen=True)
class ChildDosing:
    """What the children's table (children_doses.toml) says of one drug, each value cited."""

    review: str
    """unreviewed or reviewed: whether a pharmacist has signed this row."""
    bands: tuple[ChildBand, ...] = ()
    adult_from_years: int | None = None
    """From this age the source gives the adult dose (BNFC 'child 12-17 years')."""
    adult_from_kg: float | None = None
    """From this weight the source gives the adult dose (many labels: 40 kg and over)."""
    adult_needs_both: bool = False
    """True when the source asks for the age AND the weight (domperidone: 12 years and 35 kg)."""
    adult_cite: str = ""
    min_age_cite: str = ""
    """Why and by whose word the drug is not given below `FormularyDrug.min_age_months`."""
    min_age_en: str = ""
    min_age_zh: str = ""
    """The reason in a few words (respiratory depression, Reye's syndrome)."""
    not_for_children: bool = False
    """The source says it is not for children at all (below the adult age)."""
    not_for_children_cite: str = ""
    caution_below_months: int | None = None
    """Below this age a caution is shown beside any dose (a licence restriction)."""
    caution_en: str = ""
    caution_zh: str = ""
    caution_cite: str = ""
    parts: tuple[tuple[float, float, float], ...] = ()
    """For a combination: (product strength, first part, second part) per unit, in mg
    (375 mg co-amoxiclav = 250 mg amoxicillin + 125 mg clavulanic acid)."""
    parts_en: tuple[str, str] = ("", "")
    """Names of the two parts (amoxicillin, clavulanic acid)."""
    second_max_per_kg_day: float | None = None
    """Most of the second part per kg per day (clavulanic acid 15 mg/kg/day)."""
    parts_cite: str = ""
    ors_plan_a: tuple[tuple[int | None, int | None, float, float], ...] = ()
    """WHO plan A: (from months, below months, mL low, mL high) after each loose stool."""
    ors_plan_b_ml_per_kg: float | None = None
    """WHO plan B: mL per kg over four hours for some dehydration."""
    ors_cite: str = ""


@dataclass(frozen=True)
class FormularyDrug:
    """A medicine the clinic can prescribe, with what the safety checks need to know of it."""

    code: str
    """Stable key within the formulary, lower-case English (amoxicillin)."""
    name_en: str
    """Generic (INN) name."""
    name_zh: str
    """通用名 as printed on Chinese labels (阿莫西林), never a transliteration nobody uses."""
    atc: str
    """WHO ATC code (J01CA04); its first letters give the class."""
    classes: tuple[str, ...] = ()
    """Class tags the checks match on: penicillin, cephalosporin-r1-amino, nsaid, statin, ..."""
    routes: tuple[str, ...] = ("po",)
    """Routes it may be given by: po, iv, im, sc, inh, top, sl, pr."""
    products: tuple[Product, ...] = ()
    adult_dose: DoseRange | None = None
    adult_max_daily: float | None = None
    """Maximum per day for an adult, in the dose unit."""
    child_per_kg_day: tuple[float, float] | None = None
    """Usual paediatric range, dose unit per kg per day (low, high)."""
    child_max_daily: float | None = None
    pregnancy: Pregnancy = Pregnancy.UNKNOWN
    breastfeeding: Pregnancy = Pregnancy.UNKNOWN
    antimicrobial: bool = False
    """抗菌药物: no long-term prescription (处方管理办法; 抗菌药物临床应用管理办法)."""
    controlled: Controlled = Controlled.NONE
    no_long_term: bool = False
    """Excluded from long-term (长期处方) prescriptions beyond `antimicrobial` and `controlled`."""
    renal_caution: str = ""
    """Plain words on dosing in renal impairment, when the source gives any."""
    elderly_caution: str = ""
    synonyms: tuple[str, ...] = ()
    """Abbreviations and other names typed at the order line: amox, 阿莫, pinyin initials amxl."""
    sources: tuple[str, ...] = ()
    """Citations for the doses and rules above (title, edition, section)."""
    cited: tuple[tuple[str, str], ...] = ()
    """(field, citation) pairs: which source gave which field (adult_dose, pregnancy, ...)."""
    review: str = "unreviewed"
    """The row's review state: unreviewed, or reviewed (by `reviewed_by` on `reviewed_on`)."""
    reviewed_by: str = ""
    reviewed_on: str = ""
    unverified: tuple[str, ...] = ()
    """Fields whose value no source read for this row gave (shown as unverified, not used as
    a cited limit); a ceiling listed here is why a systemic drug may lack one."""
    elderly_max_daily: float | None = None
    """From age 65, a day's dose above this brings up `elderly_caution` (Beers: digoxin
    above 0.125 mg a day); None: the caution applies at any dose."""
    elderly_max_days: int | None = None
    """From age 65, a supply longer than this brings up `elderly_caution` (Beers: PPIs
    beyond 8 weeks); None: the caution applies at any duration."""
    adult_max_dose: float | None = None
    """Most an adult may take in one administration, in the dose unit, when the source says."""
    egfr_avoid_below: float | None = None
    """eGFR (mL/min/1.73 m2) below which the source says not to use it (metformin: 30)."""
    generic: bool = True
    """False for a trade or hospital name that is not a 通用名 (处方管理办法 第十七条)."""
    children: ChildDosing | None = None
    """Its children's doses, minimum age and adolescent rule (children_doses.toml), if any."""
    min_age_months: int | None = None
    """Youngest age, in completed months, the cited source allows it at (codeine: 144)."""

    def source_of(self, field_name: str) -> str:
        """The citation for one field ('' when the formulary names none for it)."""
        for name, citation in self.cited:
            if name == field_name:
                return citation
        return ""


@dataclass(frozen=True)
class Frequency:
    """How often a dose is taken: a code the clinician typed, read into times per day."""

    code: str
    """As understood: qd, bid, tid, qid, q8h, qn, once, prn..."""
    per_day: float
    """Administrations per day (3 for tid, 3 for q8h); the maximum per day when `as_needed`."""
    as_needed: bool = False
    """PRN: taken when needed, up to `per_day` times."""
    text_en: str = ""
    text_zh: str = ""
    """As printed on the slip: three times a day / 每日三次."""


@dataclass(frozen=True)
class DraftOrder:
    """One line of the basket, read from what the clinician typed."""

    text: str
    """The line exactly as typed, kept so nothing the clinician wrote is lost."""
    drug: FormularyDrug
    product: Product
    dose: float
    """Per administration, in `dose_unit`."""
    dose_unit: str
    route: str
    frequency: Frequency
    duration_days: int | None
    quantity: int
    """Dispensable units to hand over (tablets, bottles), rounded up to whole units or packs."""
    quantity_unit: str
    instructions: str = ""
    """Anything else typed that is for the patient (饭后, with food)."""
    replaces: str | None = None
    """Id of the MedicationRequest this line renews or changes, if any."""
    quantity_unit_zh: str = ""
    """`quantity_unit` in Chinese as printed on the slip (片, 盒, 支)."""

    @property
    def daily_dose(self) -> float:
        """Most the patient takes in a day, in `dose_unit`."""
        return self.dose * self.frequency.per_day


@dataclass(frozen=True)
class ParsedLine:
    """What the parser made of one typed line: an order, or the words it could not read."""

    text: str
    order: DraftOrder | None
    problems: tuple[str, ...] = ()
    """Each part it could not read, in words a clinician understands ('no dose: 500mg?')."""


@dataclass(frozen=True)
class SafetyWarning:
    """One finding of the offline checks on one line of the basket."""

    check: str
    """allergy, interaction, duplicate, dose, pregnancy, breastfeeding, hla, renal, elderly,
    rule."""
    severity: Severity
    line: int
    """Index of the basket line it is about."""
    message_en: str
    message_zh: str
    source: str
    """The cited source of the rule or data that raised it."""
    other: str = ""
    """What it is against: the allergy, the other drug, the rule."""
    key: str = ""
    """Stable identity (check + drugs), so an override survives the basket being re-checked."""
    overridable: bool = True
    """False for a finding no reason can override (a dose 10 times the maximum: a likely unit
    error): the line must be typed again."""


@dataclass(frozen=True)
class OverrideReason:
    """A coded reason for going on despite a high-severity warning."""

    code: str
    text_en: str
    text_zh: str


@dataclass(frozen=True)
class Override:
    """The prescriber's answer to one high-severity warning: a coded reason and free text."""

    warning_key: str
    reason: OverrideReason
    comment: str
    by: str = ""
    """Practitioner reference of who overrode."""


@dataclass
class Basket:
    """The lines being prescribed in one sitting, with the overrides given so far."""

    lines: list[DraftOrder] = field(default_factory=list)
    overrides: dict[str, Override] = field(default_factory=dict)
    kind: str = "ordinary"
    """Slip type: ordinary (普通), emergency (急诊), paediatric (儿科),
    narcotic-psychotropic-1 (麻精一), psychotropic-2 (精二)."""
    long_term_reason: str = ""
    """Recorded reason for a supply beyond the slip type's day limit (chronic disease, elderly)."""
