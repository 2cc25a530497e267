"""Age and waiting time, as clinicians read them: the one formatting every screen uses.

Ages: '34y' from two years, '13mo' from a month, '12d' below a month (never '0mo');
in Chinese '34岁', '13月龄', '12天'. Waits: '15 min' under an hour, '1h05' under a day,
'3d 4h' from a day; in Chinese '15分钟', '1小时05分', '3天4小时'. Months of age and
minutes of waiting never share a unit letter.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

AgeUnit = Literal["y", "mo", "d"]
Lang = Literal["en", "zh"]

_AGE_UNIT_ZH: dict[AgeUnit, str] = {"y": "岁", "mo": "月龄", "d": "天"}
DAYS_FROM_HOURS = 24
"""Waits this long or longer are counted in days (and hours), not hours and minutes."""


def age_in_years(birth_date: date | None, today: date) -> int | None:
    """Completed years of age on `today`; None when the birth date is unknown."""
    if birth_date is None:
        return None
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return max(years, 0)


def age_in_months(birth_date: date, today: date) -> int:
    """Completed months of age on `today` (never negative)."""
    months = (today.year - birth_date.year) * 12 + today.month - birth_date.month
    if today.day < birth_date.day:
        months -= 1
    return max(months, 0)


def age_parts(birth_date: date | None, today: date) -> tuple[int, AgeUnit] | None:
    """(number, unit): years from two years, months from one month, days below; None unknown."""
    if birth_date is None:
        return None
    years = age_in_years(birth_date, today)
    if years is not None and years >= 2:
        return years, "y"
    months = age_in_months(birth_date, today)
    if months >= 1:
        return months, "mo"
    return max((today - birth_date).days, 0), "d"


def format_age(birth_date: date | None, today: date, lang: Lang = "en") -> str:
    """Compact age: '34y', '13mo', '12d' ('34岁', '13月龄', '12天'); '?' when unknown."""
    parts = age_parts(birth_date, today)
    if parts is None:
        return "?"
    number, unit = parts
    return f"{number}{_AGE_UNIT_ZH[unit] if lang == 'zh' else unit}"


def wait_minutes(arrived_at: datetime, now: datetime) -> int:
    """Whole minutes waited from `arrived_at` to `now`; never negative."""
    elapsed = max(now - arrived_at, timedelta(0))
    return int(elapsed.total_seconds() // 60)


def format_span(span: timedelta, lang: Lang = "en", *, whole_hours: bool = False) -> str:
    """A waiting time: '15 min', '1h05', '3d 4h' ('15分钟', '1小时05分', '3天4小时').

    `whole_hours` gives the coarse figure, such as how far past a limit something is:
    whole hours under a day ('3h'), whole days from a day ('3d').
    """
    minutes = int(max(span, timedelta(0)).total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    zh = lang == "zh"
    if hours >= DAYS_FROM_HOURS:
        days, hours = divmod(hours, 24)
        if whole_hours:
            hours = 0
        if zh:
            return f"{days}天{hours}小时" if hours else f"{days}天"
        return f"{days}d {hours}h" if hours else f"{days}d"
    if not hours:
        return f"{minutes}分钟" if zh else f"{minutes} min"
    if whole_hours:
        return f"{hours}小时" if zh else f"{hours}h"
    return f"{hours}小时{rest:02d}分" if zh else f"{hours}h{rest:02d}"


def format_wait(arrived_at: datetime, now: datetime, lang: Lang = "en") -> str:
    """How long someone has waited from `arrived_at` to `now` (see `format_span`)."""
    return format_span(now - arrived_at, lang)
