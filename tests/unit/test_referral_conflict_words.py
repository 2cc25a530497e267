"""Two experts' clashing actions on one referral reach the conflicts screen in words."""

from __future__ import annotations

from clinic_tui.i18n import set_language
from clinic_tui.screens.conflict_words import field_label, record_words, value_words


def test_a_task_conflict_names_the_referral_its_fields_and_states_in_words() -> None:
    assert record_words("Task") == "Referral"
    assert field_label("Task", "status") == "Status"
    assert field_label("Task", "businessStatus") == "Progress"
    assert field_label("Task", "statusReason") == "Reason for the state"
    assert (
        value_words("Task", "status", "rejected"),
        value_words("Task", "status", "accepted"),
    ) == (
        "Declined",
        "Accepted",
    )
    set_language("zh")
    assert record_words("Task") == "转诊"
    assert value_words("Task", "status", "rejected") == "已拒绝"
