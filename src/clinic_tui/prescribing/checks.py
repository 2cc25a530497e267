"""Offline safety checks of a basket: check_basket(basket, context, today) -> warnings.

Pure functions of (patient facts, order lines, rule tables): allergy with class
cross-reactivity, drug-drug interactions, duplicate therapy, dose, pregnancy and
breastfeeding (and drugs barred to any woman who could become pregnant), HLA tests before a
first prescription, renal and elderly cautions, and China's prescription rules. Each warning
says why in English and Chinese, cites its source and carries a stable key, so an override
given to it survives the basket being checked again.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from clinic_tui.prescribing import allergy_check, china_rules, dose_check, hla_check
from clinic_tui.prescribing.facts import (
    ActiveMedication,
    AllergyFact,
    AllergyState,
    PrescribingContext,
)
from clinic_tui.prescribing.interaction_check import check_basket_interactions, class_tags
from clinic_tui.prescribing.model import (
    Basket,
    DraftOrder,
    FormularyDrug,
    Pregnancy,
    SafetyWarning,
    Severity,
)
from clinic_tui.prescribing.rule_tables import citation, drug_source, load_table, short_source
from clinic_tui.prescribing.units import convert

__all__ = [
    "ActiveMedication",
    "AllergyFact",
    "AllergyState",
    "PrescribingContext",
    "check_basket",
]

DUPLICATES = "duplicates.toml"
CHILDBEARING = "childbearing.toml"
ELDERLY_AGE = 65
"""Age from which the formulary's elderly cautions apply (AGS Beers Criteria: 65 and older)."""
EGFR_REDUCED = 60.0
"""eGFR below this (KDIGO categories G3a-G5) brings up the formulary's renal caution."""
CKD_CODES = ("N18.3", "N18.4", "N18.5", "N18.6")
"""ICD-10 codes of chronic kidney disease stage 3 or worse, read when no eGFR is recorded."""
CHILDBEARING_AGES = (12, 55)
"""Ages at which a woman's unrecorded pregnancy status is worth a reminder."""
BEERS_2023 = (
    "American Geriatrics Society 2023 Beers Criteria Update Expert Panel. American Geriatrics "
    "Society 2023 updated AGS Beers Criteria for potentially inappropriate medication use in "
    "older adults. J Am Geriatr Soc 2023;71(7):2052-2081 (adults 65 and older)"
)
KDIGO_2012 = (
    "KDIGO 2012 Clinical Practice Guideline for the Evaluation and Management of Chronic "
    "Kidney Disease. Kidney Int Suppl 2013;3(1):1-150 (GFR categories G3a-G5: below 60)"
)
_ORDER = {Severity.HIGH: 0, Severity.MODERATE: 1, Severity.INFO: 2}


def _drug_source(drug: FormularyDrug, field_name: str, extra: str = "") -> str:
    own = drug_source(drug, field_name)
    return f"{own}; {extra}" if extra else own


# ----- duplicate therapy --------------------------------------------------------------------


@cache
def _duplicate_classes() -> tuple[tuple[str, str, str, frozenset[str]], ...]:
    return tuple(
        (row["tag"], row["en"], row["zh"], frozenset(row.get("except", [])))
        for row in load_table(DUPLICATES)["class"]
    )


def _classes_of(drug: FormularyDrug) -> frozenset[str]:
    return class_tags(drug.classes, drug.atc)


def _duplicate_pair(
    index: int, drug: FormularyDrug, other_drug: FormularyDrug, taken_now: bool
) -> SafetyWarning | None:
    table = load_table(DUPLICATES)
    where_en = "taken now" if taken_now else "also in this prescription"
    where_zh = "正在服用" if taken_now else "本处方另有"
    source = "rx-2007-review"
    tail_en = f" ({short_source(table, source, zh=False)})"
    tail_zh = f"（{short_source(table, source, zh=True)}）"
    if drug.code == other_drug.code:
        return SafetyWarning(
            check="duplicate",
            severity=Severity.MODERATE,
            line=index,
            message_en=f"{drug.name_en} twice: {other_drug.name_en} is {where_en}{tail_en}",
            message_zh=f"{drug.name_zh}重复：{where_zh}{other_drug.name_zh}{tail_zh}",
            source=citation(table, source),
            other=other_drug.name_en,
            other_zh=other_drug.name_zh,
            key=f"duplicate:{drug.code}",
        )
    mine, theirs = _classes_of(drug), _classes_of(other_drug)
    for tag, en, zh, excepted in _duplicate_classes():
        if tag in mine and tag in theirs and not (excepted & (mine | theirs)):
            pair = "+".join(sorted((drug.code, other_drug.code)))
            return SafetyWarning(
                check="duplicate",
                severity=Severity.MODERATE,
                line=index,
                message_en=(
                    f"Two {en}: {drug.name_en} and {other_drug.name_en} ({where_en}){tail_en}"
                ),
                message_zh=(
                    f"两种{zh}：{drug.name_zh}与{other_drug.name_zh}（{where_zh}）{tail_zh}"
                ),
                source=citation(table, source),
                other=other_drug.name_en,
                other_zh=other_drug.name_zh,
                key=f"duplicate:{tag}:{pair}",
            )
    return None


def _duplicates(lines: list[DraftOrder], context: PrescribingContext) -> list[SafetyWarning]:
    found: list[SafetyWarning] = []
    replaced = {order.replaces for order in lines if order.replaces}
    for index, order in enumerate(lines):
        for medication in context.medications:
            if medication.drug is None or (medication.id and medication.id in replaced):
                continue
            warning = _duplicate_pair(index, order.drug, medication.drug, taken_now=True)
            if warning is not None:
                found.append(warning)
        for earlier in range(index):
            warning = _duplicate_pair(index, order.drug, lines[earlier].drug, taken_now=False)
            if warning is not None:
                found.append(warning)
    return found


# ----- pregnancy, breastfeeding ---------------------------------------------------------------

_PREGNANCY_SEVERITY = {
    Pregnancy.CONTRAINDICATED: Severity.HIGH,
    Pregnancy.AVOID: Severity.MODERATE,
    Pregnancy.CAUTION: Severity.INFO,
    Pregnancy.UNKNOWN: Severity.INFO,
}
_PREGNANCY_WORDS = {
    Pregnancy.CONTRAINDICATED: ("is contraindicated", "禁用"),
    Pregnancy.AVOID: ("should be avoided", "应避免使用"),
    Pregnancy.CAUTION: ("needs caution", "慎用"),
}


def _pregnancy(index: int, drug: FormularyDrug, context: PrescribingContext) -> list[SafetyWarning]:
    found: list[SafetyWarning] = []
    if context.pregnant and drug.pregnancy is not Pregnancy.COMPATIBLE:
        when = f" (recorded {context.pregnancy_date})" if context.pregnancy_date else ""
        when_zh = f"（记录于{context.pregnancy_date}）" if context.pregnancy_date else ""
        if drug.pregnancy is Pregnancy.UNKNOWN:
            en = f"the formulary has no pregnancy data for {drug.name_en}"
            zh = f"处方集无{drug.name_zh}的妊娠期用药资料"
        else:
            words = _PREGNANCY_WORDS[drug.pregnancy]
            en = f"{drug.name_en} {words[0]} in pregnancy"
            zh = f"妊娠期{drug.name_zh}{words[1]}"
        found.append(
            SafetyWarning(
                check="pregnancy",
                severity=_PREGNANCY_SEVERITY[drug.pregnancy],
                line=index,
                message_en=f"The patient is pregnant{when}: {en}",
                message_zh=f"患者妊娠{when_zh}：{zh}",
                source=_drug_source(drug, "pregnancy"),
                key=f"pregnancy:{drug.code}",
            )
        )
    elif (
        context.pregnant is None
        and drug.pregnancy is Pregnancy.CONTRAINDICATED
        and context.sex == "female"
        and context.age_years is not None
        and CHILDBEARING_AGES[0] <= context.age_years < CHILDBEARING_AGES[1]
    ):
        found.append(
            SafetyWarning(
                check="pregnancy",
                severity=Severity.INFO,
                line=index,
                message_en=(
                    f"{drug.name_en} is contraindicated in pregnancy and the chart does not say "
                    "whether she is pregnant: ask"
                ),
                message_zh=f"{drug.name_zh}妊娠期禁用，病历未记录是否妊娠：请询问",
                source=_drug_source(drug, "pregnancy"),
                key=f"pregnancy:unknown:{drug.code}",
            )
        )
    if context.breastfeeding and drug.breastfeeding not in (
        Pregnancy.COMPATIBLE,
        Pregnancy.UNKNOWN,
    ):
        en, zh = _PREGNANCY_WORDS[drug.breastfeeding]
        found.append(
            SafetyWarning(
                check="breastfeeding",
                severity=_PREGNANCY_SEVERITY[drug.breastfeeding],
                line=index,
                message_en=f"The patient is breastfeeding: {drug.name_en} {en} while breastfeeding",
                message_zh=f"患者哺乳期：哺乳期{drug.name_zh}{zh}",
                source=_drug_source(drug, "breastfeeding"),
                key=f"breastfeeding:{drug.code}",
            )
        )
    return found


@cache
def _childbearing_rows() -> dict[str, dict[str, str]]:
    return {row["drug"]: row for row in load_table(CHILDBEARING)["drug"]}


def _childbearing(
    index: int, drug: FormularyDrug, context: PrescribingContext
) -> list[SafetyWarning]:
    """A drug contraindicated in any woman who could become pregnant (valproate)."""
    row = _childbearing_rows().get(drug.code)
    if (
        row is None
        or context.pregnant  # pregnancy itself is the formulary's check
        or context.sex != "female"
        or context.age_years is None
        or not CHILDBEARING_AGES[0] <= context.age_years < CHILDBEARING_AGES[1]
    ):
        return []
    table = load_table(CHILDBEARING)
    source = row["source"]
    return [
        SafetyWarning(
            check="pregnancy",
            severity=Severity(row["severity"]),
            line=index,
            message_en=(
                f"Female, aged {context.age_years}: {drug.name_en} is {row['en']} "
                f"({short_source(table, source, zh=False)})"
            ),
            message_zh=(
                f"{context.age_years}岁女性：{drug.name_zh}{row['zh']}"
                f"（{short_source(table, source, zh=True)}）"
            ),
            source=citation(table, source),
            key=f"childbearing:{drug.code}",
        )
    ]


# ----- renal and elderly cautions --------------------------------------------------------------


def _beyond_elderly_limits(order: DraftOrder) -> bool:
    """True when the elderly caution applies to this order: always, unless the drug's row
    limits it to a day's dose (Beers: digoxin above 0.125 mg) or a duration (PPIs beyond 8
    weeks) and the order stays within it."""
    drug = order.drug
    if drug.elderly_max_daily is not None:
        unit = drug.adult_dose.unit if drug.adult_dose is not None else "mg"
        dose = convert(order.dose, order.dose_unit, unit)
        if dose is not None and dose * order.frequency.per_day <= drug.elderly_max_daily:
            return False
    if drug.elderly_max_days is not None:
        days = china_rules.supply_days(order)
        if days is not None and days <= drug.elderly_max_days:
            return False
    return True


def _renal_elderly(
    index: int, order: DraftOrder, context: PrescribingContext
) -> list[SafetyWarning]:
    drug = order.drug
    found: list[SafetyWarning] = []
    egfr = context.egfr
    ckd = any(code.startswith(CKD_CODES) for code in context.diagnoses)
    if egfr is not None and drug.egfr_avoid_below is not None and egfr < drug.egfr_avoid_below:
        found.append(
            SafetyWarning(
                check="renal",
                severity=Severity.HIGH,
                line=index,
                message_en=(
                    f"eGFR {egfr:g} ({context.egfr_date or 'date unknown'}): {drug.name_en} is "
                    f"not to be used below {drug.egfr_avoid_below:g}"
                ),
                message_zh=(
                    f"eGFR {egfr:g}（{context.egfr_date or '日期不详'}）：eGFR 低于 "
                    f"{drug.egfr_avoid_below:g} 时禁用{drug.name_zh}"
                ),
                source=_drug_source(drug, "egfr_avoid_below"),
                key=f"renal:avoid:{drug.code}",
            )
        )
    elif drug.renal_caution and ((egfr is not None and egfr < EGFR_REDUCED) or ckd):
        known = f"eGFR {egfr:g}" if egfr is not None else "chronic kidney disease stage 3+"
        known_zh = f"eGFR {egfr:g}" if egfr is not None else "慢性肾脏病3期及以上"
        found.append(
            SafetyWarning(
                check="renal",
                severity=Severity.MODERATE,
                line=index,
                message_en=f"{known}: {drug.name_en}: {drug.renal_caution}",
                message_zh=f"{known_zh}：{drug.name_zh}：{drug.renal_caution}",
                source=_drug_source(drug, "renal_caution", KDIGO_2012),
                key=f"renal:{drug.code}",
            )
        )
    if (
        drug.elderly_caution
        and context.age_years is not None
        and context.age_years >= ELDERLY_AGE
        and _beyond_elderly_limits(order)
    ):
        found.append(
            SafetyWarning(
                check="elderly",
                severity=Severity.MODERATE,
                line=index,
                message_en=f"Age {context.age_years}: {drug.name_en}: {drug.elderly_caution}",
                message_zh=f"{context.age_years}岁：{drug.name_zh}：{drug.elderly_caution}",
                source=_drug_source(
                    drug,
                    "elderly_caution",
                    "" if "Beers" in drug_source(drug, "elderly_caution") else BEERS_2023,
                ),
                key=f"elderly:{drug.code}",
            )
        )
    return found


# ----- all of them ---------------------------------------------------------------------------


def check_basket(basket: Basket, context: PrescribingContext, today: date) -> list[SafetyWarning]:
    """Every warning of the basket, by line, the most severe first within a line."""
    lines = basket.lines
    found: list[SafetyWarning] = []
    if lines and context.records_kept_at is not None:
        # Says more than "not recorded": the records exist, at another clinic.
        found += allergy_check.records_elsewhere(context)
    elif lines:
        found += allergy_check.not_recorded(context)
    for index, order in enumerate(lines):
        found += allergy_check.check_line(index, order, context)
        found += dose_check.check_line(index, order, context, today)
        found += _pregnancy(index, order.drug, context)
        found += _childbearing(index, order.drug, context)
        found += hla_check.check_line(index, order, context)
        found += _renal_elderly(index, order, context)
    found += dose_check.check_combined(lines)
    found += check_basket_interactions(lines, context)
    found += _duplicates(lines, context)
    found += china_rules.check_rules(basket, context.diagnoses)
    unique: dict[str, SafetyWarning] = {}
    for warning in found:
        kept = unique.get(warning.key)
        if kept is None or _ORDER[warning.severity] < _ORDER[kept.severity]:
            unique[warning.key] = warning
    return sorted(unique.values(), key=lambda w: (w.line, _ORDER[w.severity], w.check))
