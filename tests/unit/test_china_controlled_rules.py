"""处方管理办法 第二十一条 to 第二十四条 on narcotic and psychotropic supplies (issue #19).

第二十三条: outpatients' narcotic and class-1 psychotropic limits (injection one dose,
controlled/sustained release 7 days, other forms 3 days); class-2 psychotropics 7 days, longer
for chronic disease with the reason stated. 第二十四条: cancer and chronic pain outpatients
3 / 15 / 7 days. 第二十一条: the record their longer supply needs. 第二十二条: otherwise
narcotic injections stay in the clinic.
"""

from __future__ import annotations

from dataclasses import replace

from clinic_tui.prescribing.checks import check_basket
from clinic_tui.prescribing.model import Basket, Product, SafetyWarning, Severity
from tests.unit.rx_check_fixtures import DIAZEPAM, MORPHINE, QD, TODAY, adult, order

SR_TABLET = Product("tablet-sr", 30, "mg", "tablet", "片")
INJECTION = Product("injection", 10, "mg", "ampoule", "支")
NARCOTIC_SLIP = "narcotic-psychotropic-1"
CANCER = ("C34.9",)
"""Malignant neoplasm of bronchus or lung, unspecified."""


def rules(basket: Basket, diagnoses: tuple[str, ...] = ()) -> list[SafetyWarning]:
    found = check_basket(basket, adult(diagnoses=diagnoses), TODAY)
    return [warning for warning in found if warning.check == "rule"]


def sr_morphine(days: int) -> Basket:
    line = replace(order(MORPHINE, 30, QD, days=days), product=SR_TABLET, quantity=days)
    line = replace(line, frequency=replace(line.frequency, per_day=2), quantity=2 * days)
    return Basket(lines=[line], kind=NARCOTIC_SLIP)


def test_sr_morphine_for_an_outpatient_holds_7_days_citing_article_23() -> None:
    assert rules(sr_morphine(7)) == []
    [warning] = rules(sr_morphine(10))
    assert warning.severity is Severity.HIGH
    assert "第二十三条" in warning.source
    assert "7 days" in warning.message_en


def test_a_cancer_pain_patient_may_have_15_days_of_sr_morphine_article_24() -> None:
    found = rules(sr_morphine(14), CANCER)
    assert [w.severity for w in found] == [Severity.INFO]  # the record reminder only
    assert "第二十一条" in found[0].source
    assert "diagnosis certificate" in found[0].message_en
    [over] = [w for w in rules(sr_morphine(16), CANCER) if w.severity is Severity.HIGH]
    assert "第二十四条" in over.source
    assert "15 days" in over.message_en


def test_a_cancer_pain_patient_may_have_7_days_of_immediate_release_morphine() -> None:
    basket = Basket(lines=[order(MORPHINE, 10, QD, days=7)], kind=NARCOTIC_SLIP)
    assert [w.severity for w in rules(basket, ("R52.1",))] == [Severity.INFO]
    assert [w.severity for w in rules(basket)] == [Severity.HIGH]  # 3 days otherwise


def test_a_narcotic_injection_stays_in_the_clinic_unless_a_pain_patient_article_22() -> None:
    line = replace(order(MORPHINE, 10, QD, days=1), product=INJECTION, route="im", quantity=1)
    basket = Basket(lines=[line], kind=NARCOTIC_SLIP)
    [clinic] = rules(basket)
    assert clinic.severity is Severity.MODERATE
    assert "第二十二条" in clinic.source
    assert rules(basket, CANCER) == []
    three = replace(line, duration_days=3, quantity=3)
    longer = rules(Basket(lines=[three], kind=NARCOTIC_SLIP), CANCER)
    assert [(w.severity, "第二十一条" in w.source) for w in longer] == [(Severity.INFO, True)]


def test_class_2_psychotropic_beyond_7_days_needs_the_reason_then_is_allowed() -> None:
    basket = Basket(lines=[order(DIAZEPAM, 5, QD, days=14)], kind="psychotropic-2")
    [blocked] = rules(basket)
    assert blocked.severity is Severity.HIGH
    assert "第二十三条" in blocked.source
    with_reason = replace(basket, long_term_reason="慢性焦虑障碍，病情稳定")
    [allowed] = rules(with_reason)
    assert allowed.severity is Severity.MODERATE  # shown, signing goes on
    assert "慢性焦虑障碍" in allowed.message_zh
    assert allowed.key == blocked.key  # an override given to one survives the other
