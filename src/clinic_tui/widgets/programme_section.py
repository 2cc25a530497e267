"""The chart's chronic programmes section: each enrolment, since when, next due, last control.

Hidden while the patient is in no programme and never was. The screen hands it what the
registry read (ProgrammeLine values); it reads nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.console import RenderableType
from rich.text import Text
from textual.widgets import Static

from clinic_tui.domain.models import Chart
from clinic_tui.followup.model import Control, Enrolment
from clinic_tui.i18n import N_, tr
from clinic_tui.widgets.chart_sections import ChartSection
from clinic_tui.widgets.followup_words import control_word, leave_word, programme_word


@dataclass(frozen=True)
class ProgrammeLine:
    """One enrolment as the chart shows it."""

    enrolment: Enrolment
    next_due: date | None = None
    last_visit: date | None = None
    last_control: Control | None = None


def programme_line(line: ProgrammeLine, today: date) -> Text:
    """'Hypertension · since 2026-03-02 · next due 2026-12-20 · last 2026-12-06 Unsatisfactory'."""
    enrolment = line.enrolment
    text = Text(programme_word(enrolment.programme), style="bold")
    text.append(" · " + tr("since {day}").format(day=enrolment.start.isoformat()))
    if not enrolment.active:
        reason = leave_word(enrolment.leave_reason) if enrolment.leave_reason else ""
        day = enrolment.end.isoformat() if enrolment.end else ""
        text.append(" · " + tr("left {day}: {reason}").format(day=day, reason=reason))
        text.stylize("dim")
        return text
    if line.next_due is not None:
        text.append(" · " + tr("next due {day}").format(day=line.next_due.isoformat()))
        if line.next_due < today:
            text.append(
                " " + tr("! overdue {days} d").format(days=(today - line.next_due).days),
                style="bold",
            )
    if line.last_visit is not None and line.last_control is not None:
        control = control_word(line.last_control)
        text.append(
            " · " + tr("last {day} {control}").format(day=line.last_visit.isoformat(),
                                                      control=control)
        )  # fmt: skip
    elif line.last_visit is None:
        text.append(" · " + tr("no follow-up yet"))
    return text


class ProgrammesSection(ChartSection):
    """The patient's chronic-disease programmes (drawn from the registry, not the Chart)."""

    TITLE = N_("Chronic programmes")

    lines: list[ProgrammeLine]
    today: date | None = None

    def on_mount(self) -> None:
        """Hidden until there is something to show."""
        super().on_mount()
        self.display = False

    def show_programmes(self, lines: list[ProgrammeLine], today: date) -> None:
        """Redraw from what the registry read; active programmes first."""
        self.lines = sorted(lines, key=lambda line: not line.enrolment.active)
        self.today = today
        self.display = bool(lines)
        self.border_subtitle = tr("F follow-up · e enrol · E leave")
        body, _count, _ = self.render_chart(None)
        title = tr(self.TITLE)
        active = sum(1 for line in lines if line.enrolment.active)
        self.border_title = f"{title} ({active})" if active else title
        self.body = body
        self.query_one(".section-body", Static).update(body)

    def show(self, chart: Chart) -> None:
        """The Chart carries no enrolments: show_programmes draws this section."""

    def render_chart(self, chart: Chart | None) -> tuple[RenderableType, int, bool]:
        """One line per enrolment."""
        today = self.today or date.today()
        lines = getattr(self, "lines", [])
        body = Text("\n").join(programme_line(line, today) for line in lines)
        return body, len(lines), False
