"""Change a recorded problem: resolve or reactivate it, re-verify it, or withdraw it.

A problem is never deleted: one recorded by mistake is marked entered-in-error,
kept on the server for the record, and no longer shown on the chart.
"""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.widgets import OptionList, Select
from textual.widgets.option_list import Option

from clinic_tui.domain.chart_entry import (
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    RecordedProblem,
)
from clinic_tui.i18n import N_, tr
from clinic_tui.offline_cache.chart_edits import ChartEditor
from clinic_tui.screens.chart_form import ChartForm, Write, field_row
from clinic_tui.widgets.data_text import data_text
from clinic_tui.widgets.lazy_select import LazySelect

OPTION_LIMIT = 200
"""Characters of one problem in the list: a few lines at most."""


class ProblemChangeForm(ChartForm):
    """Pick one of the patient's problems, then its new clinical and verification status."""

    FIELD_ORDER = ("problems", "clinical", "verification")

    def __init__(self, editor: ChartEditor, problems: list[RecordedProblem], today: date) -> None:
        super().__init__(tr("Change a problem"))
        self.editor = editor
        self.problems = problems
        self.today = today

    def fields(self) -> ComposeResult:
        """The problem list, then the two statuses (starting from the highlighted problem's)."""
        options = [
            Option(
                data_text(
                    f"{p.code or '—'}  {p.display}  ({tr(p.clinical_status)})", limit=OPTION_LIMIT
                )
            )
            for p in self.problems
        ]
        if not options:
            options = [Option(tr("No problems recorded"), disabled=True)]
        yield OptionList(*options, id="problems", compact=True)
        yield from field_row(
            tr("Clinical status"),
            LazySelect([(tr(c), c) for c in CONDITION_CLINICAL], id="clinical", allow_blank=False,
                   compact=True),
            "clinical",
        )  # fmt: skip
        yield from field_row(
            tr("Verification"),
            LazySelect([(tr(c), c) for c in CONDITION_VERIFICATION], id="verification",
                   allow_blank=False, compact=True),
            "verification",
        )  # fmt: skip

    def on_mount(self) -> None:
        """Start on the first problem, its statuses filled in."""
        if self.problems:
            self.query_one("#problems", OptionList).highlighted = 0
            self._load(0)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Moving through the list shows each problem's statuses."""
        event.stop()
        if 0 <= event.option_index < len(self.problems):
            self._load(event.option_index)
            self._initial = self.values()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a problem moves to its status."""
        event.stop()
        self.query_one("#clinical", Select).focus()

    def _load(self, index: int) -> None:
        problem = self.problems[index]
        clinical = problem.clinical_status
        self.query_one("#clinical", Select).value = (
            clinical if clinical in CONDITION_CLINICAL else "active"
        )
        verification = problem.verification
        self.query_one("#verification", Select).value = (
            verification if verification in CONDITION_VERIFICATION else "confirmed"
        )

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """The write changes the highlighted problem's statuses."""
        index = self.query_one("#problems", OptionList).highlighted
        if index is None or not 0 <= index < len(self.problems):
            return {"problems": N_("Choose the problem to change")}, None
        if not self.changed:
            return {}, lambda: tr("Nothing changed")
        problem = self.problems[index]
        clinical = str(self.query_one("#clinical", Select).value)
        verification = str(self.query_one("#verification", Select).value)
        editor, today = self.editor, self.today

        def write() -> str:
            editor.change_condition(problem.id, clinical, verification, today)
            return f"{tr('Problem changed')}: {problem.code or ''} {problem.display}"

        return {}, write
