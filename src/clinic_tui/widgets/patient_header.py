"""The chart's first line: who this patient is, in the order a clinician checks it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.text import Text
from textual.widgets import Static

from clinic_tui.domain.models import Gender, PatientSummary, Priority, QueueStatus, VisitSummary
from clinic_tui.i18n import N_, language, tr
from clinic_tui.widgets.data_text import data_text
from clinic_tui.widgets.flow_text import FlowText
from clinic_tui.widgets.units import age_text

_PRIORITY_WORDS = {
    Priority.EMERGENCY: N_("Emergency"),
    Priority.URGENT: N_("Urgent"),
    Priority.ROUTINE: N_("Routine"),
}
_PRIORITY_STYLE = {
    Priority.EMERGENCY: "bold red",
    Priority.URGENT: "bold dark_orange",
    Priority.ROUTINE: "",
}
_STATUS_WORDS = {
    QueueStatus.WAITING: N_("Waiting"),
    QueueStatus.IN_CONSULTATION: N_("In consultation"),
    QueueStatus.DONE: N_("Done"),
    QueueStatus.LEFT: N_("Left"),
}

_SEX = {Gender.MALE: N_("Male"), Gender.FEMALE: N_("Female"), Gender.OTHER: N_("Other")}


def localized_age(birth_date: date | None, today: date) -> str:
    """Age as every screen writes it: '68y' / '7mo' / '12d', '68岁' / '7月龄' / '12天'."""
    return age_text(birth_date, today)


def today_text(visit: VisitSummary) -> Text:
    """'Today: !!! Emergency · In consultation': today's priority, marked, and where it stands."""
    priority = Priority.from_code(visit.priority)
    text = Text(f"{tr('Today')}{'：' if language() == 'zh' else ': '}", style="dim")
    marker = f"{priority.marker} " if priority is not Priority.ROUTINE else ""
    text.append(f"{marker}{tr(_PRIORITY_WORDS[priority])}", style=_PRIORITY_STYLE[priority])
    status = QueueStatus.from_encounter_status(visit.status)
    text.append(f" · {tr(_STATUS_WORDS[status])}")
    return text


def header_text(
    patient: PatientSummary,
    identifiers: Sequence[tuple[str, str]],
    today: date,
    visit_today: VisitSummary | None = None,
) -> FlowText:
    """Name, sex, age, today's priority, birth date, then each identifier and phone."""
    who = Text()
    who.append_text(data_text(patient.name, "bold", limit=HEADER_NAME_LIMIT))
    if patient.pending:
        who.append(" *")
    who.append(f"  {tr(_SEX.get(patient.gender, 'Unknown'))}")
    who.append(f"  {localized_age(patient.birth_date, today)}", style="bold")
    fields = [who]
    if visit_today is not None:
        fields.append(today_text(visit_today))
    if patient.birth_date is not None:
        fields.append(Text.assemble((f"{tr('Born')} ", "dim"), patient.birth_date.isoformat()))
    for label, value in identifiers:
        fields.append(
            Text.assemble(
                data_text(f"{tr(label)} ", "dim", limit=LABEL_LIMIT),
                data_text(value, limit=IDENTIFIER_LIMIT),
            )
        )
    if patient.pending:
        fields.append(Text(tr("* unsynced"), style="dim"))
    return FlowText(fields, gap="   ")


HEADER_NAME_LIMIT = 120
"""The header draws at most this many characters of a name: with a 1 MB name it still takes
two or three lines, and the allergy banner under it stays on screen."""
LABEL_LIMIT = 40
"""An identifier's type, when it is not one we name ourselves, is the record's own words."""
IDENTIFIER_LIMIT = 40
"""Characters of an identifier's value (an identity number is 18)."""


class PatientHeader(Static):
    """One or two lines naming the patient; wraps rather than cuts at 80 columns."""

    DEFAULT_CSS = """
    PatientHeader {
        height: auto;
        /* However many identifiers a record carries, the allergy banner stays in view. */
        max-height: 6;
        padding: 0 1;
        background: $panel;
    }
    """

    def show(
        self,
        patient: PatientSummary,
        identifiers: Sequence[tuple[str, str]],
        today: date,
        visit_today: VisitSummary | None = None,
    ) -> None:
        """Display `patient` as of `today` (with today's visit, when there is one)."""
        self.update(header_text(patient, identifiers, today, visit_today))
