"""Dose check: per dose and per day against the formulary's limits; by weight for children.

Adults: a dose above the most per administration, or a day's total above the maximum
daily dose, is high; above the usual dose (but within the maximum) is moderate. At any age, a
dose UNIT_ERROR_FACTOR times a maximum or more (125 mg of digoxin for 125 µg) is refused as a
likely unit error: a high finding no reason overrides (SafetyWarning.overridable False), so
the line is typed again. Patients under 18: child_dose_check.py (children's table by age and
weight, minimum ages, adult doses from the age or weight the source states). Limits are the
formulary's, each drug with its sources.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from clinic_tui.prescribing.child_dose_check import check_child_line
from clinic_tui.prescribing.facts import ADULT_AGE, PrescribingContext
from clinic_tui.prescribing.model import DraftOrder, FormularyDrug, SafetyWarning, Severity
from clinic_tui.prescribing.rule_tables import drug_source
from clinic_tui.prescribing.units import convert

UNIT_ERROR_FACTOR = 10
"""A dose this many times the most per dose (or the usual top dose where the source gives no
most), or a day this many times the daily maximum, is taken for a unit error (mg for µg,
g for mg: factors of 1,000), not a clinical choice. Ten keeps clear of every loading or
single dose in the formulary (azithromycin 1 g is twice its 500 mg daily dose; digoxin's
1.5 mg oral load six times its 0.25 mg usual top), and far below the factor of 1,000."""
SINGLE_DOSE = "stat"
"""The order line's frequency code of one dose only (stat, once, 立即)."""
DOSED_ROUTES = ("po", "iv", "im", "sc", "sl", "pr", "inh")
"""Routes whose doses are systemic amounts; creams and drops are not checked by amount."""


def _fmt(value: float) -> str:
    return f"{value:.3g}" if value < 10 else f"{value:,.0f}"


_FIELDS = {
    "max-dose": ("adult_max_dose",),
    "usual-dose": ("adult_dose",),
    "max-daily": ("adult_max_daily",),
    "per-kg": ("child_per_kg_day",),
    "child-max-daily": ("child_max_daily", "adult_max_daily"),
    "combined": ("adult_max_daily",),
    "unit-error": ("adult_max_dose", "adult_max_daily", "adult_dose"),
}
"""Which formulary fields a dose warning rests on (by its key's second part), for the source."""


def _warning(
    index: int, drug: FormularyDrug, severity: Severity, en: str, zh: str, key: str
) -> SafetyWarning:
    fields = _FIELDS.get(key.split(":")[1], ("adult_dose", "child_per_kg_day"))
    return SafetyWarning(
        check="dose",
        severity=severity,
        line=index,
        message_en=en,
        message_zh=zh,
        source=drug_source(drug, *fields),
        key=key,
    )


def _unit(drug: FormularyDrug) -> str:
    if drug.adult_dose is not None:
        return drug.adult_dose.unit
    # No adult dose (ORS, zinc): the unit its products are counted in (sachet, mg).
    return drug.products[0].strength_unit if drug.products else "mg"


def unit_error(index: int, order: DraftOrder, dose: float, daily: float) -> SafetyWarning | None:
    """A dose or day UNIT_ERROR_FACTOR times a maximum or more: refused, typed again."""
    drug, unit = order.drug, _unit(order.drug)
    per_dose = drug.adult_max_dose
    if per_dose is None and drug.adult_dose is not None:
        per_dose = drug.adult_dose.high
    over: tuple[float, float, str, str] | None = None
    if per_dose is not None and dose >= per_dose * UNIT_ERROR_FACTOR:
        over = (dose, per_dose, "a dose", "单次")
    elif drug.adult_max_daily is not None and daily >= drug.adult_max_daily * UNIT_ERROR_FACTOR:
        over = (daily, drug.adult_max_daily, "a day", "每日")
    if over is None:
        return None
    amount, limit, per_en, per_zh = over
    times = amount / limit
    warning = _warning(
        index,
        drug,
        Severity.HIGH,
        f"{drug.name_en} {_fmt(amount)} {unit} {per_en} is {_fmt(times)} times the most "
        f"({_fmt(limit)} {unit}): a unit error? Type the line again (no override)",
        f"{drug.name_zh}{per_zh}{_fmt(amount)} {unit}，为最大量（{_fmt(limit)} {unit}）的"
        f"{_fmt(times)}倍：单位是否有误？请重新录入（不可忽略）",
        f"dose:unit-error:{drug.code}:{_fmt(dose)}{unit}:{order.frequency.code}",
    )
    return replace(warning, overridable=False)


def _single_dose_within_most(order: DraftOrder, dose: float) -> bool:
    """A single dose (stat) above the usual repeated dose but within the label's most per
    dose is a loading or single-dose course (clopidogrel 300 mg, azithromycin 1 g): no
    finding. The usual range describes repeated doses."""
    most = order.drug.adult_max_dose
    return order.frequency.code == SINGLE_DOSE and most is not None and dose <= most


def _adult(index: int, order: DraftOrder, dose: float, daily: float) -> list[SafetyWarning]:
    drug, unit = order.drug, _unit(order.drug)
    found: list[SafetyWarning] = []
    if drug.adult_max_dose is not None and dose > drug.adult_max_dose:
        found.append(
            _warning(
                index,
                drug,
                Severity.HIGH,
                f"{drug.name_en} {_fmt(dose)} {unit} a dose is above the adult maximum of "
                f"{_fmt(drug.adult_max_dose)} {unit} a dose",
                f"{drug.name_zh}单次{_fmt(dose)} {unit}，超过成人单次最大量"
                f"{_fmt(drug.adult_max_dose)} {unit}",
                f"dose:max-dose:{drug.code}:{_fmt(dose)}{unit}",
            )
        )
    elif (
        drug.adult_dose is not None
        and dose > drug.adult_dose.high
        and not _single_dose_within_most(order, dose)
    ):
        found.append(
            _warning(
                index,
                drug,
                Severity.MODERATE,
                f"{drug.name_en} {_fmt(dose)} {unit} a dose is above the usual adult dose "
                f"({_fmt(drug.adult_dose.low)}-{_fmt(drug.adult_dose.high)} {unit})",
                f"{drug.name_zh}单次{_fmt(dose)} {unit}，高于成人常用量"
                f"（{_fmt(drug.adult_dose.low)}-{_fmt(drug.adult_dose.high)} {unit}）",
                f"dose:usual-dose:{drug.code}:{_fmt(dose)}{unit}",
            )
        )
    if drug.adult_max_daily is not None and daily > drug.adult_max_daily:
        found.append(
            _warning(
                index,
                drug,
                Severity.HIGH,
                f"{drug.name_en} {_fmt(daily)} {unit} a day is above the adult maximum of "
                f"{_fmt(drug.adult_max_daily)} {unit} a day",
                f"{drug.name_zh}每日{_fmt(daily)} {unit}，超过成人每日最大量"
                f"{_fmt(drug.adult_max_daily)} {unit}",
                f"dose:max-daily:{drug.code}:{_fmt(daily)}{unit}",
            )
        )
    return found


def check_line(
    index: int, order: DraftOrder, context: PrescribingContext, today: date
) -> list[SafetyWarning]:
    """Dose warnings of one basket line."""
    drug = order.drug
    if order.route not in DOSED_ROUTES:
        return []
    unit = _unit(drug)
    dose = convert(order.dose, order.dose_unit, unit)
    if dose is None:
        return [
            _warning(
                index,
                drug,
                Severity.INFO,
                f"{drug.name_en}: a dose in {order.dose_unit} cannot be compared with the "
                f"formulary's {unit}; check it by hand",
                f"{drug.name_zh}：剂量单位 {order.dose_unit} 无法与处方集的 {unit} 比较，"
                "请人工核对",
                f"dose:unit:{drug.code}:{order.dose_unit}",
            )
        ]
    daily = dose * order.frequency.per_day
    refused = unit_error(index, order, dose, daily)
    if refused is not None:
        # The other dose findings of a mistyped line say nothing more: it is typed again.
        return [refused]
    if context.age_years is not None and context.age_years < ADULT_AGE:
        return check_child_line(index, order, dose, context, today, _adult, unit)
    return _adult(index, order, dose, daily)


def check_combined(lines: list[DraftOrder]) -> list[SafetyWarning]:
    """The same drug on two lines: their day's total against the adult maximum."""
    found: list[SafetyWarning] = []
    by_code: dict[str, list[int]] = {}
    for index, order in enumerate(lines):
        by_code.setdefault(order.drug.code, []).append(index)
    for indexes in by_code.values():
        if len(indexes) < 2:
            continue
        drug = lines[indexes[0]].drug
        unit = _unit(drug)
        totals = [
            convert(lines[i].dose, lines[i].dose_unit, unit) for i in indexes
        ]  # fmt: skip
        if drug.adult_max_daily is None or any(total is None for total in totals):
            continue
        daily = sum(
            (total or 0) * lines[i].frequency.per_day
            for total, i in zip(totals, indexes, strict=True)
        )
        if daily > drug.adult_max_daily:
            found.append(
                _warning(
                    indexes[-1],
                    drug,
                    Severity.HIGH,
                    f"{drug.name_en} on {len(indexes)} lines: {_fmt(daily)} {unit} a day together, "
                    f"above the maximum of {_fmt(drug.adult_max_daily)} {unit}",
                    f"{drug.name_zh}共{len(indexes)}行，合计每日{_fmt(daily)} {unit}，"
                    f"超过每日最大量{_fmt(drug.adult_max_daily)} {unit}",
                    f"dose:combined:{drug.code}:{_fmt(daily)}{unit}",
                )
            )
    return found
