"""Age and waiting time, as clinicians read them."""

from __future__ import annotations

from datetime import date, datetime, timedelta


def age_in_years(birth_date: date | None, today: date) -> int | None:
    """Completed years of age on `today`; None when the birth date is unknown."""
    if birth_date is None:
        return None
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return max(years, 0)


def format_age(birth_date: date | None, today: date) -> str:
    """Compact age: '34y', '7m' for infants, '?' when unknown."""
    if birth_date is None:
        return "?"
    years = age_in_years(birth_date, today)
    if years is not None and years >= 2:
        return f"{years}y"
    months = (today.year - birth_date.year) * 12 + today.month - birth_date.month
    if today.day < birth_date.day:
        months -= 1
    return f"{max(months, 0)}m"


def format_wait(arrived_at: datetime, now: datetime) -> str:
    """Waiting time as 'H:MM' (or 'MMm' under an hour); never negative."""
    elapsed = max(now - arrived_at, timedelta(0))
    minutes = int(elapsed.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    return f"{minutes // 60}h{minutes % 60:02d}"
