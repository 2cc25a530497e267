"""The chart's sections: each a titled, focusable, scrolling box that may become editable later.

A section is handed a Chart and draws its own part of it; it never reads the
database. `ChartSection.EDITABLE` and the `EditRequested` message are the hook
for editing: a section that sets it shows an Edit key, and its screen opens
the matching form.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from clinic_tui.domain.models import Chart, QueueStatus, VitalSign
from clinic_tui.domain.vital_ranges import (
    BMI,
    HEIGHT,
    WEIGHT,
    Age,
    VitalFlag,
    bmi,
    classify_vital,
)
from clinic_tui.i18n import N_, language, tr
from clinic_tui.widgets.data_text import data_text, name_text
from clinic_tui.widgets.units import unit_text
from clinic_tui.widgets.vitals_trend import format_value, trend_text

CODE_LIMIT = 20
"""A code or a unit from a record is drawn with at most this many characters."""
PLACE_LIMIT = 40
"""A clinic's name in the visits table (a column that does not wrap)."""

_VISIT_STATES = {
    QueueStatus.WAITING: N_("Waiting"),
    QueueStatus.IN_CONSULTATION: N_("In consult"),
    QueueStatus.LEFT: N_("Left"),
}
"""A visit's state as the queue's Status column words it: no longer than a date."""

PENDING_MARK = " *"
"""Appended to every record with a local change not yet uploaded."""


def _table() -> Table:
    """A borderless table: the section's border already frames it.

    Not expanded: stretched over 120 columns a date drifts far from the line it dates.
    """
    return Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)


def kept_at_words(clinic: str) -> str:
    """'Kept at 青山镇卫生院 (not downloaded here)': what an empty list of a referred patient
    means (its records stay with its own clinic)."""
    return tr("Kept at {clinic} (not downloaded here)").format(clinic=name_text(clinic).plain)


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


class ChartSection(VerticalScroll, can_focus=True):
    """Base of every chart section: a title, a focusable scrolling body, a future Edit key."""

    TITLE: ClassVar[str] = ""
    """English title, translated when shown."""
    EDITABLE: ClassVar[bool] = False
    """True once the section has an edit form; until then its Edit key is hidden."""

    BINDINGS: ClassVar[list[Binding]] = [Binding("e", "edit", tr("Edit"))]  # type: ignore[assignment]

    DEFAULT_CSS = """
    ChartSection {
        height: auto;
        border: round $primary 50%;
        border-title-color: $text;
        padding: 0 1;
    }
    ChartSection:focus {
        border: heavy $accent;
        border-title-style: bold reverse;
        background-tint: $foreground 4%;
    }
    ChartSection > .section-body {
        width: 100%;
    }
    ChartSection {
        scrollbar-size-vertical: 1;
    }
    """

    class EditRequested(Message):
        """The user asked to edit this section (posted only by editable sections)."""

        def __init__(self, section: ChartSection) -> None:
            super().__init__()
            self.section = section

    body: RenderableType = ""
    """What the section shows now (the last chart drawn)."""

    def compose(self) -> ComposeResult:
        """A single body that the section redraws from each chart."""
        yield Static(Text(""), classes="section-body")

    def on_mount(self) -> None:
        """Title before the data arrives, so the layout does not jump."""
        self.border_title = tr(self.TITLE)

    def show(self, chart: Chart) -> None:
        """Redraw from `chart`, marking unsynced records and saying what the mark means."""
        body, count, pending = self.render_chart(chart)
        title = tr(self.TITLE)
        self.border_title = f"{title} ({count})" if count else title
        self.border_subtitle = tr("* unsynced") if pending else ""
        if count == 0 and chart.records_kept_at is not None:
            # Not "None recorded": a referred patient's records exist, at its own clinic.
            body = Text(kept_at_words(chart.records_kept_at), style="italic")
        elif count == 0:
            body = Text(tr("None recorded"), style="dim italic")
        self.body = body
        self.query_one(".section-body", Static).update(body)

    def render_chart(self, chart: Chart) -> tuple[RenderableType, int, bool]:
        """(body, number of records, whether any is unsynced); overridden by every section."""
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the Edit key on sections that cannot be edited yet."""
        if action == "edit":
            return self.EDITABLE
        return True

    def action_edit(self) -> None:
        """Ask the screen to open this section's edit form."""
        self.post_message(self.EditRequested(self))


class ProblemsSection(ChartSection):
    """Problems and diagnoses (Condition, ICD-10): active first, the rest dimmed and labelled."""

    TITLE = N_("Problems")

    def render_chart(self, chart: Chart) -> tuple[RenderableType, int, bool]:
        """ICD-10 code, name, onset; a status word on anything not active."""
        table = _table()
        table.add_column(no_wrap=True)
        table.add_column(overflow="fold")
        table.add_column(no_wrap=True)
        for problem in chart.problems:
            active = problem.clinical_status in ("active", "recurrence", "relapse")
            name = data_text(problem.display)
            if problem.pending:
                name.append(PENDING_MARK)
            if not active:
                # A word, not only the dim style, says the problem is no longer current.
                name.append(f" ({tr(problem.clinical_status)})")
            table.add_row(
                data_text(problem.code or "—", "bold" if active else "", limit=CODE_LIMIT),
                name,
                _day(problem.onset),
                style="" if active else "dim",
            )
        return table, len(chart.problems), any(p.pending for p in chart.problems)


class MedicationsSection(ChartSection):
    """Active medication orders (MedicationRequest status active), newest first."""

    TITLE = "Active medications"

    def render_chart(self, chart: Chart) -> tuple[RenderableType, int, bool]:
        """Medicine, dosage, date prescribed."""
        # Imported here: the order-line tables load with the first chart, not at start.
        from clinic_tui.prescribing.sig_words import sig_words

        table = _table()
        table.add_column(overflow="fold")
        table.add_column(overflow="fold")
        table.add_column(no_wrap=True)
        for medication in chart.medications:
            name = data_text(medication.name, "bold")
            if medication.pending:
                name.append(PENDING_MARK)
            # The sig in the session's language (a Chinese slip's words on an English chart).
            dosage = sig_words(medication.dosage, language())
            table.add_row(name, data_text(dosage), _day(medication.authored_on))
        return table, len(chart.medications), any(m.pending for m in chart.medications)


class VitalsSection(ChartSection):
    """Latest vital signs with their unit, date and recent trend."""

    TITLE = N_("Vital signs")

    DEFAULT_CSS = """
    VitalsSection > .section-body {
        max-width: 100%;
    }
    """

    measured: RenderableType = ""
    """The part of the body its box is sized to (the table of values)."""

    def show(self, chart: Chart) -> None:
        """Redraw, then size the body to its table so a layout may fit the box to it."""
        super().show(chart)
        body = self.query_one(".section-body", Static)
        console = self.app.console
        # Textual cannot size an auto-width box around a Rich table; measure it here instead.
        # Only the table: the flag notes beneath it wrap to its width.
        width = Measurement.get(console, console.options.update_width(200), self.measured)
        body.styles.width = max(width.maximum, len(tr(self.TITLE)) + 8)

    def render_chart(self, chart: Chart) -> tuple[RenderableType, int, bool]:
        """Label, value, unit, flag, date, trend; beneath, what each flag means and its source."""
        table = _table()
        for justify in ("left", "right", "left", "left", "left"):
            table.add_column(no_wrap=True, justify=justify)
        notes: list[Text] = []
        for vital in with_bmi(chart):
            flag = vital_flag(vital, chart.patient.birth_date)
            # The marker leads the value; the note beneath says high or low, why, and the source.
            value = flag_mark(flag)
            value.append(format_value(vital), style="bold")
            if flag is not None and flag.abnormal:
                value.stylize(_FLAG_STYLE[flag.critical])
            if vital.pending:
                value.append(PENDING_MARK)
            trend = trend_text(chart.vital_history.get(vital.loinc, []))
            if vital.loinc == BMI and vital.loinc not in chart.vital_history:
                trend = Text(tr("calculated from weight and height"), style="dim")
            table.add_row(
                tr(vital.label),
                value,
                data_text(unit_text(vital.unit), limit=CODE_LIMIT),
                vital.effective.date().isoformat(),
                trend,
            )
            if flag is not None and flag.abnormal:
                notes.append(flag_note(vital, flag))
        if _needs_height(chart):
            table.add_row(
                tr("BMI"), Text("—"), "", "", Text(tr("height not recorded"), style="dim")
            )
        self.measured = table
        body: RenderableType = Group(table, *notes) if notes else table
        return body, len(chart.vitals), any(v.pending for v in chart.vitals)


_FLAG_STYLE = {False: "bold dark_orange", True: "bold red"}
_FLAG_WORDS = {
    "low": ("low", "偏低"),
    "high": ("high", "偏高"),
    "very low": ("very low", "明显偏低"),
    "very high": ("very high", "明显偏高"),
}
"""A value's flag in each language. Not through tr(): 'high' is also an allergy's
criticality (高危), and one catalogue key cannot mean both."""


def vital_flag(vital: VitalSign, birth_date: date | None) -> VitalFlag | None:
    """The flag of a measurement against its cited range at the patient's age then."""
    age = Age.on(birth_date, vital.effective.date()) if birth_date is not None else None
    return classify_vital(vital.loinc, vital.value, age, diastolic=vital.second_value)


def flag_words(flag: VitalFlag) -> str:
    """'high', '偏高'."""
    english, chinese = _FLAG_WORDS[flag.flag]
    return chinese if language() == "zh" else english


def flag_mark(flag: VitalFlag | None) -> Text:
    """'! ' or '!! ' before an abnormal value (colour is never the only signal); else nothing."""
    if flag is None or not flag.abnormal:
        return Text("")
    return Text("!! " if flag.critical else "! ", style=_FLAG_STYLE[flag.critical])


def flag_note(vital: VitalSign, flag: VitalFlag) -> Text:
    """'! Blood pressure 170/91 high: hypertension grade 2 (systolic 160-179) · China ... 2018'."""
    zh = language() == "zh"
    meaning = flag.meaning_zh if zh else flag.meaning
    source = flag.source.short_zh if zh else flag.source.short
    marker = "!!" if flag.critical else "!"
    note = Text(f"{marker} {tr(vital.label)} {format_value(vital)} ", style="bold")
    note.append(flag_words(flag), style=f"bold {_FLAG_STYLE[flag.critical]}")
    note.append("：" if zh else ": ")
    note.append(meaning)
    note.append(f" · {source}", style="dim")
    return note


def with_bmi(chart: Chart) -> list[VitalSign]:
    """The latest vital signs, with a BMI worked out from the latest weight and height when
    none was recorded (placed where BMI sits in the list)."""
    vitals = list(chart.vitals)
    if any(vital.loinc == BMI for vital in vitals):
        return vitals
    latest = {vital.loinc: vital for vital in vitals}
    weight, height = latest.get(WEIGHT), latest.get(HEIGHT)
    if weight is None or height is None:
        return vitals
    value = bmi(weight.value, height.value)
    if value is None:
        return vitals
    when = max(weight.effective, height.effective)
    vitals.append(VitalSign(BMI, "BMI", value, "kg/m²", when))
    return vitals


def _needs_height(chart: Chart) -> bool:
    codes = {vital.loinc for vital in chart.vitals}
    return WEIGHT in codes and HEIGHT not in codes and BMI not in codes


class VisitsSection(ChartSection):
    """Recent visits (Encounter), newest first, with where they took place."""

    TITLE = N_("Recent visits")

    def render_chart(self, chart: Chart) -> tuple[RenderableType, int, bool]:
        """Date (with the visit's state beneath it unless simply done), place, reason."""
        table = _table()
        table.add_column(no_wrap=True)
        # Clinic names are short and read badly split; the reason takes what is left.
        table.add_column(no_wrap=True)
        table.add_column(overflow="fold")
        for visit in chart.visits:
            status = QueueStatus.from_encounter_status(visit.status)
            reason = data_text(visit.reason)
            if visit.pending:
                reason.append(PENDING_MARK)
            started = visit.started.date() if visit.started is not None else None
            when = Text(_day(started))
            if status is not QueueStatus.DONE:
                # Under the date, in a column that never wraps and no wider than a date:
                # folded with the reason, "[In consultation]" was split over two lines.
                when.append(f"\n{tr(_VISIT_STATES[status])}", style="bold")
            table.add_row(when, data_text(visit.organization or "—", limit=PLACE_LIMIT), reason)
        return table, len(chart.visits), any(v.pending for v in chart.visits)
