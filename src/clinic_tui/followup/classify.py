"""How a 随访 is classified, when the next one is due and when to refer (pure: no SQL).

The rules are data (control_rules.toml, each row cited): control targets, urgent signs,
the forms' symptom lists and the schedule. The order of the 规范's 分类干预: an urgent sign
refers at once; a new or worse complication refers; an adverse drug reaction, or a value
above its target, is seen again in two weeks, and refers when the previous visit was the
same; otherwise the control is satisfactory and the next routine visit is booked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from clinic_tui.followup.model import (
    Classification,
    Control,
    FollowUpValues,
    FollowUpVisit,
    Programme,
)
from clinic_tui.followup.rules import ControlRules, Target, UrgentSign, control_rules
from clinic_tui.i18n import N_

NOT_MEASURED_BP = N_("Blood pressure not recorded: control cannot be judged")
NOT_MEASURED_GLUCOSE = N_("Fasting glucose not recorded: control cannot be judged")
ADVERSE = N_("Adverse drug reaction")
COMPLICATION = N_("New or worse complication")
CONTROLLED = N_("Controlled: below target, no adverse reaction, no new complication")
REFER_CONSECUTIVE = N_("Second unsatisfactory visit in a row: refer")
REFER_ADVERSE = N_("Adverse reaction again at the next visit: refer")
REFER_COMPLICATION = N_("New or worse complication: refer")
REFER_URGENT = N_("Urgent sign: refer at once")
REPORTED = N_("Values reported by the patient (phone), not measured")

_FIXED_ZH = {
    NOT_MEASURED_BP: "未记录血压：无法判断控制情况",
    NOT_MEASURED_GLUCOSE: "未记录空腹血糖：无法判断控制情况",
    ADVERSE: "药物不良反应",
    COMPLICATION: "新发并发症或原有并发症加重",
    CONTROLLED: "控制满意：达标，无药物不良反应，无新发并发症",
    REFER_CONSECUTIVE: "连续两次控制不满意：建议转诊",
    REFER_ADVERSE: "连续两次出现药物不良反应：建议转诊",
    REFER_COMPLICATION: "新发并发症或原有并发症加重：建议转诊",
    REFER_URGENT: "存在危急情况：紧急转诊",
    REPORTED: "患者自报数值（电话随访），非测量值",
}

CONTROL_ZH = {
    Control.SATISFACTORY: "控制满意",
    Control.UNSATISFACTORY: "控制不满意",
    Control.ADVERSE_REACTION: "不良反应",
    Control.COMPLICATION: "并发症",
}
"""The 规范 form's words for each class (此次随访分类)."""


def reason_translations() -> dict[str, str]:
    """English reason -> Chinese, for every reason `classify` may give (add_translations)."""
    rules = control_rules()
    words = dict(_FIXED_ZH)
    words.update({target.en: target.zh for target in rules.targets})
    words.update({sign.en: sign.zh for sign in rules.urgent})
    words.update({symptom.en: symptom.zh for symptom in rules.symptoms})
    words.update({str(control).capitalize(): zh for control, zh in CONTROL_ZH.items()})
    return words


def symptom_choices(programme: Programme) -> list[tuple[str, str, str]]:
    """(code, English, 中文) of the programme's symptoms: the form's list, then urgent signs.

    The urgent signs a clinician ticks (symptoms, not measured values) come last; ticking one
    classifies the visit as urgent (`is_urgent_symptom`).
    """
    rules = control_rules()
    found = [(s.code, s.en, s.zh) for s in rules.symptoms if s.programme is programme]
    found += [
        (sign.code, sign.en, sign.zh)
        for sign in rules.urgent
        if programme in sign.programmes and not sign.measured
    ]
    return found


def is_urgent_symptom(code: str) -> bool:
    """True when ticking this symptom code is an urgent sign."""
    return any(sign.code == code and not sign.measured for sign in control_rules().urgent)


def target_for(
    programme: Programme,
    programmes: Iterable[Programme],
    age: int | None,
    rules: ControlRules | None = None,
) -> Target:
    """The control target that applies: the first row whose age and programme fit."""
    rules = rules or control_rules()
    enrolled = set(programmes)
    for target in rules.targets:
        if target.programme is not programme:
            continue
        if target.min_age is not None and (age is None or age < target.min_age):
            continue
        if target.unless_programme is not None and target.unless_programme in enrolled:
            continue
        return target
    raise LookupError(f"no control target for {programme}")


def urgent_signs(
    programmes: Iterable[Programme], values: FollowUpValues, rules: ControlRules | None = None
) -> list[UrgentSign]:
    """The urgent signs this visit shows, in the table's order."""
    rules = rules or control_rules()
    enrolled = set(programmes)
    ticked = set(values.symptoms)
    return [
        sign
        for sign in rules.urgent
        if enrolled.intersection(sign.programmes) and _shows(sign, values, ticked)
    ]


def _shows(sign: UrgentSign, values: FollowUpValues, ticked: set[str]) -> bool:
    if not sign.measured:
        return sign.code in ticked
    # "和/或": any one threshold a row names is enough. Spelled out rather than looped over
    # a table of checks: a demo clinic classifies a quarter of a million visits.
    systolic, diastolic, glucose = values.systolic, values.diastolic, values.fasting_glucose
    heart_rate = values.heart_rate
    return (
        (systolic is not None and (at := sign.systolic_at_least) is not None and systolic >= at)
        or (
            diastolic is not None
            and (at := sign.diastolic_at_least) is not None
            and diastolic >= at
        )
        or (glucose is not None and (low := sign.glucose_at_least) is not None and glucose >= low)
        or (glucose is not None and (high := sign.glucose_at_most) is not None and glucose <= high)
        or (
            heart_rate is not None
            and (above := sign.heart_rate_above) is not None
            and heart_rate > above
        )
    )


def uncontrolled(
    programmes: Iterable[Programme],
    values: FollowUpValues,
    age: int | None = None,
    rules: ControlRules | None = None,
) -> list[str]:
    """Why the values miss their targets (empty = controlled); unmeasured values count."""
    rules = rules or control_rules()
    enrolled = tuple(programmes)
    reasons: list[str] = []
    for programme in enrolled:
        target = target_for(programme, enrolled, age, rules)
        if target.systolic_below is not None or target.diastolic_below is not None:
            if values.systolic is None or values.diastolic is None:
                reasons.append(NOT_MEASURED_BP)
            elif (
                target.systolic_below is not None and values.systolic >= target.systolic_below
            ) or (
                target.diastolic_below is not None and values.diastolic >= target.diastolic_below
            ):
                reasons.append(target.en)
        if target.glucose_below is not None:
            if values.fasting_glucose is None:
                reasons.append(NOT_MEASURED_GLUCOSE)
            elif values.fasting_glucose >= target.glucose_below:
                reasons.append(target.en)
    return reasons


def _measured_above_target(
    programmes: Sequence[Programme], values: FollowUpValues, age: int | None, rules: ControlRules
) -> bool:
    """A value was measured and missed its target (an unmeasured one is not counted)."""
    missed = uncontrolled(programmes, values, age, rules)
    return any(reason not in (NOT_MEASURED_BP, NOT_MEASURED_GLUCOSE) for reason in missed)


def _previous_unsatisfactory(
    programmes: Sequence[Programme],
    previous: Sequence[FollowUpVisit],
    age: int | None,
    rules: ControlRules,
) -> bool:
    """The visits before this one complete the run of unsatisfactory visits that refers."""
    needed = rules.schedule.consecutive_to_refer - 1
    if needed < 1 or len(previous) < needed:
        return needed < 1
    return all(
        visit.control is Control.UNSATISFACTORY
        or _measured_above_target(programmes, visit.values, age, rules)
        for visit in previous[:needed]
    )


def classify(
    programmes: Sequence[Programme],
    values: FollowUpValues,
    previous: Sequence[FollowUpVisit],
    today: date,
    *,
    age: int | None = None,
) -> Classification:
    """Classify a visit as the 规范 does; `previous` is this patient's visits, newest first.

    `age` (years) picks an age-specific target where the table has one (80 and over).
    """
    rules = control_rules()
    programmes = tuple(dict.fromkeys(programmes))
    if not programmes:
        raise ValueError("a follow-up belongs to at least one programme")
    schedule = rules.schedule
    reasons: list[str] = []
    refer_reasons: list[str] = []

    signs = urgent_signs(programmes, values, rules)
    missed = uncontrolled(programmes, values, age, rules)
    # _measured_above_target of these values, from the reasons just found.
    measured_miss = any(reason not in (NOT_MEASURED_BP, NOT_MEASURED_GLUCOSE) for reason in missed)

    if values.complication.strip():
        control = Control.COMPLICATION
        reasons.append(COMPLICATION)
        refer_reasons.append(REFER_COMPLICATION)
    elif values.adverse_reaction.strip():
        control = Control.ADVERSE_REACTION
        reasons.append(ADVERSE)
        if previous and previous[0].control is Control.ADVERSE_REACTION:
            refer_reasons.append(REFER_ADVERSE)
    elif missed:
        control = Control.UNSATISFACTORY
    else:
        control = Control.SATISFACTORY
        reasons.append(CONTROLLED)
    reasons.extend(missed)
    if (
        measured_miss
        and control is not Control.COMPLICATION
        and _previous_unsatisfactory(programmes, previous, age, rules)
    ):
        refer_reasons.append(REFER_CONSECUTIVE)
    if signs:
        reasons.extend(sign.en for sign in signs)
        refer_reasons.insert(0, REFER_URGENT)
    if values.reported:
        reasons.append(REPORTED)

    refer = bool(refer_reasons)
    if refer:
        days = schedule.referral_days
    elif control is Control.SATISFACTORY:
        days = schedule.satisfactory_days
    else:
        days = schedule.unsatisfactory_days
    return Classification(
        control=control,
        reasons=tuple(dict.fromkeys(reasons)),
        next_due=today + timedelta(days=days),
        refer=refer,
        refer_reasons=tuple(refer_reasons),
        urgent=bool(signs),
    )


def values_line(values: FollowUpValues, zh: bool = False) -> str:
    """The measured values in one line ('BP 168/98 mmHg, HR 80/min, FPG 7.8 mmol/L')."""
    parts: list[str] = []
    if values.systolic is not None and values.diastolic is not None:
        parts.append(f"{'血压' if zh else 'BP'} {values.systolic}/{values.diastolic} mmHg")
    if values.heart_rate is not None:
        parts.append(f"心率 {values.heart_rate} 次/分" if zh else f"HR {values.heart_rate}/min")
    if values.fasting_glucose is not None:
        parts.append(f"{'空腹血糖' if zh else 'FPG'} {values.fasting_glucose:g} mmol/L")
    if values.weight_kg is not None:
        parts.append(f"{'体重' if zh else 'weight'} {values.weight_kg:g} kg")
    text = ("，" if zh else ", ").join(parts) or ("未测量" if zh else "not measured")
    if values.reported:
        text += "（患者自报）" if zh else " (reported by the patient)"
    return text


def referral_summary_lines(
    programmes: Sequence[Programme],
    values: FollowUpValues,
    classification: Classification,
    previous: Sequence[FollowUpVisit],
    *,
    zh: bool = False,
) -> list[str]:
    """The lines a proposed referral's summary starts with: values, control, why, history."""
    words = reason_translations() if zh else {}
    programme_words = {Programme.HYPERTENSION: "高血压", Programme.DIABETES: "2型糖尿病"}
    names = ("、" if zh else ", ").join(
        programme_words[p] if zh else p.value for p in dict.fromkeys(programmes)
    )
    control = CONTROL_ZH[classification.control] if zh else str(classification.control)
    # Written in the reader's language, punctuation too (full-width colon and brackets).
    colon = "：" if zh else ": "
    lines = [
        f"慢病随访（{names}）：{values_line(values, zh)}"
        if zh
        else f"Chronic follow-up ({names}): {values_line(values, zh)}",
        f"{'此次随访分类' if zh else 'Control'}{colon}{control}",
    ]
    why = [words.get(reason, reason) for reason in classification.refer_reasons]
    why += [words.get(reason, reason) for reason in classification.reasons]
    if why:
        lines.append(f"{'转诊原因' if zh else 'Why'}{colon}" + ("；" if zh else "; ").join(why))
    if values.symptoms:
        labels = {code: (zh_word if zh else en) for code, en, zh_word in _all_choices()}
        named = [labels.get(code, code) for code in values.symptoms]
        lines.append(f"{'症状' if zh else 'Symptoms'}{colon}" + ("、" if zh else ", ").join(named))
    if values.adverse_reaction.strip():
        lines.append(
            f"{'药物不良反应' if zh else N_('Adverse reaction')}{colon}{values.adverse_reaction}"
        )
    if values.complication.strip():
        lines.append(f"{'并发症' if zh else N_('Complication')}{colon}{values.complication}")
    for visit in previous[:2]:
        past = CONTROL_ZH[visit.control] if zh else str(visit.control)
        day = visit.when.date().isoformat()
        lines.append(
            f"上次随访 {day}：{values_line(visit.values, zh)}（{past}）"
            if zh
            else f"Previous {day}: {values_line(visit.values, zh)} ({past})"
        )
    return lines


def _all_choices() -> list[tuple[str, str, str]]:
    return [choice for programme in Programme for choice in symptom_choices(programme)]
