"""Ages, waiting times and units in the label language (月 / 分钟 / 次/分 in Chinese)."""

from __future__ import annotations

from datetime import date, datetime

from clinic_tui.domain.ages import age_parts, wait_minutes
from clinic_tui.i18n import add_translations, language, tr

add_translations({"/min": "次/分"})


def age_text(birth_date: date | None, today: date, *, infant_zh: str = "月") -> str:
    """'34y' / '13mo' in English; '34岁' / '13月' in Chinese ('?' when unknown)."""
    parts = age_parts(birth_date, today)
    if parts is None:
        return "?"
    number, unit = parts
    if language() != "zh":
        return f"{number}{unit}"
    return f"{number}{'岁' if unit == 'y' else infant_zh}"


def wait_text(arrived_at: datetime, until: datetime) -> str:
    """'15 min' / '1 h 05' in English; '15分钟' / '1小时05分' in Chinese."""
    minutes = wait_minutes(arrived_at, until)
    hours, rest = divmod(minutes, 60)
    if language() == "zh":
        return f"{minutes}分钟" if not hours else f"{hours}小时{rest:02d}分"
    return f"{minutes} min" if not hours else f"{hours} h {rest:02d}"


def unit_text(unit: str) -> str:
    """A measurement unit as the label language writes it ('/min' is 次/分 in Chinese)."""
    return tr(unit)
