"""Refer form (chart key r): where to, what kind, how urgent, why, and the summary sent.

Everything it offers was read from the cache before it opened (hospitals, their
departments, the chart's problems, the summary assembled from the chart); the
doctor edits the summary freely. Saving writes the ServiceRequest and its Task with
their outbox entries: it works offline and goes up at the next sync.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.widgets import Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from clinic_tui.domain.diagnosis_search import CodeHit, DiagnosisSearch
from clinic_tui.domain.untrusted import clean_line
from clinic_tui.i18n import N_, tr
from clinic_tui.referral.fhir_shapes import CATEGORIES, PRIORITIES, PRIORITY_MARKERS
from clinic_tui.referral.model import Coded, ReferFormData, ReferralDraft
from clinic_tui.screens.chart_form import ChartForm, Write, field_row
from clinic_tui.screens.problem_form import hit_label
from clinic_tui.widgets.data_text import data_block, data_text, name_text
from clinic_tui.widgets.lazy_select import LazySelect
from clinic_tui.widgets.text_box import TextBox

_OTHER = "__search__"


class ReferForm(ChartForm):
    """Write a referral (or teleconsultation request) for one patient."""

    FIELD_ORDER = ("hospital", "department", "category", "priority", "refer-reason", "summary")

    DEFAULT_CSS = """
    ReferForm .summary-text {
        height: 7;
    }
    ReferForm #refer-reason-hits {
        max-height: 5;
    }
    """

    def __init__(
        self,
        send: Callable[[str, ReferralDraft, datetime], str],
        search: DiagnosisSearch,
        patient_id: str,
        patient_name: str,
        data: ReferFormData,
        now: datetime,
    ) -> None:
        # The name is data, and the title one line: cut short.
        super().__init__(tr("Refer {name}").format(name=data_text(patient_name, limit=60).plain))
        self.send = send
        """ReferralStore.refer (or a stand-in): (patient_id, draft, now) -> task id."""
        self.search = search
        self.patient_id = patient_id
        self.data = data
        self.now = now
        self.hits: list[CodeHit] = []
        self.searched: Coded | None = None

    def fields(self) -> ComposeResult:
        """Hospital, department, type, urgency, reason (with a search), summary."""
        hospitals = [(name_text(name), ident) for ident, name in self.data.hospitals]
        first = hospitals[0][1] if hospitals else Select.BLANK
        yield from field_row(
            tr("Hospital"),
            LazySelect(hospitals, id="hospital", value=first, prompt=tr("Choose a hospital"),
                   compact=True),
            "hospital",
        )  # fmt: skip
        yield from field_row(
            tr("Department"),
            LazySelect(
                self._departments(first if isinstance(first, str) else None),
                id="department", prompt=tr("any department"), compact=True,
            ),
            "department",
        )  # fmt: skip
        kinds = [(tr(english), code) for code, (_, _, english, _) in CATEGORIES.items()]
        yield from field_row(
            tr("Type"),
            LazySelect(kinds, id="category", value="referral", allow_blank=False, compact=True),
            "category",
        )
        urgencies = [
            (f"{PRIORITY_MARKERS[code]} {tr(english)}".strip(), code)
            for code, (english, _) in PRIORITIES.items()
        ]
        yield from field_row(
            tr("Urgency"),
            LazySelect(urgencies, id="priority", value="routine", allow_blank=False, compact=True),
            "priority",
        )
        reasons = [(data_text(f"{p.code}  {p.display}"), p.code) for p in self.data.problems]
        reasons.append((Text(tr("other: search ICD-10")), _OTHER))
        yield from field_row(
            tr("Reason"),
            LazySelect(
                reasons, id="refer-reason", value=reasons[0][1], allow_blank=False, compact=True
            ),
            "refer-reason",
        )
        yield Input(id="refer-reason-query", placeholder=tr("code, name or pinyin"), compact=True)
        yield OptionList(id="refer-reason-hits", compact=True)
        yield Label(tr("Clinical summary (edit before sending)"), classes="note-label")
        # Made from the chart's records: controls made visible before anyone edits or sends it.
        summary = data_block(self.data.summary).plain
        yield TextBox(summary, id="summary", classes="summary-text", soft_wrap=True)
        yield Static("", id="summary-error", classes="field-error")

    def _departments(self, hospital: str | None) -> list[tuple[Text, str]]:
        found = self.data.departments.get(hospital or "", [])
        return [(name_text(name), ident) for ident, name, _ in found]

    def on_mount(self) -> None:
        """The search shows only when 'other' is the reason; no hospital means sync first."""
        self._show_search(self.query_one("#refer-reason", Select).value == _OTHER)
        if not self.data.hospitals:
            self.show_form_message(tr("No hospital in the cache yet: sync first"))

    def _show_search(self, visible: bool) -> None:
        self.query_one("#refer-reason-query", Input).display = visible
        self.query_one("#refer-reason-hits", OptionList).display = visible and bool(self.hits)

    def on_select_changed(self, event: Select.Changed) -> None:
        """A new hospital offers its departments; 'other' reason opens the search."""
        super().on_select_changed(event)
        if event.select.id == "hospital":
            value = event.value if isinstance(event.value, str) else None
            self.query_one("#department", Select).set_options(self._departments(value))
        elif event.select.id == "refer-reason":
            self._show_search(event.value == _OTHER)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Typing in the reason search searches ICD-10 (in a worker)."""
        super().on_input_changed(event)
        if event.input.id == "refer-reason-query":
            self.run_search(event.value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="refer-search")
    def run_search(self, text: str) -> list[CodeHit]:
        """The chart's diagnosis search (the cache's ICD-10)."""
        return self.search(text)[:20]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show the hits; the save's worker is the base form's business."""
        if event.worker.group != "refer-search":
            return
        hits = event.worker.result
        if event.state is WorkerState.SUCCESS and isinstance(hits, list):
            self.hits = hits
            options = self.query_one("#refer-reason-hits", OptionList)
            options.clear_options()
            options.add_options([Option(hit_label(hit)) for hit in hits])
            if hits:
                options.highlighted = 0
            options.display = bool(hits)

    def on_key(self, event: events.Key) -> None:
        """↓ from the reason search moves into its hits."""
        if (
            event.key == "down"
            and self.focused is self.query_one("#refer-reason-query")
            and self.hits
        ):
            event.stop()
            event.prevent_default()
            self.query_one("#refer-reason-hits", OptionList).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search takes the first hit."""
        if event.input.id == "refer-reason-query":
            event.prevent_default()
            event.stop()
            if self.hits:
                self.choose(self.hits[0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a hit chooses it."""
        event.stop()
        if 0 <= event.option_index < len(self.hits):
            self.choose(self.hits[event.option_index])

    def choose(self, hit: CodeHit) -> None:
        """Take `hit` as the reason; the search box shows what was chosen."""
        self.searched = Coded(hit.system, hit.code, hit.display_en)
        label = hit.display_zh or hit.display_en
        self.searched_text = label
        query = self.query_one("#refer-reason-query", Input)
        with query.prevent(Input.Changed):
            query.value = clean_line(f"{hit.code} {label}")
        self.query_one("#refer-reason-hits", OptionList).display = False
        self.clear_error("refer-reason")
        summary = self.query_one("#summary", TextArea)
        summary.focus()
        # What the doctor adds goes after the assembled facts, not before them.
        summary.move_cursor(summary.document.end)

    def _reason(self) -> tuple[Coded | None, str]:
        value = self.query_one("#refer-reason", Select).value
        if value == _OTHER:
            return self.searched, getattr(self, "searched_text", "")
        for problem in self.data.problems:
            if problem.code == value:
                return problem, problem.display
        return None, ""

    def prepare(self) -> tuple[dict[str, str], Write | None]:
        """Check the choices; the write sends the referral."""
        errors: dict[str, str] = {}
        hospital = self.query_one("#hospital", Select).value
        if not isinstance(hospital, str):
            errors["hospital"] = "Choose a hospital"
        reason, reason_text = self._reason()
        if reason is None:
            errors["refer-reason"] = N_(
                "Choose the reason: a diagnosis from the list or the search"
            )
        summary = self.query_one("#summary", TextArea).text
        if not summary.strip():
            errors["summary"] = N_("Write the clinical summary")
        if errors or not isinstance(hospital, str):
            return errors, None
        department = self.query_one("#department", Select).value
        department_id = department if isinstance(department, str) else None
        specialty = next(
            (s for i, _, s in self.data.departments.get(hospital, []) if i == department_id),
            None,
        )
        draft = ReferralDraft(
            hospital_id=hospital,
            category=str(self.query_one("#category", Select).value),
            priority=str(self.query_one("#priority", Select).value),
            department_id=department_id,
            specialty=specialty,
            reason=reason,
            reason_text=reason_text,
            summary=summary.strip(),
            supporting=self.data.supporting,
            encounter_id=self.data.encounter_id,
        )
        names = dict(self.data.hospitals)
        departments = {i: n for i, n, _ in self.data.departments.get(hospital, [])}
        place = " ".join(
            p for p in (names.get(hospital, ""), departments.get(department_id or "", "")) if p
        )
        send, patient_id, now = self.send, self.patient_id, self.now

        def write() -> str:
            from clinic_tui.offline_cache.chart_edits import ChartEditError
            from clinic_tui.referral.store import ReferralError

            try:
                send(patient_id, draft, now)
            except ReferralError as refused:
                raise ChartEditError(refused.message()) from refused
            return (
                tr("Referral sent to {place}").format(place=place)
                + " "
                + tr("(queued until the next sync)")
            )

        return {}, write
