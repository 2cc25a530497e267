"""The chart's first line: who this patient is, in the order a clinician checks it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.text import Text
from textual.widgets import Static

from clinic_tui.domain.ages import format_age
from clinic_tui.domain.models import Gender, PatientSummary
from clinic_tui.i18n import add_translations, language, tr
from clinic_tui.widgets.flow_text import FlowText

add_translations(
    {"Health card": "健康卡号", "Identifier": "标识号", "Born": "出生", "* unsynced": "* 未同步"}
)

_SEX = {Gender.MALE: "Male", Gender.FEMALE: "Female", Gender.OTHER: "Other"}


def localized_age(birth_date: date | None, today: date) -> str:
    """Age as clinicians write it: '68y' / '7m' in English, '68岁' / '7月龄' in Chinese."""
    age = format_age(birth_date, today)
    if language() != "zh" or age == "?":
        return age
    if age.endswith("y"):
        return f"{age[:-1]}岁"
    return f"{age[:-1]}月龄"


def header_text(
    patient: PatientSummary, identifiers: Sequence[tuple[str, str]], today: date
) -> FlowText:
    """Name, sex, age, birth date, then each identifier and phone with its label."""
    who = Text()
    who.append(patient.name, style="bold")
    if patient.pending:
        who.append(" *")
    who.append(f"  {tr(_SEX.get(patient.gender, 'Unknown'))}")
    who.append(f"  {localized_age(patient.birth_date, today)}", style="bold")
    fields = [who]
    if patient.birth_date is not None:
        fields.append(Text.assemble((f"{tr('Born')} ", "dim"), patient.birth_date.isoformat()))
    for label, value in identifiers:
        fields.append(Text.assemble((f"{tr(label)} ", "dim"), value))
    if patient.pending:
        fields.append(Text(tr("* unsynced"), style="dim"))
    return FlowText(fields, gap="   ")


class PatientHeader(Static):
    """One or two lines naming the patient; wraps rather than cuts at 80 columns."""

    DEFAULT_CSS = """
    PatientHeader {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    """

    def show(
        self, patient: PatientSummary, identifiers: Sequence[tuple[str, str]], today: date
    ) -> None:
        """Display `patient` as of `today`."""
        self.update(header_text(patient, identifiers, today))
