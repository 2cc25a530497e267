"""Ages, waiting times and units in the label language (月龄 / 分钟 / 次/分 in Chinese).

Every screen formats an age or a wait through `age_text` / `wait_text` / `span_text`, so
they read the same everywhere (the formats are in clinic_tui.domain.ages).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from clinic_tui.domain.ages import Lang, format_age, format_span, format_wait
from clinic_tui.i18n import language, tr


def _lang() -> Lang:
    return "zh" if language() == "zh" else "en"


def age_text(birth_date: date | None, today: date) -> str:
    """'34y' / '13mo' / '12d' in English; '34岁' / '13月龄' / '12天' in Chinese ('?' unknown)."""
    return format_age(birth_date, today, _lang())


def wait_text(arrived_at: datetime, until: datetime) -> str:
    """'15 min' / '1h05' / '3d 4h'; '15分钟' / '1小时05分' / '3天4小时' in Chinese."""
    return format_wait(arrived_at, until, _lang())


def span_text(span: timedelta, *, whole_hours: bool = False) -> str:
    """A waiting time already measured, as `wait_text` writes it."""
    return format_span(span, _lang(), whole_hours=whole_hours)


def unit_text(unit: str) -> str:
    """A measurement unit as the label language writes it ('/min' is 次/分 in Chinese)."""
    return tr(unit)
