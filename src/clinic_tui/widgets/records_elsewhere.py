"""The line atop a referred patient's chart: its records are kept at another clinic.

A hospital's cache holds the Patient of a referral but not that patient's records
(they stay with the clinic that manages the patient), so the chart says so before
anything else, in words and with a text marker, never by colour alone.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from clinic_tui.domain.models import Chart
from clinic_tui.i18n import N_, tr
from clinic_tui.widgets.data_text import name_text

MARKER = ">>"
"""Plain-text marker of the line, visible in any terminal and colour scheme."""


def records_elsewhere_text(chart: Chart) -> Text | None:
    """The line for `chart`, or None when its records are this clinic's own."""
    clinic = chart.records_kept_at
    if clinic is None:
        return None
    held_here = chart.problems or chart.allergies or chart.medications or chart.vitals
    if held_here:
        words = N_(
            "Records kept at {clinic} — only the referral and what was recorded here are "
            "held; the referral summary is below"
        )
    else:
        words = N_(
            "Records kept at {clinic} — only the referral is held here; its summary is below"
        )
    return Text.assemble(
        (f"{MARKER} ", "bold"), (tr(words).format(clinic=name_text(clinic).plain), "bold")
    )


class RecordsElsewhere(Static):
    """Hidden unless the chart's records are kept at another clinic; then says where."""

    DEFAULT_CSS = """
    RecordsElsewhere {
        height: auto;
        padding: 0 1;
        background: $primary 25%;
        text-style: bold;
    }
    """

    def show(self, chart: Chart) -> None:
        """Say where `chart`'s records are kept, or hide."""
        text = records_elsewhere_text(chart)
        self.display = text is not None
        self.update(text or "")
