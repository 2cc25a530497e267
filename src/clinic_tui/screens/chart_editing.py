"""The chart's edit keys: each opens its form over the chart; saving re-reads the chart.

ChartScreen inherits this, so its display code and its editing stay apart. The
data a form starts from (today's visit, the problem list, the last height) is
read in a worker; the form itself is built on the UI thread once it arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from clinic_tui.domain.ages import age_in_years
from clinic_tui.domain.chart_entry import CurrentVisit
from clinic_tui.domain.models import Chart, QueueStatus
from clinic_tui.domain.vital_entry import BMI_ADULT_AGE
from clinic_tui.i18n import N_, tr
from clinic_tui.messages import SyncCounts
from clinic_tui.widgets.data_text import name_text
from clinic_tui.widgets.visit_panel import VisitPanel

if TYPE_CHECKING:
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

NOT_ELIGIBLE = N_(
    "Not eligible: no I10–I13 hypertension or E11 diabetes, under 35, or already enrolled"
)


FormFactory = Callable[[], Screen[Any]]
"""Builds a form on the UI thread from data a worker read."""


class ChartEditing(Screen[None]):
    """Edit keys and their forms; the chart screen supplies `cache`, `patient_id`, `clock`."""

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("d", "add_diagnosis", tr("Diagnosis")),
        Binding("a", "add_allergy", tr("Allergy")),
        Binding("v", "record_vitals", tr("Vitals")),
        Binding("n", "write_note", tr("Note")),
        Binding("f", "finish", tr("Finish")),
        Binding("h", "history", tr("History")),
        # "Rx": at 80 columns a longer word pushes Back off the footer.
        Binding("m", "prescribe", tr("Rx"), tooltip=tr("Prescribe")),
        # In help (?) and the palette; the footer has no room for them at 80 columns.
        Binding("c", "chief_complaint", tr("Complaint"), show=False),
        Binding("p", "demographics", tr("Contact details"), show=False),
        Binding("D", "change_problem", tr("Change a problem"), show=False),
        Binding("A", "withdraw_allergy", tr("Withdraw an allergy"), show=False),
        Binding("r", "refer", tr("Refer"), show=False),
        Binding("R", "referrals", tr("Referrals"), show=False),
        # Chronic programmes (issue #21); in help (?) and named on the programmes section.
        Binding("F", "follow_up_visit", tr("Follow-up visit"), show=False),
        Binding("e", "enrol", tr("Enrol in a programme"), show=False),
        Binding("E", "leave_programme", tr("Leave a programme"), show=False),
    ]

    cache: ClinicCache
    patient_id: str
    clock: Callable[[], datetime]
    chart: Chart | None
    visit: CurrentVisit | None = None
    """Today's open visit of this patient, once read (None: there is none)."""

    # ----- today's visit ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart-visit")
    def load_visit(self) -> CurrentVisit | None:
        """Read today's open visit, and refresh the unsynced count for the badge."""
        visit = self.cache.chart_edits.current_visit(self.patient_id, self.clock().date())
        self.app.post_message(SyncCounts(pending=self.cache.pending_changes()))
        return visit

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Visit read, form data ready, visit finished, or a failure to report."""
        group = event.worker.group
        if group == "chart-visit" and event.state is WorkerState.SUCCESS:
            result = event.worker.result
            self.visit = result if isinstance(result, CurrentVisit) else None
            self.query_one(VisitPanel).show(self.visit)
        elif group == "chart-form" and event.state is WorkerState.SUCCESS:
            factory = event.worker.result
            if callable(factory):
                self.app.push_screen(factory(), self._form_closed)
        elif group == "chart-finish" and event.state is WorkerState.SUCCESS:
            self.notify(str(event.worker.result), timeout=8)
            self.dismiss(None)
        elif group == "chart-eligible" and event.state is WorkerState.SUCCESS:
            self._suggest_enrolment(event.worker.result)
        elif group == "chart-follow-up" and event.state is WorkerState.SUCCESS:
            factory = event.worker.result
            if callable(factory):
                form = factory()
                self.app.push_screen(form, lambda notice: self._visit_saved(form, notice))
        elif group in ("chart-visit", "chart-form", "chart-finish", "chart-follow-up") and (
            event.state is WorkerState.ERROR
        ):
            error = event.worker.error
            # A LookupError says in words why a key has nothing to open (not enrolled...).
            said = str(error) if isinstance(error, LookupError) else f"{tr('Could not')}: {error}"
            self.notify(said, severity="error", timeout=8)

    def _form_closed(self, notice: str | None) -> None:
        if notice:
            self.notify(notice, timeout=4)

    def _needs_visit(self) -> CurrentVisit | None:
        if self.visit is None:
            self.notify(tr("No open visit today: register the patient in the queue first"))
        return self.visit

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart-form")
    def _open(self, read: Callable[[], FormFactory]) -> FormFactory:
        """Run `read` (database work) in a thread; its factory builds the form afterwards."""
        return read()

    # ----- the keys -------------------------------------------------------------------------------

    def action_add_diagnosis(self) -> None:
        """d: search ICD-10 and record a diagnosis (of this visit when there is one)."""
        from clinic_tui.screens.problem_form import ProblemForm
        from clinic_tui.terminology.diagnosis import diagnosis_search_for

        cache, patient_id, visit, now = self.cache, self.patient_id, self.visit, self.clock()

        def closed(notice: str | None) -> None:
            self._form_closed(notice)
            if notice:
                self._check_eligible()  # a new I10-I13 / E11 diagnosis: suggest enrolment

        self.app.push_screen(
            ProblemForm(
                cache.chart_edits, diagnosis_search_for(cache.path), patient_id, visit, now
            ),
            closed,
        )

    def action_change_problem(self) -> None:
        """D: resolve, reactivate or withdraw a recorded problem."""
        from clinic_tui.screens.problem_change_form import ProblemChangeForm

        editor, patient_id, today = self.cache.chart_edits, self.patient_id, self.clock().date()

        def read() -> FormFactory:
            problems = editor.problems(patient_id)
            return lambda: ProblemChangeForm(editor, problems, today)

        self._open(read)

    def action_add_allergy(self) -> None:
        """a: record an allergy, or that the patient has no known allergies."""
        from clinic_tui.screens.allergy_form import AllergyForm

        self.app.push_screen(
            AllergyForm(self.cache.chart_edits, self.patient_id, self.clock()), self._form_closed
        )

    def action_withdraw_allergy(self) -> None:
        """A: mark an allergy record entered in error."""
        from clinic_tui.screens.allergy_change_form import AllergyChangeForm

        editor, patient_id = self.cache.chart_edits, self.patient_id

        def read() -> FormFactory:
            allergies = editor.allergies(patient_id)
            return lambda: AllergyChangeForm(editor, allergies)

        self._open(read)

    def action_record_vitals(self) -> None:
        """v: record vital signs (BMI derived)."""
        from clinic_tui.screens.vitals_form import VitalsForm

        editor, patient_id, now = self.cache.chart_edits, self.patient_id, self.clock()
        encounter_id = self.visit.encounter_id if self.visit else None
        birth = self.chart.patient.birth_date if self.chart else None
        age = age_in_years(birth, now.date())
        adult = (age or 0) >= BMI_ADULT_AGE

        def read() -> FormFactory:
            height = editor.last_height(patient_id) if adult else None
            return lambda: VitalsForm(editor, patient_id, encounter_id, now, height, age)

        self._open(read)

    def action_write_note(self) -> None:
        """n: the consultation note of this visit."""
        from clinic_tui.screens.note_form import NoteForm

        visit = self._needs_visit()
        if visit is None:
            return
        self.app.push_screen(
            NoteForm(
                self.cache.chart_edits,
                self.patient_id,
                visit.encounter_id,
                self.clock(),
                visit.note,
            ),
            self._form_closed,
        )

    def action_chief_complaint(self) -> None:
        """c: correct the chief complaint of this visit."""
        from clinic_tui.screens.complaint_form import ComplaintForm

        visit = self._needs_visit()
        if visit is None:
            return
        self.app.push_screen(
            ComplaintForm(self.cache.chart_edits, visit.encounter_id, visit.chief_complaint),
            self._form_closed,
        )

    def action_demographics(self) -> None:
        """p: correct phone, address and contact person."""
        from clinic_tui.screens.demographics_form import DemographicsForm

        editor, patient_id = self.cache.chart_edits, self.patient_id

        def read() -> FormFactory:
            current = editor.demographics(patient_id)
            if current is None:
                raise LookupError(f"Patient/{patient_id} is not in the cache")
            return lambda: DemographicsForm(editor, patient_id, current)

        self._open(read)

    def action_history(self) -> None:
        """h: past visits and what was recorded in each."""
        from clinic_tui.screens.visit_history import VisitHistoryScreen

        editor, patient_id, today = self.cache.chart_edits, self.patient_id, self.clock().date()

        def read() -> FormFactory:
            visits = editor.visits(patient_id, today)
            return lambda: VisitHistoryScreen(editor, visits)

        self._open(read)

    def action_refer(self) -> None:
        """r: refer the patient (or ask for a teleconsultation), summary from the chart."""
        from clinic_tui.screens.refer_form import ReferForm
        from clinic_tui.screens.referrals import referral_store
        from clinic_tui.terminology.diagnosis import diagnosis_search_for

        cache, patient_id, now = self.cache, self.patient_id, self.clock()

        def read() -> FormFactory:
            store = referral_store(cache)
            data = store.form_data(patient_id, now.date())
            search = diagnosis_search_for(cache.path)
            return lambda: ReferForm(store.refer, search, patient_id, data.patient_name, data, now)

        self._open(read)

    def action_referrals(self) -> None:
        """R: this patient's referrals, each with its state and conversation."""
        from clinic_tui.screens.referrals import ReferralsScreen

        name = self.chart.patient.name if self.chart else ""
        self.app.push_screen(ReferralsScreen(self.cache, self.clock, self.patient_id, name))

    def action_finish(self) -> None:
        """f: finish the consultation and go back to the queue (n calls the next patient)."""
        from clinic_tui.screens.discard_dialog import ConfirmScreen

        visit = self._needs_visit()
        if visit is None:
            return
        name = self.chart.patient.name if self.chart else ""

        def answered(yes: bool | None) -> None:
            if yes:
                self._finish(visit.encounter_id, name)

        question = tr("Finish the consultation of {name}?").format(name=name_text(name).plain)
        self.app.push_screen(ConfirmScreen(question), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart-finish")
    def _finish(self, encounter_id: str, name: str) -> str:
        """Set the visit finished (through the queue, so `u` there can undo it)."""
        self.cache.queue.set_status(encounter_id, QueueStatus.DONE, self.clock())
        return tr("Finished: {name}. Press n to call the next patient").format(name=name)

    def action_prescribe(self) -> None:
        """m: the order screen: active medications, new lines with their checks, sign, print."""
        from clinic_tui.screens.prescription import PrescriptionScreen

        settings = getattr(self.app, "settings", None)
        printer = getattr(settings, "printer", None)
        slip_language = getattr(settings, "slip_language", "zh")
        self.app.push_screen(
            PrescriptionScreen(
                self.cache,
                self.patient_id,
                self.clock,
                printer=printer,
                slip_language=slip_language,
            )
        )

    # ----- chronic programmes (issue #21) -----------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart-eligible")
    def _check_eligible(self) -> list[Any]:
        """Programmes the patient could join now (after a diagnosis was recorded)."""
        from clinic_tui.screens.followup_reads import chronic_registry

        return list(
            chronic_registry(self.cache).enrollable(self.patient_id, today=self.clock().date())
        )

    def _suggest_enrolment(self, programmes: object) -> None:
        from clinic_tui.widgets.followup_words import programme_word

        if isinstance(programmes, list) and programmes:
            words = "、".join(programme_word(p) for p in programmes)
            self.notify(tr("Can be enrolled in {programmes}: press e").format(programmes=words),
                        timeout=10)  # fmt: skip

    def action_enrol(self) -> None:
        """e: enrol the patient in a programme they are eligible for (date, clinician)."""
        from clinic_tui.followup.visit_list import clinician_names
        from clinic_tui.screens.followup_dialogs import EnrolForm
        from clinic_tui.screens.followup_reads import chronic_registry

        cache, patient_id, today = self.cache, self.patient_id, self.clock().date()
        name = self.chart.patient.name if self.chart else ""

        def read() -> FormFactory:
            registry = chronic_registry(cache)
            programmes = registry.enrollable(patient_id, today=today)
            if not programmes:
                raise LookupError(tr(NOT_ELIGIBLE))
            names = clinician_names(cache.engine)
            return lambda: EnrolForm(
                registry.enrol, patient_id, name, programmes, names, cache.practitioner_id, today
            )

        self._open(read)

    def action_leave_programme(self) -> None:
        """E: the patient leaves a programme (moved, died, declined)."""
        from clinic_tui.screens.followup_dialogs import LeaveForm
        from clinic_tui.screens.followup_reads import chronic_registry

        cache, patient_id, today = self.cache, self.patient_id, self.clock().date()
        name = self.chart.patient.name if self.chart else ""

        def read() -> FormFactory:
            registry = chronic_registry(cache)
            active = [e for e in registry.enrolments(patient_id) if e.active]
            if not active:
                raise LookupError(tr("Not in any programme"))
            return lambda: LeaveForm(registry.leave, name, active, today)

        self._open(read)

    def action_follow_up_visit(self) -> None:
        """F: the 随访 form for this patient's programmes."""
        self._read_follow_up()

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart-follow-up")
    def _read_follow_up(self) -> Callable[[], Screen[Any]]:
        from clinic_tui.screens.followup_open import visit_form
        from clinic_tui.screens.followup_reads import read_visit_form_data

        now = self.clock()
        data = read_visit_form_data(self.cache, self.patient_id, now)
        return lambda: visit_form(self.cache, data, now)

    def _visit_saved(self, form: Any, notice: str | None) -> None:
        from clinic_tui.screens.followup_open import offer_referral

        self._form_closed(notice)
        if notice:
            offer_referral(self, self.cache, form, self.clock)
