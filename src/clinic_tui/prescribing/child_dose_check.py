"""Dose check of one basket line for a patient under 18: by age band and weight, with sources.

In order: the drug's minimum age (codeine under 12: high); whether the source gives the
adult dose from this age or weight (then the adult checks apply: a 60 kg 16-year-old on
paracetamol 1 g four times a day is dosed as an adult); a neonate without a neonatal dose
(specialist review); a missing or stale weight; then the age (or weight) band's per-kg
range, fixed dose and ceilings. A drug with no children's dose is a moderate "check BNFC /
说明书", never a silent pass. Limits are children_doses.toml's (children_table.py), else the
formulary row's child_per_kg_day / child_max_daily.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from clinic_tui.prescribing.facts import PrescribingContext
from clinic_tui.prescribing.model import (
    ChildBand,
    ChildDosing,
    DraftOrder,
    FormularyDrug,
    SafetyWarning,
    Severity,
)
from clinic_tui.prescribing.rule_tables import drug_source

WEIGHT_ROUNDING = 1.1
"""A day's dose up to 10% over the range is rounding to whole tablets or mL: moderate."""
STALE_WEIGHT_DAYS = 90
STALE_WEIGHT_DAYS_INFANT = 30
"""A child's weight older than this is weighed again before dosing by it (infants grow fast)."""
FORMULARY_CHILD = "the formulary's child_per_kg_day"

AdultCheck = Callable[[int, DraftOrder, float, float], list[SafetyWarning]]
"""The adult dose check (dose_check._adult): index, order, dose, day's total -> warnings."""


def _fmt(value: float) -> str:
    return f"{value:.3g}" if value < 10 else f"{value:,.0f}"


def _age_words(months: int) -> tuple[str, str]:
    if months < 1:
        return "under 1 month", "未满1个月"
    if months < 24:
        return f"{months} months", f"{months}个月"
    return f"{months // 12} years", f"{months // 12}岁"


def _limit_age(months: int) -> tuple[str, str]:
    if months == 12:
        return "1 year", "1岁"
    if months % 12 == 0 and months >= 12:
        return f"{months // 12} years", f"{months // 12}岁"
    return f"{months} months", f"{months}个月"


@dataclass(frozen=True)
class _Line:
    """One line as the children's check sees it."""

    index: int
    order: DraftOrder
    drug: FormularyDrug
    unit: str
    dose: float
    """Per administration, in the drug's dose unit (of the first part for a combination)."""
    daily: float
    months: int
    weight: float | None

    def warn(self, severity: Severity, en: str, zh: str, key: str, source: str) -> SafetyWarning:
        """A dose warning on this line."""
        return SafetyWarning(
            check="dose",
            severity=severity,
            line=self.index,
            message_en=en,
            message_zh=zh,
            source=source or drug_source(self.drug),
            key=key,
        )


def _legacy(drug: FormularyDrug) -> ChildDosing | None:
    """The formulary row's own child_per_kg_day / child_max_daily as a one-band table."""
    if drug.child_per_kg_day is None and drug.child_max_daily is None:
        return None
    cite = drug_source(drug, "child_per_kg_day", "child_max_daily")
    band = ChildBand(
        cite=cite,
        from_months=1,
        per_kg_day=drug.child_per_kg_day,
        max_daily=drug.child_max_daily,
    )
    return ChildDosing(review="formulary", bands=(band,))


def _weight_warnings(line: _Line, context: PrescribingContext, today: date) -> list[SafetyWarning]:
    if line.weight is None:
        return [
            line.warn(
                Severity.HIGH,
                "WEIGH THE CHILD: no weight is recorded, and a child's dose is worked out from "
                "the weight. Weigh the child and record it before prescribing",
                "请先称体重：未记录患儿体重，儿童剂量须按体重计算。请称重并记录后再开处方",
                "dose:no-weight",
                "Children's doses are per kg or by weight band (children_doses.toml)",
            )
        ]
    stale = STALE_WEIGHT_DAYS_INFANT if line.months < 12 else STALE_WEIGHT_DAYS
    if context.weight_date is not None and (today - context.weight_date).days > stale:
        return [
            line.warn(
                Severity.MODERATE,
                f"The weight ({line.weight:g} kg) is from {context.weight_date}: "
                "weigh the child again before dosing by it",
                f"体重（{line.weight:g} kg）记录于{context.weight_date}：请重新称重后再按体重给药",
                f"dose:old-weight:{context.weight_date}",
                f"A child's weight older than {stale} days is weighed again",
            )
        ]
    return []


def _min_age(line: _Line, rules: ChildDosing | None) -> list[SafetyWarning]:
    drug = line.drug
    minimum = drug.min_age_months
    if minimum is None or line.months >= minimum:
        return []
    limit_en, limit_zh = _limit_age(minimum)
    why_en = rules.min_age_en if rules is not None else ""
    why_zh = rules.min_age_zh if rules is not None else ""
    return [
        line.warn(
            Severity.HIGH,
            f"{drug.name_en} is not for children under {limit_en}: {why_en}".rstrip(": "),
            f"{drug.name_zh}禁用于{limit_zh}以下儿童：{why_zh}".rstrip("："),
            f"dose:min-age:{drug.code}",
            rules.min_age_cite if rules is not None else "",
        )
    ]


def _adult_applies(rules: ChildDosing, years: int, weight: float | None) -> bool:
    by_age = rules.adult_from_years is not None and years >= rules.adult_from_years
    by_weight = (
        rules.adult_from_kg is not None and weight is not None and weight >= rules.adult_from_kg
    )
    if rules.adult_needs_both:
        return by_age and by_weight
    return by_age or by_weight


def _no_child_dose(line: _Line, rules: ChildDosing | None) -> list[SafetyWarning]:
    drug = line.drug
    if rules is not None and rules.not_for_children:
        return [
            line.warn(
                Severity.HIGH,
                f"{drug.name_en} is not for children",
                f"{drug.name_zh}不用于儿童",
                f"dose:not-for-children:{drug.code}",
                rules.not_for_children_cite,
            )
        ]
    age_en, age_zh = _age_words(line.months)
    if rules is None:
        en = (
            f"No children's dose of {drug.name_en} in the formulary: check BNFC or the "
            "label (说明书) before giving it to a child"
        )
        zh = f"处方集无{drug.name_zh}的儿童剂量：给儿童用药前请查阅 BNFC 或药品说明书【儿童用药】"
    else:
        en = (
            f"No children's dose of {drug.name_en} for a child of {age_en}"
            f"{'' if line.weight is None else f', {line.weight:g} kg'} in the formulary: "
            "check BNFC or the label (说明书)"
        )
        zh = f"处方集无{drug.name_zh}用于{age_zh}儿童的剂量：请查阅 BNFC 或药品说明书【儿童用药】"
    return [
        line.warn(
            Severity.MODERATE,
            en,
            zh,
            f"dose:no-child-dose:{drug.code}",
            "children_doses.toml names no dose for this drug at this age",
        )
    ]


def _adult_ceilings(line: _Line) -> list[SafetyWarning]:
    """No children's dose: the adult maximum is still the most a child may take."""
    drug = line.drug
    found: list[SafetyWarning] = []
    if drug.adult_max_dose is not None and line.dose > drug.adult_max_dose:
        found.append(
            line.warn(
                Severity.HIGH,
                f"{drug.name_en} {_fmt(line.dose)} {line.unit} a dose for a child is above the "
                f"adult maximum of {_fmt(drug.adult_max_dose)} {line.unit}",
                f"{drug.name_zh}儿童单次{_fmt(line.dose)} {line.unit}，超过成人单次最大量"
                f"{_fmt(drug.adult_max_dose)} {line.unit}",
                f"dose:child-max-dose:{drug.code}:{_fmt(line.dose)}{line.unit}",
                drug_source(drug, "adult_max_dose"),
            )
        )
    if drug.adult_max_daily is not None and line.daily > drug.adult_max_daily:
        found.append(_over_daily(line, drug.adult_max_daily, drug_source(drug, "adult_max_daily")))
    return found


def _over_daily(line: _Line, most: float, source: str) -> SafetyWarning:
    drug = line.drug
    return line.warn(
        Severity.HIGH,
        f"{drug.name_en} {_fmt(line.daily)} {line.unit} a day is above the most a child may take "
        f"({_fmt(most)} {line.unit} a day)",
        f"{drug.name_zh}每日{_fmt(line.daily)} {line.unit}，"
        f"超过儿童每日最大量{_fmt(most)} {line.unit}",
        f"dose:child-max-daily:{drug.code}:{_fmt(line.daily)}{line.unit}",
        source,
    )


def _per_kg(line: _Line, band: ChildBand, weight: float, part: str) -> list[SafetyWarning]:
    assert band.per_kg_day is not None
    drug, unit = line.drug, line.unit
    low, high = band.per_kg_day
    per_kg = line.daily / weight
    what = f"{drug.name_en} ({part})" if part else drug.name_en
    what_zh = f"{drug.name_zh}（{part}）" if part else drug.name_zh
    shown = (
        f"{_fmt(line.daily)} {unit} a day = {_fmt(per_kg)} {unit}/kg/day for "
        f"{weight:g} kg; usual {_fmt(low)}-{_fmt(high)} {unit}/kg/day"
    )
    shown_zh = (
        f"每日{_fmt(line.daily)} {unit}，即{_fmt(per_kg)} {unit}/kg/日（体重{weight:g} kg）；"
        f"常用{_fmt(low)}-{_fmt(high)} {unit}/kg/日"
    )
    key = f"dose:per-kg:{drug.code}:{_fmt(line.daily)}{unit}:{_fmt(weight)}kg"
    ceiling = band.max_per_kg_day
    if ceiling is not None and per_kg > ceiling:
        return [
            line.warn(
                Severity.HIGH,
                f"{what} above the children's maximum of {_fmt(ceiling)} {unit}/kg/day: {shown}",
                f"{what_zh}超过儿童最大量{_fmt(ceiling)} {unit}/kg/日：{shown_zh}",
                key,
                band.cite,
            )
        ]
    if ceiling is None and per_kg > high * WEIGHT_ROUNDING:
        return [
            line.warn(
                Severity.HIGH,
                f"{what} above the children's range: {shown}",
                f"{what_zh}超过儿童剂量范围：{shown_zh}",
                key,
                band.cite,
            )
        ]
    if per_kg > high:
        words = (
            "above the usual children's dose" if ceiling else "slightly above the children's range"
        )
        words_zh = "高于儿童常用量" if ceiling else "略高于儿童剂量范围"
        return [
            line.warn(
                Severity.MODERATE, f"{what} {words}: {shown}", f"{what_zh}{words_zh}：{shown_zh}",
                key, band.cite,
            )
        ]  # fmt: skip
    if per_kg < low / WEIGHT_ROUNDING:
        return [
            line.warn(
                Severity.INFO,
                f"{what} below the children's range: {shown}",
                f"{what_zh}低于儿童剂量范围：{shown_zh}",
                key,
                band.cite,
            )
        ]
    return []


def _fixed(line: _Line, band: ChildBand) -> list[SafetyWarning]:
    assert band.dose is not None
    drug, unit = line.drug, line.unit
    low, high = band.dose
    usual = f"{_fmt(low)}" if low == high else f"{_fmt(low)}-{_fmt(high)}"
    shown = f"{_fmt(line.dose)} {unit} a dose; the usual children's dose here is {usual} {unit}"
    shown_zh = f"单次{_fmt(line.dose)} {unit}；此年龄/体重儿童常用量{usual} {unit}"
    key = f"dose:child-dose:{drug.code}:{_fmt(line.dose)}{unit}"
    if line.dose > high * WEIGHT_ROUNDING and not band.above_usual_moderate:
        return [
            line.warn(
                Severity.HIGH,
                f"{drug.name_en} above the children's dose: {shown}",
                f"{drug.name_zh}超过儿童剂量：{shown_zh}",
                key,
                band.cite,
            )
        ]
    if line.dose > high:
        return [
            line.warn(
                Severity.MODERATE,
                f"{drug.name_en} above the usual children's dose: {shown}",
                f"{drug.name_zh}高于儿童常用量：{shown_zh}",
                key,
                band.cite,
            )
        ]
    if line.dose < low / WEIGHT_ROUNDING:
        return [
            line.warn(
                Severity.INFO,
                f"{drug.name_en} below the usual children's dose: {shown}",
                f"{drug.name_zh}低于儿童常用量：{shown_zh}",
                key,
                band.cite,
            )
        ]
    return []


def _band_limits(line: _Line, band: ChildBand, part: str) -> list[SafetyWarning]:
    drug, unit = line.drug, line.unit
    found: list[SafetyWarning] = []
    if band.per_kg_day is not None and line.weight is not None and line.weight > 0:
        found += _per_kg(line, band, line.weight, part)
    if band.dose is not None:
        found += _fixed(line, band)
    if band.max_dose is not None and line.dose > band.max_dose:
        found.append(
            line.warn(
                Severity.HIGH,
                f"{drug.name_en} {_fmt(line.dose)} {unit} a dose is above the most a child may "
                f"take at once ({_fmt(band.max_dose)} {unit})",
                f"{drug.name_zh}单次{_fmt(line.dose)} {unit}，超过儿童单次最大量"
                f"{_fmt(band.max_dose)} {unit}",
                f"dose:child-max-dose:{drug.code}:{_fmt(line.dose)}{unit}",
                band.cite,
            )
        )
    most = band.max_daily
    source = band.cite
    if most is None and not part and drug.adult_max_daily is not None:
        most, source = drug.adult_max_daily, drug_source(drug, "adult_max_daily")
    if most is not None and line.daily > most:
        found.append(_over_daily(line, most, source))
    return found


def _second_part(
    line: _Line, rules: ChildDosing, strength: float, total: float
) -> list[SafetyWarning]:
    """Co-amoxiclav's clavulanic acid per kg per day, from the ordered tablet's ratio."""
    most = rules.second_max_per_kg_day
    weight = line.weight
    part = next((p for p in rules.parts if p[0] == strength), None)
    if most is None or part is None or weight is None or weight <= 0:
        return []
    second = total / part[0] * part[2] * line.order.frequency.per_day / weight
    if second <= most * WEIGHT_ROUNDING:
        return []
    name = rules.parts_en[1] or "second part"
    drug = line.drug
    return [
        line.warn(
            Severity.MODERATE,
            f"{drug.name_en}: {_fmt(second)} mg/kg/day of {name} from the {_fmt(strength)} mg "
            f"tablet, above {_fmt(most)} mg/kg/day: a tablet with less {name} per "
            f"{rules.parts_en[0]} (625 mg, 4:1) gives the same dose with less",
            f"{drug.name_zh}：{_fmt(strength)} mg 片每日克拉维酸 {_fmt(second)} mg/kg，"
            f"超过 {_fmt(most)} mg/kg/日：宜改用 625 mg（4:1）片",
            f"dose:second-part:{drug.code}:{_fmt(strength)}",
            rules.parts_cite,
        )
    ]


def _ors(line: _Line, rules: ChildDosing) -> list[SafetyWarning]:
    """ORS: WHO plan A volumes for this age and plan B's volume for this weight (information)."""
    parts_en: list[str] = []
    parts_zh: list[str] = []
    for start, stop, low, high in rules.ors_plan_a:
        if (start is None or line.months >= start) and (stop is None or line.months < stop):
            parts_en.append(
                f"plan A (no dehydration): {_fmt(low)}-{_fmt(high)} ml after each loose stool"
            )
            parts_zh.append(f"A方案（无脱水）：每次稀便后 {_fmt(low)}-{_fmt(high)} ml")
    per_kg = rules.ors_plan_b_ml_per_kg
    if per_kg is not None and line.weight is not None:
        volume = per_kg * line.weight
        parts_en.append(
            f"plan B (some dehydration): {_fmt(per_kg)} ml/kg = {_fmt(volume)} ml over 4 hours"
        )
        parts_zh.append(f"B方案（轻中度脱水）：{_fmt(per_kg)} ml/kg，即4小时内 {_fmt(volume)} ml")
    if not parts_en:
        return []
    return [
        line.warn(
            Severity.INFO,
            "ORS for this child (WHO): " + "; ".join(parts_en),
            "本患儿口服补液（WHO）：" + "；".join(parts_zh),
            f"dose:ors-plan:{line.drug.code}",
            rules.ors_cite,
        )
    ]


def _caution(line: _Line, rules: ChildDosing) -> list[SafetyWarning]:
    below = rules.caution_below_months
    if below is None or line.months >= below or not rules.caution_en:
        return []
    return [
        line.warn(
            Severity.MODERATE,
            f"{line.drug.name_en}: {rules.caution_en}",
            f"{line.drug.name_zh}：{rules.caution_zh}",
            f"dose:child-caution:{line.drug.code}",
            rules.caution_cite,
        )
    ]


def _neonate(line: _Line) -> SafetyWarning:
    drug = line.drug
    return line.warn(
        Severity.HIGH,
        f"NEONATE (under 1 month): the formulary has no neonatal dose of {drug.name_en}. "
        "Neonatal dosing needs specialist review: refer or ask a paediatrician",
        f"新生儿（未满1个月）：处方集无{drug.name_zh}的新生儿剂量。新生儿用药须经儿科专科医生审核：请转诊或咨询",
        f"dose:neonate:{drug.code}",
        "Neonates (first 28 days) are dosed from a neonatal section (BNFC 'Neonate'); "
        "children_doses.toml has none for this drug",
    )


def _measured(order: DraftOrder, rules: ChildDosing | None, dose: float) -> tuple[float, str]:
    """The dose the children's limits are written in: the first part of a combination."""
    if rules is None or not rules.parts:
        return dose, ""
    part = next((p for p in rules.parts if p[0] == order.product.strength), None)
    if part is None:
        return dose, ""
    return dose / part[0] * part[1], rules.parts_en[0]


def check_child_line(
    index: int,
    order: DraftOrder,
    dose: float,
    context: PrescribingContext,
    today: date,
    adult: AdultCheck,
    unit: str,
) -> list[SafetyWarning]:
    """Dose warnings of one line for a patient under ADULT_AGE (dose in the drug's unit)."""
    drug = order.drug
    rules = drug.children if drug.children is not None else _legacy(drug)
    years = context.age_years or 0
    months = context.age_months if context.age_months is not None else years * 12
    measured, part = _measured(order, rules, dose)
    per_day = order.frequency.per_day
    line = _Line(
        index, order, drug, unit, measured, measured * per_day, months, context.weight_kg
    )  # fmt: skip
    found = _min_age(line, rules)
    if rules is not None and _adult_applies(rules, years, context.weight_kg):
        return found + adult(index, order, dose, dose * per_day)
    if months < 1 and not (rules is not None and any(b.neonatal for b in rules.bands)):
        return [*found, _neonate(line), *_weight_warnings(line, context, today)]
    found += _weight_warnings(line, context, today)
    if rules is None:
        return found + _no_child_dose(line, rules) + _adult_ceilings(line)
    found += _caution(line, rules)
    if rules.ors_plan_a or rules.ors_plan_b_ml_per_kg is not None:
        found += _ors(line, rules)
    below_minimum = drug.min_age_months is not None and months < drug.min_age_months
    if not rules.bands:
        # ORS has its plan note; below the minimum age the high warning already says it all.
        if not (rules.ors_plan_a or rules.ors_plan_b_ml_per_kg or below_minimum):
            found += _no_child_dose(line, rules)
        return found + _adult_ceilings(line)
    neonate = months < 1
    covering = [b.covers(months, context.weight_kg) for b in rules.bands]
    if any(c is None for c in covering) and context.weight_kg is None:
        # A weight-banded dose and no weight: the weigh prompt above says what to do.
        return found
    band = next(
        (b for b, c in zip(rules.bands, covering, strict=True) if c and b.neonatal == neonate),
        None,
    )
    if band is None:
        extra = [] if below_minimum else _no_child_dose(line, rules)
        return found + extra + _adult_ceilings(line)
    found += _band_limits(line, band, part)
    if part:
        found += _second_part(line, rules, order.product.strength, dose)
    return found
