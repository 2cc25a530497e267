"""The 随访 classification vignettes (规范 分类干预 and 随访评估 urgent signs, control_rules.toml):
each builds the visit it proves and would fail if its rule broke."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from clinic_tui.domain.table_schema import TableSchemaError
from clinic_tui.followup.classify import (
    ADVERSE,
    REFER_ADVERSE,
    REFER_CONSECUTIVE,
    REFER_URGENT,
    classify,
    is_urgent_symptom,
    reason_translations,
    referral_summary_lines,
    symptom_choices,
)
from clinic_tui.followup.model import (
    Classification,
    Control,
    FollowUpValues,
    FollowUpVisit,
    Programme,
    VisitMode,
)
from clinic_tui.followup.rules import TABLE_NAME, control_rules, parse_rules

TODAY = date(2026, 12, 7)
HT = (Programme.HYPERTENSION,)
DM = (Programme.DIABETES,)
BOTH = (Programme.HYPERTENSION, Programme.DIABETES)


def visit(values: FollowUpValues, control: Control, days_ago: int = 14) -> FollowUpVisit:
    """A recorded visit `days_ago` days before TODAY."""
    when = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time())
    return FollowUpVisit(
        id=f"enc-{days_ago}",
        patient_id="p1",
        programmes=HT,
        mode=VisitMode.CLINIC,
        when=when,
        values=values,
        control=control,
    )


def test_controlled_visit_is_satisfactory_and_seen_again_in_three_months() -> None:
    result = classify(HT, FollowUpValues(systolic=132, diastolic=84, heart_rate=72), [], TODAY)
    assert result.control is Control.SATISFACTORY
    assert result.next_due == TODAY + timedelta(days=90)
    assert not result.refer
    assert not result.urgent


def test_168_over_98_is_unsatisfactory_and_seen_again_in_two_weeks() -> None:
    result = classify(HT, FollowUpValues(systolic=168, diastolic=98), [], TODAY)
    assert result.control is Control.UNSATISFACTORY
    assert result.next_due == TODAY + timedelta(days=14)
    assert not result.refer
    assert "Blood pressure not below 140/90 mmHg" in result.reasons


@pytest.mark.parametrize(("systolic", "diastolic"), [(140, 80), (130, 90)])
def test_the_target_is_strictly_below_140_over_90(systolic: int, diastolic: int) -> None:
    values = FollowUpValues(systolic=systolic, diastolic=diastolic)
    assert classify(HT, values, [], TODAY).control is Control.UNSATISFACTORY


def test_second_unsatisfactory_visit_in_a_row_refers() -> None:
    first = visit(FollowUpValues(systolic=166, diastolic=96), Control.UNSATISFACTORY)
    result = classify(HT, FollowUpValues(systolic=162, diastolic=94), [first], TODAY)
    assert result.control is Control.UNSATISFACTORY
    assert result.refer
    assert REFER_CONSECUTIVE in result.refer_reasons
    assert not result.urgent
    # 规范: follow the referral up within two weeks.
    assert result.next_due == TODAY + timedelta(days=14)


def test_unsatisfactory_after_a_satisfactory_visit_does_not_refer() -> None:
    earlier = visit(FollowUpValues(systolic=130, diastolic=80), Control.SATISFACTORY)
    result = classify(HT, FollowUpValues(systolic=162, diastolic=94), [earlier], TODAY)
    assert not result.refer


def test_182_over_96_is_an_urgent_referral() -> None:
    result = classify(HT, FollowUpValues(systolic=182, diastolic=96), [], TODAY)
    assert result.urgent
    assert result.refer
    assert result.refer_reasons[0] == REFER_URGENT
    assert "Systolic ≥ 180 and/or diastolic ≥ 110 mmHg" in result.reasons


def test_diastolic_110_alone_is_urgent() -> None:
    assert classify(HT, FollowUpValues(systolic=150, diastolic=110), [], TODAY).urgent


def test_glucose_17_2_is_urgent() -> None:
    result = classify(DM, FollowUpValues(fasting_glucose=17.2), [], TODAY)
    assert result.urgent
    assert "Glucose ≥ 16.7 mmol/L" in result.reasons


def test_glucose_3_5_is_urgent() -> None:
    result = classify(DM, FollowUpValues(fasting_glucose=3.5), [], TODAY)
    assert result.urgent
    assert "Glucose ≤ 3.9 mmol/L" in result.reasons


def test_glucose_between_the_urgent_limits_is_not_urgent() -> None:
    result = classify(DM, FollowUpValues(fasting_glucose=6.2), [], TODAY)
    assert not result.urgent
    assert result.control is Control.SATISFACTORY
    assert classify(DM, FollowUpValues(fasting_glucose=7.0), [], TODAY).control is (
        Control.UNSATISFACTORY
    )


def test_heart_rate_over_100_is_urgent_for_diabetes_only() -> None:
    """The 规范 lists 心动过速 among the diabetes urgent signs, not the hypertension ones."""
    values = FollowUpValues(systolic=130, diastolic=80, heart_rate=110, fasting_glucose=6.0)
    assert classify(DM, values, [], TODAY).urgent
    assert not classify(HT, values, [], TODAY).urgent


def test_adverse_reaction_is_its_own_class() -> None:
    values = FollowUpValues(systolic=128, diastolic=82, adverse_reaction="dry cough")
    result = classify(HT, values, [], TODAY)
    assert result.control is Control.ADVERSE_REACTION
    assert ADVERSE in result.reasons
    assert result.next_due == TODAY + timedelta(days=14)
    assert not result.refer


def test_adverse_reaction_twice_in_a_row_refers() -> None:
    values = FollowUpValues(systolic=128, diastolic=82, adverse_reaction="ankle swelling")
    earlier = visit(values, Control.ADVERSE_REACTION)
    result = classify(HT, values, [earlier], TODAY)
    assert REFER_ADVERSE in result.refer_reasons


def test_new_complication_refers() -> None:
    values = FollowUpValues(systolic=128, diastolic=82, complication="angina on exertion")
    result = classify(HT, values, [], TODAY)
    assert result.control is Control.COMPLICATION
    assert result.refer


def test_ticked_urgent_symptom_refers_at_once() -> None:
    codes = [code for code, _en, _zh in symptom_choices(Programme.HYPERTENSION)]
    assert "u-ht-orthopnoea" in codes
    assert is_urgent_symptom("u-ht-orthopnoea")
    values = FollowUpValues(systolic=150, diastolic=92, symptoms=("u-ht-orthopnoea",))
    assert classify(HT, values, [], TODAY).urgent


def test_routine_form_symptom_does_not_refer() -> None:
    assert not is_urgent_symptom("ht-headache-dizziness")
    values = FollowUpValues(systolic=130, diastolic=80, symptoms=("ht-headache-dizziness",))
    result = classify(HT, values, [], TODAY)
    assert result.control is Control.SATISFACTORY
    assert not result.refer


def test_both_programmes_need_both_targets() -> None:
    values = FollowUpValues(systolic=130, diastolic=80, fasting_glucose=8.1)
    result = classify(BOTH, values, [], TODAY)
    assert result.control is Control.UNSATISFACTORY
    assert "Fasting glucose not below 7.0 mmol/L" in result.reasons


def test_unmeasured_blood_pressure_is_not_satisfactory() -> None:
    result = classify(HT, FollowUpValues(), [], TODAY)
    assert result.control is Control.UNSATISFACTORY
    assert not result.refer


def test_80_and_over_without_diabetes_uses_150_over_90() -> None:
    values = FollowUpValues(systolic=146, diastolic=84)
    assert classify(HT, values, [], TODAY, age=82).control is Control.SATISFACTORY
    assert classify(HT, values, [], TODAY, age=70).control is Control.UNSATISFACTORY
    with_glucose = FollowUpValues(systolic=146, diastolic=84, fasting_glucose=6.0)
    assert classify(BOTH, with_glucose, [], TODAY, age=82).control is Control.UNSATISFACTORY


def test_symptom_lists_follow_the_forms() -> None:
    ht = [zh for _c, _en, zh in symptom_choices(Programme.HYPERTENSION)]
    dm = [zh for _c, _en, zh in symptom_choices(Programme.DIABETES)]
    assert ht[:8] == [
        "头痛头晕",
        "恶心呕吐",
        "眼花耳鸣",
        "呼吸困难",
        "心悸胸闷",
        "鼻衄出血不止",
        "四肢发麻",
        "下肢水肿",
    ]
    assert dm[:8] == [
        "多饮",
        "多食",
        "多尿",
        "视力模糊",
        "感染",
        "手脚麻木",
        "下肢浮肿",
        "体重明显下降",
    ]


def test_every_reason_has_chinese_words() -> None:
    words = reason_translations()
    first = visit(FollowUpValues(systolic=166, diastolic=96), Control.UNSATISFACTORY)
    result: Classification = classify(
        BOTH, FollowUpValues(systolic=186, diastolic=96, fasting_glucose=3.1), [first], TODAY
    )
    for reason in (*result.reasons, *result.refer_reasons):
        assert reason in words


def test_referral_summary_carries_the_values_and_why() -> None:
    first = visit(FollowUpValues(systolic=166, diastolic=96), Control.UNSATISFACTORY)
    values = FollowUpValues(systolic=162, diastolic=94, heart_rate=78)
    result = classify(HT, values, [first], TODAY)
    lines = referral_summary_lines(HT, values, result, [first])
    assert "BP 162/94 mmHg" in lines[0]
    assert any(REFER_CONSECUTIVE in line for line in lines)
    assert any("166/96" in line for line in lines)
    zh = referral_summary_lines(HT, values, result, [first], zh=True)
    assert "血压 162/94 mmHg" in zh[0]
    assert any("连续两次控制不满意" in line for line in zh)
    # Chinese punctuation and units: a Chinese summary reads as one language.
    assert all(": " not in line and "/min" not in line for line in zh), zh
    assert zh[0].startswith("慢病随访（高血压）：")


def test_every_row_is_cited_and_states_how_it_was_read() -> None:
    rules = control_rules()
    for row in (*rules.targets, *rules.urgent, *rules.symptoms):
        for key in row.source:
            assert rules.sources[key]["cite"]
            assert rules.sources[key]["read"]


def test_an_unknown_key_or_source_is_refused() -> None:
    from importlib import resources

    text = resources.files("clinic_tui.followup").joinpath(TABLE_NAME).read_text("utf-8")
    with pytest.raises(TableSchemaError, match="glucose_belwo"):
        parse_rules(text.replace("glucose_below = 7.0", "glucose_belwo = 7.0"))
    with pytest.raises(TableSchemaError, match="unknown source"):
        parse_rules(text.replace('source = "dm-form"', 'source = "dm-from"', 1))
