"""The queue's follow-up line names the first few and counts the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clinic_tui import i18n
from clinic_tui.referral.model import FollowUpItem
from clinic_tui.screens.follow_ups import follow_ups_line


def _item(index: int, due: str = "2026-12-01") -> FollowUpItem:
    return FollowUpItem(
        task_id=f"t{index}",
        patient_id=f"p{index}",
        patient_name=f"患者{index}",
        due=due,
        plan=f"计划{index}",
        status="requested",
        referral_task_id=None,
        from_name="清河县人民医院",
    )


@pytest.fixture
def english() -> Iterator[None]:
    before = i18n.language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


def test_three_are_named_and_none_is_left_out(english: None) -> None:
    line = follow_ups_line([_item(1), _item(2), _item(3)], "2026-12-01").plain
    assert line == "Follow-ups due 3: 患者1 计划1 · 患者2 计划2 · 患者3 计划3 [F]"


def test_a_fourth_is_counted_not_dropped(english: None) -> None:
    items = [_item(1), _item(2, due="2026-11-30"), _item(3), _item(4), _item(5)]
    line = follow_ups_line(items, "2026-12-01").plain
    assert line.startswith("Follow-ups due 5 (overdue 1): ")
    assert line.endswith("患者3 计划3 · +2 more [F]")
    assert "患者4" not in line


def test_the_count_in_chinese() -> None:
    before = i18n.language()
    i18n.set_language("zh")
    try:
        line = follow_ups_line([_item(n) for n in range(1, 5)], "2026-12-01").plain
    finally:
        i18n.set_language(before)
    assert line.endswith("· 另1条 [F]")
