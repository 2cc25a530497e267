"""Allergy form: a substance from the list or typed, category, criticality, reaction, severity.

'No known allergies' is a statement of its own (a recorded AllergyIntolerance),
chosen at the top of the form; it is refused while allergies are on file.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.widgets import Input, Select

from clinic_tui.domain.chart_entry import (
    ALLERGY_CATEGORIES,
    ALLERGY_CRITICALITY,
    REACTION_SEVERITY,
    REACTIONS,
    SUBSTANCES,
    AllergyEntry,
    validate_allergy,
)
from clinic_tui.i18n import language, tr
from clinic_tui.offline_cache.chart_edits import ChartEditor
from clinic_tui.screens.chart_form import ChartForm, Write, field_row
from clinic_tui.widgets.lazy_select import LazySelect

OTHER = "other"
"""The Select value meaning 'typed below'."""
NONE = "none"
"""The Select value of a blank criticality or severity."""


def _both(zh: str, en: str) -> str:
    return f"{zh} {en}" if language() == "zh" else f"{en} {zh}"


class AllergyForm(ChartForm):
    """Record an allergy or intolerance, or the statement 'no known allergies'."""

    FIELD_ORDER = ("kind", "substance", "substance_text", "category", "criticality", "reaction")

    def __init__(self, editor: ChartEditor, patient_id: str, now: datetime) -> None:
        super().__init__(tr("Record an allergy"))
        self.editor = editor
        self.patient_id = patient_id
        self.now = now

    def fields(self) -> ComposeResult:
        """Statement kind, then the allergy's fields (hidden for 'no known allergies')."""
        kinds = [(tr("an allergy or intolerance"), "allergy"), (tr("no known allergies"), "nka")]
        yield from field_row(
            tr("Record"),
            LazySelect(kinds, id="kind", value="allergy", allow_blank=False, compact=True),
            "kind",
        )
        substances = [(_both(s.zh, s.en), s.code) for s in SUBSTANCES]
        substances.append((tr("other (type below)"), OTHER))
        yield from field_row(
            tr("Substance"),
            LazySelect(substances, id="substance", value=OTHER, allow_blank=False, compact=True),
            "substance",
        )
        yield from field_row(
            "", Input(id="substance_text", placeholder=tr("or type it"), compact=True),
            "substance_text",
        )  # fmt: skip
        yield from field_row(
            tr("Category"),
            LazySelect([(tr(c), c) for c in ALLERGY_CATEGORIES], id="category", value="medication",
                   allow_blank=False, compact=True),
            "category",
        )  # fmt: skip
        criticality = [(tr(c), c) for c in ALLERGY_CRITICALITY]
        yield from field_row(
            tr("Criticality"),
            LazySelect([(tr("not assessed"), NONE), *criticality], id="criticality", value=NONE,
                   allow_blank=False, compact=True),
            "criticality",
        )  # fmt: skip
        reactions = [(_both(zh, en), code) for code, zh, en in REACTIONS]
        yield from field_row(
            tr("Reaction"),
            LazySelect([*reactions, (tr("other (type below)"), OTHER)], id="reaction", value=OTHER,
                   allow_blank=False, compact=True),
            "reaction",
        )  # fmt: skip
        yield from field_row(
            "", Input(id="reaction_text", placeholder=tr("or type it"), compact=True),
            "reaction_text",
        )  # fmt: skip
        yield from field_row(
            tr("Severity"),
            LazySelect([(tr("not assessed"), NONE), *[(tr(s), s) for s in REACTION_SEVERITY]],
                   id="severity", value=NONE, allow_blank=False, compact=True),
            "severity",
        )  # fmt: skip

    def on_select_changed(self, event: Select.Changed) -> None:
        """A listed substance sets its category; 'no known allergies' hides the rest."""
        if event.select.id == "substance":
            found = next((s for s in SUBSTANCES if s.code == event.value), None)
            self.show_field("substance_text", found is None)
            if found is not None:
                self.query_one("#category", Select).value = found.category
            self.clear_error("substance_text")
        elif event.select.id == "reaction":
            self.show_field("reaction_text", event.value == OTHER)
        elif event.select.id == "kind":
            allergy = event.value == "allergy"
            for field_id in ("substance", "category", "criticality", "reaction", "severity"):
                self.show_field(field_id, allergy)
            other = self.query_one("#substance", Select).value == OTHER
            self.show_field("substance_text", allergy and other)
            other = self.query_one("#reaction", Select).value == OTHER
            self.show_field("reaction_text", allergy and other)

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """Check the substance and category; the write records the allergy or the statement."""
        editor, patient_id, now = self.editor, self.patient_id, self.now
        if self.query_one("#kind", Select).value == "nka":

            def state_none() -> str:
                made = editor.record_no_known_allergies(patient_id, now)
                if made is None:
                    return tr("No known allergies was already recorded")
                return tr("No known allergies recorded")

            return {}, state_none
        code = self.query_one("#substance", Select).value
        listed = next((s for s in SUBSTANCES if s.code == code), None)
        typed = self.query_one("#substance_text", Input).value.strip()
        substance = _both(listed.zh, listed.en) if listed is not None else typed
        category = str(self.query_one("#category", Select).value)
        reaction_code = str(self.query_one("#reaction", Select).value)
        known = next((r for r in REACTIONS if r[0] == reaction_code), None)
        reaction = (
            _both(known[1], known[2])
            if known is not None
            else self.query_one("#reaction_text", Input).value.strip()
        )
        errors = validate_allergy(substance, category, reaction)
        if "substance" in errors and listed is None:
            errors["substance_text"] = errors.pop("substance")
        if "reaction" in errors and known is None:
            errors["reaction_text"] = errors.pop("reaction")
        if errors:
            return errors, None
        criticality = str(self.query_one("#criticality", Select).value)
        severity = str(self.query_one("#severity", Select).value)
        entry = AllergyEntry(
            substance=substance,
            substance_code=listed,
            category=category,
            criticality=None if criticality == NONE else criticality,
            reaction=reaction,
            reaction_code=known[0] if known is not None else None,
            severity=None if severity == NONE or not reaction else severity,
        )

        def write() -> str:
            editor.add_allergy(patient_id, entry, now)
            return f"{tr('Allergy recorded')}: {substance}"

        return {}, write
