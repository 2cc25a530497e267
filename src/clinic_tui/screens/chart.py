"""ChartScreen: the read-only chart of one patient, pushed over the queue; Escape goes back.

The chart is read in a thread worker so a slow disk never freezes the keyboard;
until it arrives the screen says it is loading. The sections scroll as one
column beneath the header and banner; from 110 columns vitals and visits sit
side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from clinic_tui.domain.models import Chart
from clinic_tui.i18n import tr
from clinic_tui.messages import CacheChanged
from clinic_tui.screens.chart_editing import ChartEditing
from clinic_tui.widgets.allergy_banner import AllergyBanner
from clinic_tui.widgets.chart_sections import (
    ChartSection,
    MedicationsSection,
    ProblemsSection,
    VisitsSection,
    VitalsSection,
)
from clinic_tui.widgets.data_text import data_block
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.notice_line import NoticeLine
from clinic_tui.widgets.patient_header import PatientHeader
from clinic_tui.widgets.programme_section import ProgrammeLine, ProgrammesSection
from clinic_tui.widgets.records_elsewhere import RecordsElsewhere
from clinic_tui.widgets.referral_section import ReferralsSection
from clinic_tui.widgets.sync_badge import SyncBadge
from clinic_tui.widgets.visit_panel import VisitPanel

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from clinic_tui.offline_cache.clinic_cache import ClinicCache


class ChartScreen(ChartEditing):
    """One patient's chart: header, allergy banner, then problems, medications, vitals, visits.

    The edit keys and their forms come from ChartEditing.
    """

    CSS_PATH = Path(__file__).with_name("chart.tcss")
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (110, "-wide"),
    ]
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape", "back", tr("Back")),
        # Listed in help (?): the footer's room goes to the edit keys (ChartEditing).
        Binding("tab", "app.focus_next", tr("Next section"), show=False),
        # Listed in help (?); on the footer it would push the sync badge off an 80-column line.
        Binding("shift+tab", "app.focus_previous", tr("Previous section"), show=False),
    ]

    def __init__(self, cache: ClinicCache, patient_id: str, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.cache = cache
        self.patient_id = patient_id
        self.clock = clock
        self.chart: Chart | None = None
        """The chart on display; None until loaded (or when the patient does not exist)."""
        self._opening_audited = False
        """Opening the chart is audited once, not at every re-read."""

    def compose(self) -> ComposeResult:
        """Header and banner stay put; the sections scroll beneath them."""
        yield PatientHeader(id="patient-header")
        yield RecordsElsewhere(id="records-elsewhere")
        yield AllergyBanner(id="allergy-banner")
        yield Static(tr("Loading chart…"), id="chart-status")
        with VerticalScroll(id="chart-sections", can_focus=False):
            yield VisitPanel(id="visit-panel")
            yield ProblemsSection(id="problems")
            yield ProgrammesSection(id="programmes")
            yield MedicationsSection(id="medications")
            yield ReferralsSection(id="referrals")
            with Container(id="vitals-and-visits"):
                yield VitalsSection(id="vitals")
                yield VisitsSection(id="visits")
        with Vertical(id="chart-bottom"):
            # A notice takes a row of its own only while it shows (a toast would cover the
            # visits section; beside the keys it would cut them).
            yield NoticeLine(collapse=True, id="chart-notice")
            # The sync badge shares the footer's line: the chart needs every other row.
            with Horizontal(id="chart-bar"):
                # At 80 columns the footer leaves out History and Back first (both in help).
                yield KeyFooter(
                    drop_first=("history", "back"), compact=True, show_command_palette=False
                )
                yield SyncBadge(compact=True, id="chart-sync-badge")

    def on_mount(self) -> None:
        """Start reading the chart as soon as the screen is up."""
        self.add_class("-loading")
        self.query_one(VisitPanel).display = False
        self.query_one(RecordsElsewhere).display = False
        self.load_chart()
        self.load_visit()

    def on_screen_resume(self) -> None:
        """Re-read on return from a screen pushed over the chart: it may have changed records."""
        if self.chart is not None:
            self.load_chart()
            self.load_visit()

    def on_cache_changed(self, _message: CacheChanged) -> None:
        """A sync wrote records: re-read the chart (the place in it is kept)."""
        if self.chart is not None:
            self.load_chart()
            self.load_visit()

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart")
    def load_chart(self) -> Chart | None:
        """Read the chart in a thread; the result arrives through on_worker_state_changed."""
        chart = self.cache.charts.load(self.patient_id, self.clock().date())
        if chart is not None and not self._opening_audited:
            self._opening_audited = True
            try:
                self.cache.audit.chart_opened(self.patient_id)
            except Exception:  # the chart still opens; the log says why
                _log.exception("could not record the chart opening in the audit trail")
        return chart

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart-referrals")
    def load_referrals(self, with_summaries: bool = False) -> tuple[list[Any], list[Any], Any]:
        """Read this patient's referrals and follow-ups (their own section, their own worker).

        `with_summaries`: also what the referring clinic wrote in each referral received
        here, for a chart whose records are kept at that clinic (its only clinical facts).
        """
        from clinic_tui.screens.referrals import referral_store

        store = referral_store(self.cache)
        referrals = store.referrals_for_patient(self.patient_id)
        summaries = {}
        if with_summaries:
            from clinic_tui.referral.reads import read_previews

            received = [r.task_id for r in referrals if r.requester_org != self.cache.clinic.id]
            summaries = read_previews(self.cache.path, received)
        return referrals, store.follow_ups_for_patient(self.patient_id), summaries

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart-programmes")
    def load_programmes(self) -> list[ProgrammeLine]:
        """This patient's chronic programmes, each with its next date and last control."""
        from clinic_tui.screens.followup_reads import programme_lines

        return programme_lines(self.cache, self.patient_id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show the chart, or say plainly why there is none."""
        if event.worker.group == "chart-programmes" and event.state is WorkerState.SUCCESS:
            lines = event.worker.result
            if isinstance(lines, list):
                self.query_one(ProgrammesSection).show_programmes(lines, self.clock().date())
        if event.worker.group == "chart-referrals" and event.state is WorkerState.SUCCESS:
            referrals, follow_ups, summaries = event.worker.result or ([], [], {})
            self.query_one(ReferralsSection).show_referrals(
                referrals, follow_ups, self.cache.clinic.id, self.clock().date(), summaries
            )
        if event.worker.group != "chart":
            return  # ChartEditing's handler (Textual calls each class's) takes the rest
        if event.state is WorkerState.SUCCESS:
            chart = event.worker.result
            if isinstance(chart, Chart):
                self.show_chart(chart)
            else:
                self.show_status(
                    tr("No patient with id {id} in this clinic's records").format(
                        id=self.patient_id
                    )
                )
        elif event.state is WorkerState.ERROR:
            self.show_status(
                tr("Could not read the chart: {error}").format(error=event.worker.error)
            )

    def show_status(self, message: str) -> None:
        """Replace the chart with a one-line message (not found, or a read error)."""
        self.remove_class("-loading")
        self.add_class("-message")
        # The message may quote an error (or an id from a link): Text, never markup.
        self.query_one("#chart-status", Static).update(data_block(message))

    def show_chart(self, chart: Chart) -> None:
        """Hand each widget its part of `chart` and focus the first section."""
        self.chart = chart
        today = self.clock().date()
        zone = self.clock().tzinfo
        visit_today = next(
            (
                visit
                for visit in chart.visits
                if visit.queued
                and visit.started is not None
                and visit.started.astimezone(zone).date() == today
            ),
            None,
        )
        self.query_one(PatientHeader).show(chart.patient, chart.identifiers, today, visit_today)
        self.query_one(RecordsElsewhere).show(chart)
        self.query_one(AllergyBanner).show(
            chart.allergy_state, chart.allergies, chart.records_kept_at
        )
        for section in self.query(ChartSection):
            section.show(chart)
        elsewhere = chart.records_kept_at is not None
        if elsewhere:
            # The referral's summary is all this chart knows clinically: it comes first.
            sections = self.query_one("#chart-sections", VerticalScroll)
            referrals = self.query_one(ReferralsSection)
            if sections.children.index(referrals) > sections.children.index(
                self.query_one(ProblemsSection)
            ):
                sections.move_child(referrals, before=self.query_one(ProblemsSection))
        self.load_referrals(elsewhere)
        self.load_programmes()
        self.remove_class("-loading")
        self.add_class("-loaded")
        if self.focused is None:
            # First load only: a re-read keeps the user's place.
            self.query_one(ProblemsSection).focus()

    def action_back(self) -> None:
        """Return to the screen underneath (the queue)."""
        self.dismiss(None)
