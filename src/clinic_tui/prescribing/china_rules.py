"""China's prescription rules (处方管理办法 2007; 长期处方管理规范 2021) on a basket.

Day limits per slip type, the reason a longer supply needs, what may never be a long-term
prescription, five medicines per slip, generic names, and the special slips of narcotics
and psychotropics. Limits are data (china_rules.toml) with their sources.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from clinic_tui.prescribing.model import (
    Basket,
    Controlled,
    DraftOrder,
    SafetyWarning,
    Severity,
)
from clinic_tui.prescribing.rule_tables import citation, load_table, short_source
from clinic_tui.prescribing.units import convert

TABLE = "china_rules.toml"
MODIFIED_RELEASE = ("release", "sustained", "controlled", "缓释", "控释", "extended")
NARCOTIC_SLIP = "narcotic-psychotropic-1"
PSYCHOTROPIC_2_SLIP = "psychotropic-2"
SLIP_WORDS = {
    "ordinary": ("ordinary", "普通"),
    "emergency": ("emergency", "急诊"),
    "paediatric": ("paediatric", "儿科"),
    NARCOTIC_SLIP: ("narcotic / class-1 psychotropic", "麻、精一"),
    PSYCHOTROPIC_2_SLIP: ("class-2 psychotropic", "精二"),
}


def supply_days(order: DraftOrder) -> float | None:
    """Days the order covers: its duration, else what its quantity lasts at the full dose."""
    if order.duration_days is not None:
        return float(order.duration_days)
    per_unit = convert(order.product.strength, order.product.strength_unit, order.dose_unit)
    if per_unit is None or order.daily_dose <= 0:
        return None
    return order.quantity * per_unit / order.daily_dose


def _warn(
    table: dict[str, Any],
    line: int,
    severity: Severity,
    en: str,
    zh: str,
    source: str,
    key: str,
    other: str = "",
) -> SafetyWarning:
    return SafetyWarning(
        check="rule",
        severity=severity,
        line=line,
        message_en=f"{en} ({short_source(table, source, zh=False)})",
        message_zh=f"{zh}（{short_source(table, source, zh=True)}）",
        source=citation(table, source),
        other=other,
        key=key,
    )


def _injection(order: DraftOrder) -> bool:
    return "injection" in order.product.form.lower() or order.route in ("iv", "im", "sc")


def _controlled_limit(order: DraftOrder, table: dict[str, Any], pain: bool = False) -> int:
    """第二十三条's days for this form; 第二十四条's for a cancer or chronic pain patient."""
    limits = table["pain_limits" if pain else "controlled_limits"]
    form = order.product.form.lower()
    if _injection(order):
        return int(limits["injection"])
    if any(word in form for word in MODIFIED_RELEASE) or form.endswith(("-sr", "-cr", "-mr")):
        return int(limits["modified_release"])
    return int(limits["other"])


def pain_patient(diagnoses: Sequence[str], table: dict[str, Any] | None = None) -> bool:
    """True when a diagnosis makes the patient one of 第二十四条's (cancer or chronic pain)."""
    codes = tuple((table or load_table(TABLE))["pain_patient"]["codes"])
    return any(code.upper().startswith(codes) for code in diagnoses)


def _slip_kind_warnings(
    index: int, order: DraftOrder, basket: Basket, table: dict[str, Any]
) -> list[SafetyWarning]:
    drug = order.drug
    needed = {
        Controlled.NARCOTIC: NARCOTIC_SLIP,
        Controlled.PSYCHOTROPIC_1: NARCOTIC_SLIP,
        Controlled.PSYCHOTROPIC_2: PSYCHOTROPIC_2_SLIP,
    }.get(drug.controlled)
    if needed is None or basket.kind == needed:
        return []
    en_slip, zh_slip = SLIP_WORDS[needed]
    return [
        _warn(
            table,
            index,
            Severity.HIGH,
            f"{drug.name_en} must be written on the {en_slip} slip, not this one",
            f"{drug.name_zh}须开具在「{zh_slip}」专用处方上",
            "rx-2007",
            f"rule:slip-kind:{drug.code}:{basket.kind}",
        )
    ]


def _long_term_barrier(order: DraftOrder) -> tuple[str, str] | None:
    drug = order.drug
    if drug.controlled is not Controlled.NONE:
        return "a narcotic, psychotropic or toxic drug", "麻醉、精神或医疗用毒性药品"
    if drug.antimicrobial:
        return "an antimicrobial", "抗菌药物"
    if drug.no_long_term:
        return "excluded from long-term prescriptions", "不得开具长期处方的药品"
    return None


def _controlled_warnings(
    index: int, order: DraftOrder, days: float, key: str, pain: bool, table: dict[str, Any]
) -> list[SafetyWarning]:
    """Narcotics and class-1 psychotropics: 第二十三条, or 第二十四条 for pain patients."""
    drug = order.drug
    shown = f"{math.ceil(days - 1e-9)}"
    found: list[SafetyWarning] = []
    if drug.controlled is Controlled.NARCOTIC and _injection(order) and not pain:
        found.append(
            _warn(
                table,
                index,
                Severity.MODERATE,
                f"{drug.name_en} injection: for use within the clinic only (the patient has no "
                "cancer or chronic pain diagnosis)",
                f"{drug.name_zh}注射剂：仅限于本医疗机构内使用（患者无癌痛或慢性疼痛诊断）",
                "rx-2007-art22",
                f"rule:injection-in-clinic:{drug.code}",
            )
        )
    limit = _controlled_limit(order, table, pain)
    if days > limit:
        who_en = " for a cancer or chronic pain patient" if pain else ""
        who_zh = "为癌痛或中、重度慢性疼痛患者开具" if pain else ""
        found.append(
            _warn(
                table,
                index,
                Severity.HIGH,
                f"{drug.name_en}: {shown} days; a narcotic or class-1 psychotropic slip{who_en} "
                f"holds at most {limit} days of this form",
                f"{drug.name_zh}：{shown}天；{who_zh}麻醉药品、第一类精神药品此剂型每张处方"
                f"不得超过{limit}日用量",
                "rx-2007-art24" if pain else "rx-2007-art23",
                key,
            )
        )
    elif pain and days > _controlled_limit(order, table):
        found.append(
            _warn(
                table,
                index,
                Severity.INFO,
                f"{drug.name_en}: {shown} days under the cancer and chronic pain limit: the "
                "record must hold a level-2 hospital's diagnosis certificate, the patient's "
                "identity documents and the signed consent",
                f"{drug.name_zh}：{shown}天，按癌痛、慢性疼痛患者用量开具：病历中应留存二级以上"
                "医院诊断证明、患者身份证明文件及签署的知情同意书",
                "rx-2007-art21",
                f"rule:pain-record:{drug.code}",
            )
        )
    return found


def _duration_warnings(
    index: int, order: DraftOrder, basket: Basket, table: dict[str, Any], pain: bool = False
) -> list[SafetyWarning]:
    days = supply_days(order)
    if days is None:
        return []
    drug = order.drug
    shown = f"{math.ceil(days - 1e-9)}"
    key = f"rule:days:{drug.code}:{shown}:{basket.kind}"
    if drug.controlled in (Controlled.NARCOTIC, Controlled.PSYCHOTROPIC_1):
        return _controlled_warnings(index, order, days, key, pain, table)
    limits = table["day_limits"]
    kind = PSYCHOTROPIC_2_SLIP if drug.controlled is Controlled.PSYCHOTROPIC_2 else basket.kind
    limit = int(limits.get(kind, limits["ordinary"]))
    if days <= limit:
        return []
    en_slip, zh_slip = SLIP_WORDS.get(kind, SLIP_WORDS["ordinary"])
    reason = basket.long_term_reason.strip()
    if drug.controlled is Controlled.PSYCHOTROPIC_2:
        return _psychotropic_2_warnings(index, order, shown, limit, reason, key)
    if not reason:
        return [
            _warn(
                table,
                index,
                Severity.HIGH,
                f"{drug.name_en}: {shown} days; an {en_slip} slip holds at most {limit} days "
                "unless the reason for a longer supply is recorded (chronic disease, old age)",
                f"{drug.name_zh}：{shown}天；{zh_slip}处方一般不得超过{limit}日用量，"
                "延长须注明理由（慢性病、老年病等）",
                "rx-2007-art19",
                key,
            )
        ]
    barrier = _long_term_barrier(order)
    if barrier is not None:
        return [
            _warn(
                table,
                index,
                Severity.HIGH,
                f"{drug.name_en}: {shown} days; it is {barrier[0]} and may not be prescribed "
                f"beyond {limit} days as a long-term prescription",
                f"{drug.name_zh}：{shown}天；属于{barrier[1]}，不得开具长期处方"
                f"（超过{limit}日用量）",
                "long-term-2021",
                key,
            )
        ]
    most = int(table["long_term"]["max_days"])
    if days > most:
        return [
            _warn(
                table,
                index,
                Severity.HIGH,
                f"{drug.name_en}: {shown} days; a long-term prescription covers at most "
                f"{most // 7} weeks",
                f"{drug.name_zh}：{shown}天；长期处方用量最长不超过{most // 7}周",
                "long-term-2021",
                key,
            )
        ]
    return [
        _warn(
            table,
            index,
            Severity.INFO,
            f"{drug.name_en}: {shown} days, beyond the {limit}-day limit, for the recorded "
            f"reason: {reason}",
            f"{drug.name_zh}：{shown}天，超过{limit}日用量，已注明理由：{reason}",
            "rx-2007-art19",
            key,
        )
    ]


def _psychotropic_2_warnings(
    index: int, order: DraftOrder, shown: str, limit: int, reason: str, key: str
) -> list[SafetyWarning]:
    """第二十三条: beyond 7 days only for chronic disease or special cases, reason stated."""
    table = load_table(TABLE)
    name_en, name_zh = order.drug.name_en, order.drug.name_zh
    if not reason:
        return [
            _warn(
                table,
                index,
                Severity.HIGH,
                f"{name_en}: {shown} days; a class-2 psychotropic slip holds at most {limit} "
                "days unless the reason for a longer supply is recorded (chronic disease or "
                "special circumstances)",
                f"{name_zh}：{shown}天；第二类精神药品一般每张处方不得超过{limit}日常用量，"
                "慢性病或特殊情况延长用量须注明理由",
                "rx-2007-art23",
                key,
            )
        ]
    # Allowed with the reason (第二十三条), yet shown: a psychotropic's supply is kept as short
    # as the condition allows, and it is never a long-term prescription (长期处方管理规范).
    return [
        _warn(
            table,
            index,
            Severity.MODERATE,
            f"{name_en}: {shown} days, beyond the {limit}-day limit of a class-2 psychotropic, "
            f"for the recorded reason: {reason}",
            f"{name_zh}：{shown}天，超过第二类精神药品{limit}日常用量，已注明理由：{reason}",
            "rx-2007-art23",
            key,
        )
    ]


def _name_warnings(index: int, order: DraftOrder, table: dict[str, Any]) -> list[SafetyWarning]:
    drug = order.drug
    if not drug.generic:
        return [
            _warn(
                table,
                index,
                Severity.HIGH,
                f"{drug.name_en} is not a generic name: prescribe by the generic (通用名)",
                f"{drug.name_zh or drug.name_en}不是药品通用名：处方应使用通用名",
                "rx-2007-art17",
                f"rule:generic:{drug.code}",
            )
        ]
    if not drug.name_zh.strip():
        return [
            _warn(
                table,
                index,
                Severity.MODERATE,
                f"{drug.name_en} has no Chinese generic name (通用名) in the formulary "
                "for the slip",
                f"处方集中{drug.name_en}缺少中文通用名，处方笺无法打印通用名",
                "rx-2007-art17",
                f"rule:generic-zh:{drug.code}",
            )
        ]
    return []


def check_rules(basket: Basket, diagnoses: Sequence[str] = ()) -> list[SafetyWarning]:
    """Every rule warning of the basket, line by line, then the slip's count of medicines.

    `diagnoses`: the patient's active ICD-10 codes, which say whether 第二十四条's longer
    limits for cancer and chronic pain patients apply.
    """
    table = load_table(TABLE)
    pain = pain_patient(diagnoses, table)
    found: list[SafetyWarning] = []
    for index, order in enumerate(basket.lines):
        found += _slip_kind_warnings(index, order, basket, table)
        found += _duration_warnings(index, order, basket, table, pain)
        found += _name_warnings(index, order, table)
    most = int(table["slip"]["max_drugs"])
    if len(basket.lines) > most:
        found.append(
            _warn(
                table,
                most,
                Severity.HIGH,
                f"{len(basket.lines)} medicines: one slip holds at most {most}; "
                "remove one or write a second slip",
                f"共{len(basket.lines)}种药品：每张处方不得超过{most}种，请删减或另开一张处方",
                "rx-2007-art6",
                f"rule:max-drugs:{len(basket.lines)}",
            )
        )
    return found
