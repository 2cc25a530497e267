"""Overrides: a coded reason always, words for 'other', and they follow the warning's key."""

from __future__ import annotations

from clinic_tui.prescribing.checks import check_basket
from clinic_tui.prescribing.model import (
    Basket,
    Override,
    OverrideReason,
    SafetyWarning,
    Severity,
)
from clinic_tui.prescribing.overrides import (
    OTHER,
    REASONS,
    SYSTEM,
    make_override,
    needs_override,
    unresolved,
    validate,
)
from tests.unit.rx_check_fixtures import (
    IBUPROFEN,
    QD,
    SIMVASTATIN,
    TODAY,
    WARFARIN,
    adult,
    order,
    taking,
)


def _warnings() -> list[SafetyWarning]:
    basket = Basket(lines=[order(IBUPROFEN, 400)])
    return check_basket(basket, adult(medications=taking(WARFARIN)), TODAY)


def test_value_set_has_codes_and_both_languages() -> None:
    assert SYSTEM == "urn:clinic-tui:override-reason"
    codes = [reason.code for reason in REASONS]
    assert len(set(codes)) == len(codes)
    assert "other" in codes
    assert "not-true-allergy" in codes
    for reason in REASONS:
        assert reason.text_en
        assert reason.text_zh


def test_only_high_warnings_need_an_override() -> None:
    found = _warnings()
    assert needs_override(found) == [w for w in found if w.severity is Severity.HIGH]
    assert len(needs_override(found)) == 1


def test_a_coded_override_resolves_its_warning() -> None:
    found = _warnings()
    [warning] = needs_override(found)
    assert unresolved(found, {}) == [warning]
    given = make_override(warning, "monitoring-arranged", by="Practitioner/d1")
    assert validate(given) is None
    assert unresolved(found, {warning.key: given}) == []


def test_other_needs_words_and_says_so_in_both_languages() -> None:
    [warning] = needs_override(_warnings())
    bare = make_override(warning, OTHER.code, "   ")
    message = validate(bare)
    assert message is not None
    assert "Other" in message[0]
    assert "其他" in message[1]
    assert unresolved(_warnings(), {warning.key: bare}) == [warning]
    assert validate(make_override(warning, OTHER.code, "家属坚持，已告知风险")) is None


def test_an_unknown_reason_code_is_refused() -> None:
    [warning] = needs_override(_warnings())
    made = Override(warning.key, OverrideReason("because", "because", "因为"), "")
    message = validate(made)
    assert message is not None
    assert "listed reasons" in message[0]


def test_an_override_survives_rechecking_but_not_a_different_finding() -> None:
    [warning] = needs_override(_warnings())
    overrides = {warning.key: make_override(warning, "benefit-outweighs-risk")}
    # Checked again with a second line added: the same finding keeps its override ...
    again = check_basket(
        Basket(lines=[order(SIMVASTATIN, 20, QD), order(IBUPROFEN, 400)]),
        adult(medications=taking(WARFARIN)),
        TODAY,
    )
    assert [w.key for w in needs_override(again)] == [warning.key]
    assert unresolved(again, overrides) == []
    # ... while a dose above the maximum is a new finding that needs its own.
    heavier = check_basket(
        Basket(lines=[order(IBUPROFEN, 1000, QD)]), adult(medications=taking(WARFARIN)), TODAY
    )
    assert [w.check for w in unresolved(heavier, overrides)] == ["dose"]
