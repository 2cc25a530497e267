"""Age and waiting time, as clinicians read them.

Months of age and minutes of waiting never share a unit letter: an infant is
'13mo', a wait is '15 min' (the screens write 月 / 分钟 in Chinese).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

AgeUnit = Literal["y", "mo"]


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
    """(number, unit): years from two years of age, months below; None when unknown."""
    if birth_date is None:
        return None
    years = age_in_years(birth_date, today)
    if years is not None and years >= 2:
        return years, "y"
    return age_in_months(birth_date, today), "mo"


def format_age(birth_date: date | None, today: date) -> str:
    """Compact age: '34y', '13mo' for infants, '?' when unknown."""
    parts = age_parts(birth_date, today)
    if parts is None:
        return "?"
    number, unit = parts
    return f"{number}{unit}"


def wait_minutes(arrived_at: datetime, now: datetime) -> int:
    """Whole minutes waited from `arrived_at` to `now`; never negative."""
    elapsed = max(now - arrived_at, timedelta(0))
    return int(elapsed.total_seconds() // 60)


def format_wait(arrived_at: datetime, now: datetime) -> str:
    """Waiting time: '15 min' under an hour, '1 h 05' from an hour on."""
    minutes = wait_minutes(arrived_at, now)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d}"
