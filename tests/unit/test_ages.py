"""The one formatting of ages and waits every screen uses, in English and Chinese."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from clinic_tui.domain.ages import format_age, format_span, format_wait

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("birth", "english", "chinese"),
    [
        (date(2026, 11, 24), "0d", "0天"),
        (date(2026, 11, 12), "12d", "12天"),  # under a month: days, never '0mo'
        (date(2026, 10, 24), "1mo", "1月龄"),
        (date(2025, 10, 1), "13mo", "13月龄"),
        (date(2024, 11, 25), "23mo", "23月龄"),
        (date(2024, 11, 24), "2y", "2岁"),
        (date(1958, 3, 14), "68y", "68岁"),
        (None, "?", "?"),
    ],
)
def test_an_age(birth: date | None, english: str, chinese: str) -> None:
    assert format_age(birth, TODAY) == english
    assert format_age(birth, TODAY, "zh") == chinese


@pytest.mark.parametrize(
    ("minutes", "english", "chinese", "coarse"),
    [
        (0, "0 min", "0分钟", "0 min"),
        (38, "38 min", "38分钟", "38 min"),
        (60, "1h00", "1小时00分", "1h"),
        (9 * 60 + 36, "9h36", "9小时36分", "9h"),
        (24 * 60 + 6, "1d", "1天", "1d"),
        (2 * 24 * 60 + 22 * 60 + 5, "2d 22h", "2天22小时", "2d"),
    ],
)
def test_a_wait(minutes: int, english: str, chinese: str, coarse: str) -> None:
    span = timedelta(minutes=minutes)
    assert format_span(span) == english
    assert format_span(span, "zh") == chinese
    assert format_span(span, whole_hours=True) == coarse


def test_a_wait_from_arrival_is_never_negative() -> None:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    assert format_wait(now + timedelta(minutes=5), now) == "0 min"  # a clock a little behind
    assert format_wait(now - timedelta(minutes=75), now, "zh") == "1小时15分"
