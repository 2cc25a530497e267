"""Trend text and field wrapping used by the chart: pure functions, no app needed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from rich.console import Console
from rich.text import Text

from clinic_tui.domain.models import VitalSign
from clinic_tui.widgets.flow_text import FlowText
from clinic_tui.widgets.vitals_trend import (
    format_value,
    sparkline,
    trend_text,
)

CST = timezone(timedelta(hours=8))


def _series(code: str, values: list[float]) -> list[VitalSign]:
    start = datetime(2026, 1, 1, tzinfo=CST)
    return [
        VitalSign(code, "x", value, "u", start + timedelta(days=index))
        for index, value in enumerate(values)
    ]


def test_sparkline_scales_between_minimum_and_maximum() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "▄▄▄"
    assert sparkline([36.8, 37.0, 36.9], steady_within=0.3) == "▄▄▄"
    assert sparkline([5, 9]) == ""


def test_trend_text_says_the_previous_value_as_was() -> None:
    # An arrow before the previous value ("↑ 125/79") read as "rising to 125/79".
    assert trend_text(_series("8310-5", [36.8, 37.0])).plain == "was 36.8"
    assert trend_text(_series("59408-5", [98, 97, 96])).plain == "█▅▁ was 97"
    assert trend_text(_series("8310-5", [36.8, 37.0, 36.9])).plain == "▄▄▄ was 37"
    assert trend_text(_series("8867-4", [80])).plain == ""


def test_blood_pressure_reads_systolic_over_diastolic_without_decimals() -> None:
    vital = VitalSign("85354-9", "Blood pressure", 152.0, "mmHg", datetime.now(CST), 96.0)
    assert format_value(vital) == "152/96"
    assert format_value(VitalSign("8310-5", "T", 36.8, "°C", datetime.now(CST))) == "36.8"


def _render(flow: FlowText, width: int) -> list[str]:
    console = Console(width=width, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(flow)
    return capture.get().rstrip("\n").split("\n")


def test_flow_text_wraps_between_fields_counting_wide_characters() -> None:
    flow = FlowText([Text("张伟  男  68岁"), Text("电话 13800138000"), Text("身份证号 X")])
    # "张伟  男  68岁" is 14 cells, "电话 13800138000" 16: with the gap, 32.
    assert _render(flow, 32) == ["张伟  男  68岁  电话 13800138000", "身份证号 X"]
    assert _render(flow, 31) == ["张伟  男  68岁", "电话 13800138000  身份证号 X"]
