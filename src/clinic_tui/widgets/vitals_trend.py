"""Vital-sign values and their trends as short text: a sparkline and the value before.

Text, not a chart widget: it fits one table row and copies and pastes. The previous
value is written "was 138/88": an arrow before it read as "rising to 138/88", the
opposite of what it meant.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from clinic_tui.domain.models import VitalSign
from clinic_tui.i18n import tr

SPARK_CHARS = "▁▂▃▄▅▆▇█"

STEADY_WITHIN: dict[str, float] = {
    "85354-9": 5,  # mmHg systolic
    "8867-4": 5,  # beats/min
    "8310-5": 0.3,  # °C
    "9279-1": 2,  # breaths/min
    "59408-5": 0.5,  # % (a 1-point fall in SpO2 already matters)
    "29463-7": 0.5,  # kg
    "8302-2": 1,  # cm
    "39156-5": 0.3,  # kg/m2
}
"""Per LOINC code, a change no larger than this draws flat: measurement noise."""


def sparkline(values: Sequence[float], steady_within: float = 0.0) -> str:
    """One block character per value, scaled between the series' minimum and maximum.

    Needs three values to show a shape; a series that only moves within measurement
    noise draws flat, so the line never exaggerates what the arrow calls steady.
    """
    if len(values) < 3:
        return ""
    low, high = min(values), max(values)
    if high - low <= steady_within:
        return SPARK_CHARS[3] * len(values)
    steps = len(SPARK_CHARS) - 1
    return "".join(SPARK_CHARS[round((value - low) / (high - low) * steps)] for value in values)


def format_number(value: float) -> str:
    """A measurement without a needless '.0' (72.0 -> '72', 36.8 -> '36.8')."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def format_value(vital: VitalSign) -> str:
    """The value as read aloud: '152/96' for a blood pressure, '36.8' otherwise."""
    if vital.second_value is not None:
        return f"{format_number(vital.value)}/{format_number(vital.second_value)}"
    return format_number(vital.value)


def trend_text(series: Sequence[VitalSign]) -> Text:
    """Sparkline and the previous value of a series (oldest first): '▇▅▂▁█ was 138/88'.

    Empty for a single measurement: there is nothing to compare it with.
    """
    if len(series) < 2:
        return Text()
    values = [vital.value for vital in series]
    shape = sparkline(values, STEADY_WITHIN.get(series[-1].loinc, 0.0))
    text = Text(f"{shape} " if shape else "")
    text.append(f"{tr('was')} {format_value(series[-2])}", style="dim")
    return text
