"""The referral state machine: every allowed move, and a clear refusal of every other."""

from __future__ import annotations

import pytest

from clinic_tui.domain.referral_workflow import (
    IllegalTransition,
    ReferralAction,
    ReferralStatus,
    allowed_actions,
    next_status,
    status_words,
)
from clinic_tui.i18n import set_language

S = ReferralStatus
A = ReferralAction

ALLOWED = {
    (S.REQUESTED, A.RECEIVE): S.RECEIVED,
    (S.REQUESTED, A.ACCEPT): S.ACCEPTED,
    (S.RECEIVED, A.ACCEPT): S.ACCEPTED,
    (S.REQUESTED, A.DECLINE): S.REJECTED,
    (S.RECEIVED, A.DECLINE): S.REJECTED,
    (S.REQUESTED, A.FORWARD): S.REQUESTED,
    (S.RECEIVED, A.FORWARD): S.REQUESTED,
    (S.ACCEPTED, A.START): S.IN_PROGRESS,
    (S.ACCEPTED, A.COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, A.COMPLETE): S.COMPLETED,
    (S.REQUESTED, A.CANCEL): S.CANCELLED,
    (S.RECEIVED, A.CANCEL): S.CANCELLED,
    (S.ACCEPTED, A.CANCEL): S.CANCELLED,
    **{(state, A.ASK): state for state in (S.REQUESTED, S.RECEIVED, S.ACCEPTED, S.IN_PROGRESS)},
    **{(state, A.ANSWER): state for state in (S.REQUESTED, S.RECEIVED, S.ACCEPTED, S.IN_PROGRESS)},
}


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("action", list(A))
def test_every_pair_is_either_a_listed_move_or_refused(
    state: ReferralStatus, action: ReferralAction
) -> None:
    if (state, action) in ALLOWED:
        assert next_status(state, action) is ALLOWED[(state, action)]
        assert action in allowed_actions(state)
    else:
        with pytest.raises(IllegalTransition):
            next_status(state, action)
        assert action not in allowed_actions(state)


def test_a_declined_referral_cannot_be_accepted_says_so_in_both_languages() -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_status("rejected", "accept")
    assert str(refused.value) == "a declined referral cannot be accepted; 已拒绝的转诊不能接受"
    assert isinstance(refused.value, ValueError)
    assert refused.value.message() == "a declined referral cannot be accepted"
    set_language("zh")
    assert refused.value.message() == "已拒绝的转诊不能接受"


def test_closed_states_allow_nothing() -> None:
    for state in (S.REJECTED, S.COMPLETED, S.CANCELLED):
        assert allowed_actions(state) == []


def test_a_status_this_app_does_not_know_is_refused_with_a_message_not_a_keyerror() -> None:
    with pytest.raises(ValueError, match="on-hold"):
        next_status("on-hold", "accept")
    assert allowed_actions("on-hold") == []
    assert status_words("on-hold") == "on-hold"


def test_status_words_follow_the_glossary() -> None:
    assert status_words("rejected") == "Declined"
    set_language("zh")
    assert [status_words(s) for s in S] == [
        "已申请", "已接收", "已接受", "已拒绝", "进行中", "已完成", "已撤销"
    ]  # fmt: skip


def test_the_referral_word_tables_agree_with_every_other_translation() -> None:
    # The tables register their words in bulk (not as literal dicts the catalogue test reads):
    # a word another screen translates differently would flip with import order ("Note").
    from clinic_tui.domain.referral_workflow import STATUS_WORDS
    from clinic_tui.referral import fhir_shapes as shapes
    from tests.unit.test_translations import _registrations

    pairs = [
        *STATUS_WORDS.values(),
        *((english, chinese) for _, _, english, chinese in shapes.CATEGORIES.values()),
        *shapes.PRIORITIES.values(),
        *shapes.BUSINESS_STATUSES.values(),
        *shapes.DECLINE_REASONS.values(),
        *shapes.MESSAGE_KINDS.values(),
        *((english, chinese) for _, english, chinese in shapes.SPECIALTIES),
    ]
    literal = _registrations()
    clashes = {
        english: (chinese, sorted(literal[english]))
        for english, chinese in pairs
        if english in literal and {c for c, _ in literal[english]} != {chinese}
    }
    assert clashes == {}
