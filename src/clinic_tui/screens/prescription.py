"""PrescriptionScreen: type order lines as spoken, see the checks live, override, sign, print.

Opened from the chart with `m`. The patient's header and allergy banner stay on top;
beneath them the active medications (renew r, change c, stop x), the basket of new
lines with each warning under its line, the slip type, and the order line with its
drug list. Reading the cache (formulary, patient facts, active orders), checking,
signing and printing all run in workers; typing never waits for the disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.worker import Worker, WorkerState

from clinic_tui.domain.chart_entry import CurrentVisit
from clinic_tui.domain.models import Chart
from clinic_tui.domain.untrusted import clean_line
from clinic_tui.i18n import N_, language, tr
from clinic_tui.messages import SyncCounts
from clinic_tui.prescribing.model import Basket, Severity
from clinic_tui.prescribing.prescriber import ActiveOrder, SignedSlip
from clinic_tui.prescribing.sig_words import sig_words
from clinic_tui.prescribing.slip_kinds import (
    SLIP_KIND_CODES,
    day_limit,
    needs_long_term_reason,
    slip_words,
)
from clinic_tui.screens.fresh_screen import StyledOnce
from clinic_tui.screens.order_input import OrderInput, drug_query, has_cjk
from clinic_tui.widgets.allergy_banner import AllergyBanner
from clinic_tui.widgets.cell_wrap import CellWrap
from clinic_tui.widgets.chart_sections import kept_at_words
from clinic_tui.widgets.data_text import data_block, data_text
from clinic_tui.widgets.key_footer import KeyFooter
from clinic_tui.widgets.lazy_select import LazySelect
from clinic_tui.widgets.marked_list import MarkedOptionList
from clinic_tui.widgets.notice_line import NoticeLine
from clinic_tui.widgets.order_lines import (
    drug_name,
    form_words,
    order_text,
    warning_message,
    warning_text,
)
from clinic_tui.widgets.patient_header import PatientHeader
from clinic_tui.widgets.sync_badge import SyncBadge

if TYPE_CHECKING:
    from clinic_tui.offline_cache.clinic_cache import ClinicCache
    from clinic_tui.prescribing.facts import PrescribingContext
    from clinic_tui.prescribing.formulary import Formulary
    from clinic_tui.prescribing.model import FormularyDrug, SafetyWarning
    from clinic_tui.prescribing.prescriber import Prescriber
    from clinic_tui.prescribing.printing import PreparedSlip, PrintOutcome


MAX_LINES = 5
"""Drugs per slip (处方管理办法 第六条: 每张处方不得超过5种药品)."""
REWARM_SECONDS = 2.0
"""After a slip is saved, how long before the next slip's PDF is made ahead (0.2 s of CPU)."""
SUGGESTIONS = 6
"""Drug candidates shown under the order line."""


@dataclass(frozen=True)
class Loaded:
    """What the screen reads from the cache when it opens."""

    chart: Chart | None
    visit: CurrentVisit | None
    active: list[ActiveOrder]
    formulary: Formulary
    context: PrescribingContext | None
    """None when the patient is not in the cache."""
    has_diagnosis: bool = True
    """Whether the slip will carry a 临床诊断 (the visit's, else an active problem)."""


@dataclass(frozen=True)
class Refreshed:
    """What the screen re-reads after a signature or a stop."""

    active: list[ActiveOrder]
    context: PrescribingContext | None


@dataclass(frozen=True)
class Checked:
    """The checks of one state of the basket."""

    revision: int
    warnings: list[SafetyWarning]


class ActiveList(MarkedOptionList):
    """The active medications; r renews, c changes, x stops the one under the cursor."""

    MARK_ONLY_FOCUSED = True

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("r", "screen.renew(False)", tr("Renew"), tooltip=tr("Renew the active medicine")),
        Binding("c", "screen.renew(True)", tr("Change"), tooltip=tr("Change the active medicine")),
        Binding("x", "screen.stop_active", tr("Stop"), tooltip=tr("Stop the active medicine")),
    ]


class BasketList(MarkedOptionList):
    """The lines being prescribed; e edits, x / Delete removes, o overrides a warning."""

    MARK_ONLY_FOCUSED = True

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("e", "screen.edit_line", tr("Edit"), tooltip=tr("Edit the basket line")),
        Binding("x", "screen.remove_line", tr("Remove"), tooltip=tr("Remove the basket line")),
        Binding(
            "delete",
            "screen.remove_line",
            tr("Remove"),
            show=False,
            tooltip=tr("Remove the basket line"),
        ),
        Binding(
            "o",
            "screen.override_line",
            tr("Override"),
            tooltip=tr("Override the line's warning with a reason"),
        ),
    ]


class PrescriptionScreen(StyledOnce, Screen[None]):
    """The order screen of one patient."""

    CSS_PATH = Path(__file__).with_name("prescription.tcss")
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "back", tr("Back")),
        Binding(
            "ctrl+enter",
            "sign",
            tr("Sign"),
            show=False,
            priority=True,
            tooltip=tr("Sign the prescription"),
        ),
        Binding("s", "sign", tr("Sign"), tooltip=tr("Sign the prescription")),
        # The same actions while the order line has the cursor (where s and t are typed):
        # the footer shows one key per action, so whichever works now is the one shown.
        Binding("ctrl+s", "sign", tr("Sign"), tooltip=tr("Sign the prescription")),
        Binding("p", "print_slip", tr("Print"), tooltip=tr("Print the slip")),
        Binding("a", "type_line", tr("Type a line"), show=False),
        Binding("t", "slip_type", tr("Slip type")),
        Binding("ctrl+t", "slip_type", tr("Slip type")),
    ]

    def __init__(
        self,
        cache: ClinicCache,
        patient_id: str,
        clock: Callable[[], datetime],
        *,
        printer: str | None = None,
        slips_dir: Path | None = None,
        slip_language: str = "zh",
    ) -> None:
        super().__init__()
        self.cache = cache
        self.patient_id = patient_id
        self.clock = clock
        self.printer = printer
        """[printing] printer: the lp destination; None prints nothing (the PDF is still kept)."""
        self.slips_dir = slips_dir or cache.path.parent / "slips"
        self.slip_language = slip_language
        """[printing] slip_language: the slip's language, Chinese unless set there."""
        self.basket = Basket()
        self.kind_chosen = False
        """True once the clinician picks the slip type: it then stops following the visit."""
        self.revision = 0
        """Counts basket changes, so a late check of an older basket is never shown."""
        self.warnings: list[SafetyWarning] = []
        self.checked_revision = -1
        self.changed_ids: set[str] = set()
        """Orders replaced by a changed (not renewed) line: they end `stopped`."""
        self.editing: int | None = None
        """Basket line being edited in the order line, if any."""
        self.pending_replaces: str | None = None
        """The active order a 'change' in the order line replaces."""
        self.formulary: Formulary | None = None
        self.context: PrescribingContext | None = None
        self.chart: Chart | None = None
        self.visit: CurrentVisit | None = None
        self.active: list[ActiveOrder] = []
        self.candidates: list[FormularyDrug] = []
        self.last_slip: SignedSlip | None = None
        self._printing_warmed = False
        self._sign_when_checked = False
        self._prescriber: Prescriber | None = None
        self.index_ready = False
        """True once the formulary answers completions without building its index."""
        self.has_diagnosis = True
        """Whether the slip will carry a 临床诊断; if not, signing says so first (not blocking)."""
        self.take_when_ready = False
        """Tab was pressed before completion was ready: take the first drug when it is."""
        self.clinician_name = ""
        """The signed-in clinician's name (read on mount): the 医师 on the slips signed here."""

    # ----- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Header and banner, active medications, basket, slip type, the order line."""
        # Loading until loaded(): composed so, not set on mount (a restyle of them all).
        yield PatientHeader(id="rx-header", classes="-loading")
        yield AllergyBanner(id="rx-allergies", classes="-loading")
        yield Static(tr("Loading…"), id="rx-status", classes="-loading")
        with Vertical(id="rx-body"):
            yield Static(tr("Active medications"), classes="rx-heading")
            yield ActiveList(id="rx-active")
            yield Static(tr("New prescription"), id="rx-basket-heading", classes="rx-heading")
            yield BasketList(id="rx-basket")
            with Horizontal(id="rx-slip-row"):
                yield Label(tr("Slip"), classes="rx-label")
                kinds = [(_kind_words(code), code) for code in SLIP_KIND_CODES]
                yield LazySelect(
                    kinds, value=SLIP_KIND_CODES[0], allow_blank=False, compact=True, id="rx-kind"
                )
                yield Input(compact=True, id="rx-long-term")
            yield OrderInput(
                placeholder=tr("Type a line: drug dose route frequency days"),
                compact=True,
                id="rx-line",
            )
            suggestions = MarkedOptionList(id="rx-suggestions")
            suggestions.can_focus = False  # driven from the order line: Tab never lands here
            yield suggestions
            yield Static("", id="rx-problems")
        with Vertical(id="rx-bottom"):
            # A row of its own while a notice shows: beside the keys it would cut them.
            yield NoticeLine(collapse=True, id="rx-notice")
            with Horizontal(id="rx-bar"):
                # Sign and the slip type stay while a line is typed: the way to the basket
                # (↓, also said in help) gives up its place first.
                yield KeyFooter(
                    compact=True, show_command_palette=False, drop_first=("screen.to_basket",)
                )
                yield SyncBadge(compact=True, id="rx-sync-badge")

    def on_mount(self) -> None:
        """Read what the screen needs; the order line takes the cursor at once."""
        self.query_one("#rx-suggestions").display = False
        self.query_one("#rx-problems").display = False
        self.query_one("#rx-long-term").display = False
        self.show_basket()
        self.query_one("#rx-line").focus()
        self.clinician_name = self._signed_in_name()
        self.load()

    def _signed_in_name(self) -> str:
        """The name of the clinician signed in at the workstation, if they are the one writing."""
        # ClinicApp.signed_in: none where no clinicians are registered (the clinic signs).
        user = getattr(self.app, "signed_in", None)
        if user is None or getattr(user, "practitioner_id", None) != self.cache.practitioner_id:
            return ""
        return str(getattr(user, "name", "") or "")

    def help_bindings(self) -> list[Binding]:
        """Every key of the screen, whichever part has the cursor: help lists them all."""
        return [*self.BINDINGS, *BasketList.BINDINGS, *ActiveList.BINDINGS]

    # ----- reading -----------------------------------------------------------------------------

    def prescriber(self) -> Prescriber:
        """The signing service (built in a worker: it needs the ORM)."""
        if self._prescriber is None:
            from clinic_tui.prescribing.prescriber import Prescriber

            cache = self.cache
            self._prescriber = Prescriber(
                cache.engine,
                cache.clinic,
                cache.practitioner_id,
                practitioner_name=self.clinician_name,
            )
        return self._prescriber

    @work(thread=True, exclusive=True, exit_on_error=False, group="rx-load")
    def load(self) -> Loaded:
        """Chart, today's visit, active orders, formulary and the patient's facts."""
        today = self.clock().date()
        prescriber = self.prescriber()
        chart = self.cache.charts.load(self.patient_id, today)
        visit = self.cache.chart_edits.current_visit(self.patient_id, today)
        formulary = self._formulary()
        encounter = visit.encounter_id if visit else None
        return Loaded(
            chart=chart,
            visit=visit,
            active=prescriber.active_orders(self.patient_id),
            formulary=formulary,
            context=self._read_context(formulary),
            has_diagnosis=bool(prescriber.slip_diagnoses(self.patient_id, encounter)),
        )

    def _formulary(self) -> Formulary:
        """The cache's formulary (starter and a hospital's imports); the starter alone while
        the cache holds none yet (the app loads it at start, a moment after the first screen)."""
        from clinic_tui.prescribing.formulary_store import formulary_in_cache

        return formulary_in_cache(self.cache.path)

    def _read_context(self, formulary: Formulary) -> PrescribingContext | None:
        from clinic_tui.prescribing.context_reader import read_context

        return read_context(
            self.cache.engine,
            self.patient_id,
            self.clock().date(),
            formulary,
            clinic_id=self.cache.scope_clinic_id,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="rx-refresh")
    def refresh_orders(self, formulary: Formulary) -> Refreshed:
        """Active orders and patient facts again, after a signature or a stop."""
        self.app.post_message(SyncCounts(pending=self.cache.pending_changes()))
        return Refreshed(
            active=self.prescriber().active_orders(self.patient_id),
            context=self._read_context(formulary),
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Each worker's result to its part of the screen; a failure said in words."""
        group, result = event.worker.group, event.worker.result
        if event.state is WorkerState.ERROR:
            self.failed(group, event.worker.error)
            return
        if event.state is not WorkerState.SUCCESS:
            return
        if group == "rx-load" and isinstance(result, Loaded):
            self.loaded(result)
        elif group == "rx-refresh" and isinstance(result, Refreshed):
            self.active, self.context = result.active, result.context
            self.show_active()
            self.run_checks()
        elif group == "rx-index":
            self.index_built()
        elif group == "rx-check" and isinstance(result, Checked):
            self.checked(result)
        elif group == "rx-sign" and isinstance(result, SignedSlip):
            self.signed(result)
        elif group == "rx-stop" and isinstance(result, str):
            self.notify(tr("Stopped: {drug}").format(drug=result), timeout=6)
            self.reread_orders()
        elif group == "rx-print" and result is not None:
            from clinic_tui.prescribing.printing import PreparedSlip

            if isinstance(result, PreparedSlip):  # ask first if need be, then draw it
                self.prepared(result)
            else:
                self.printed(result)

    def failed(self, group: str, error: BaseException | None) -> None:
        """Say what went wrong; nothing typed is lost."""
        messages = {
            "rx-sign": N_("Could not sign: {error}"),
            "rx-stop": N_("Could not stop: {error}"),
            "rx-print": N_("Could not make the slip: {error}"),
        }
        message = messages.get(group, N_("Could not read: {error}"))
        self.notify(tr(message).format(error=tr(str(error))), severity="error", timeout=10)
        if group == "rx-load":
            self.query_one("#rx-status", Static).update(data_block(tr(message).format(error=error)))

    def loaded(self, loaded: Loaded) -> None:
        """Fill the header, banner and lists; the checks run on what is in the basket."""
        self.formulary, self.context = loaded.formulary, loaded.context
        self.has_diagnosis = loaded.has_diagnosis
        self.chart, self.visit, self.active = loaded.chart, loaded.visit, loaded.active
        for widget in self.query("#rx-header, #rx-allergies, #rx-status"):
            widget.remove_class("-loading")
        if loaded.chart is None:
            self.query_one("#rx-status", Static).update(
                data_text(
                    tr("No patient with id {id} in this clinic's records").format(
                        id=self.patient_id
                    )
                )
            )
            self.add_class("-message")
            return
        today = self.clock().date()
        zone = self.clock().tzinfo
        visit_today = next(
            (
                v
                for v in loaded.chart.visits
                if v.queued and v.started is not None and v.started.astimezone(zone).date() == today
            ),
            None,
        )
        chart = loaded.chart
        self.query_one(PatientHeader).show(chart.patient, chart.identifiers, today, visit_today)
        self.query_one(AllergyBanner).show(
            chart.allergy_state, chart.allergies, chart.records_kept_at
        )
        self.show_active()
        self.follow_visit()
        self.run_checks()
        self.say_checks_off()
        if loaded.formulary.index_ready:
            # The cache keeps each drug's pinyin keys: completion is ready as it stands.
            self.index_built()
        else:
            self.build_index(loaded.formulary)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rx-warm")
    def _warm_printing(self) -> None:
        """Once a line is in the basket, while the rest are typed: the slip's font and PDF
        library (a first slip waited seconds for them)."""
        try:
            from clinic_tui.prescribing.printing import prepare_slip  # noqa: F401
            from clinic_tui.prescribing.slip import warm_slip_font

            warm_slip_font()
        except Exception:  # only a head start: printing says what is wrong, when asked
            logging.getLogger(__name__).debug("could not warm up the slip", exc_info=True)

    def say_checks_off(self) -> None:
        """Say which checks cannot run for want of an age or a weight (it stays up)."""
        off = self.context.checks_off() if self.context is not None else None
        if off is not None:
            message = off[1] if language() == "zh" else off[0]
            self.query_one("#rx-notice", NoticeLine).show(message, "warning", timeout=None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rx-index")
    def build_index(self, formulary: Formulary) -> bool:
        """A formulary without stored pinyin keys (the starter alone, when the cache's could
        not be read) builds them on its first completion, a second or more on an old PC:
        here, after the screen is filled, never on a key typed."""
        formulary.complete("a")
        return True

    def index_built(self) -> None:
        """Completion is ready: offer drugs for what was typed, take one if Tab was pressed."""
        self.index_ready = True
        if self.take_when_ready and self.formulary is not None:
            typed = self.query_one("#rx-line", OrderInput).value
            digit = next((i for i, ch in enumerate(typed) if ch.isdigit()), len(typed))
            words = typed[:digit].split()
            found = self.formulary.complete(words[0]) if words else []
            if found:
                self.take_drug(found[0])
        self.take_when_ready = False
        self.update_suggestions()

    def reread_orders(self) -> None:
        """Re-read the active orders and the patient's facts (once the formulary is in)."""
        if self.formulary is not None:
            self.refresh_orders(self.formulary)

    # ----- the active medications ----------------------------------------------------------------

    def show_active(self) -> None:
        """One row per active order: name, dosage, date, * when unsynced."""
        listing = self.query_one("#rx-active", ActiveList)
        kept_at = self.chart.records_kept_at if self.chart is not None else None
        if not self.active and kept_at is not None:
            # A referred patient's medicines are at its own clinic: "none active" would mislead.
            listing.show_rows([(Text(kept_at_words(kept_at), style="italic"), None, False)])
            return
        if not self.active:
            listing.show_rows([(Text(tr("None active"), style="dim"), None, False)])
            return
        rows: list[tuple[RenderableType, str | None, bool]] = []
        for order in self.active:
            # The record's words: controls made visible, never markup.
            text = data_text(order.name, "bold")
            if order.pending:
                text.append(" *")
            text.append_text(data_text(f"  {sig_words(order.dosage, language())}"))
            if order.authored_on is not None:
                text.append(f"  {order.authored_on.isoformat()}", style="dim")
            rows.append((text, order.id, True))
        listing.show_rows(rows)

    def highlighted_active(self) -> ActiveOrder | None:
        """The active order under the cursor, when the active list has it."""
        listing = self.query_one("#rx-active", OptionList)
        if listing.highlighted is None or not self.active:
            return None
        return self.active[min(listing.highlighted, len(self.active) - 1)]

    # ----- the basket ----------------------------------------------------------------------------

    def show_basket(self) -> None:
        """Each line with its warnings beneath it; a count of warnings in the heading."""
        listing = self.query_one("#rx-basket", BasketList)
        heading = tr("New prescription")
        heading += f" · {_kind_words(self.basket.kind)}"
        if self.basket.lines:
            heading += f" · {self.warning_summary()}"
        self.query_one("#rx-basket-heading", Static).update(Text(heading))
        rows: list[tuple[RenderableType, str | None, bool]] = []
        if not self.basket.lines:
            hint = tr("No lines yet: type one below, e.g. amox 500mg po tid 7d")
            rows.append((Text(hint, "dim"), None, False))
        current = self.checked_revision == self.revision
        for index, order in enumerate(self.basket.lines):
            # Wrapped in cells: a Chinese warning breaks between characters, never cut by '…'.
            parts: list[RenderableType] = [
                CellWrap(order_text(index, order, changed=order.replaces in self.changed_ids))
            ]
            for warning in self.warnings if current else []:
                if warning.line == index:
                    override = self.basket.overrides.get(warning.key)
                    parts.append(Padding(CellWrap(warning_text(warning, override)), (0, 0, 0, 3)))
            rows.append((Group(*parts), f"line-{index}", True))
        listing.show_rows(rows)
        self.update_long_term()

    def warning_summary(self) -> str:
        """'Checking…', 'No warnings' or the count of each severity, in words."""
        if self.checked_revision != self.revision:
            return tr("Checking…")
        if not self.warnings:
            return tr("No warnings")
        count = {s: sum(w.severity is s for w in self.warnings) for s in Severity}
        return tr("{high} high, {moderate} moderate, {info} for information").format(
            high=count[Severity.HIGH], moderate=count[Severity.MODERATE], info=count[Severity.INFO]
        )

    def basket_changed(self) -> None:
        """Redraw and check the basket again (a narcotic line may change the slip type)."""
        self.follow_visit()
        self.revision += 1
        self.show_basket()
        self.run_checks()
        if self.basket.lines and not self._printing_warmed:
            # Not while the screen opens: the warm-up's imports would hold up its own.
            self._printing_warmed = True
            self._warm_printing()

    def run_checks(self) -> None:
        """Check the basket in a worker once the patient's facts are read."""
        if self.context is None:
            return
        lines = list(self.basket.lines)
        basket = Basket(
            lines=lines,
            overrides=dict(self.basket.overrides),
            kind=self.basket.kind,
            long_term_reason=self.basket.long_term_reason,
        )
        self._check(basket, self.context, self.revision)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rx-check")
    def _check(self, basket: Basket, context: PrescribingContext, revision: int) -> Checked:
        from clinic_tui.prescribing.checks import check_basket

        if not basket.lines:
            return Checked(revision, [])
        return Checked(revision, list(check_basket(basket, context, self.clock().date())))

    def checked(self, result: Checked) -> None:
        """Show the warnings of the basket as it is now (an older basket's are dropped)."""
        if result.revision != self.revision:
            return
        self.warnings = result.warnings
        self.checked_revision = result.revision
        self.show_basket()
        if self._sign_when_checked:
            self._sign_when_checked = False
            self.action_sign()

    def highlighted_line(self) -> int | None:
        """The basket line under the cursor."""
        listing = self.query_one("#rx-basket", OptionList)
        if listing.highlighted is None or not self.basket.lines:
            return None
        return min(listing.highlighted, len(self.basket.lines) - 1)

    # ----- the order line ------------------------------------------------------------------------

    @on(Input.Changed, "#rx-line")
    def update_suggestions(self) -> None:
        """Offer drugs from the formulary while the drug part is being typed."""
        line = self.query_one("#rx-line", OrderInput)
        query = drug_query(line.value)
        drugs: list[FormularyDrug] = []
        line.waiting = query is not None and not self.index_ready
        if query is not None and self.formulary is not None and self.index_ready:
            drugs = list(self.formulary.complete(query))[:SUGGESTIONS]
            if any(query in (d.name_zh, d.name_en, d.name_en.lower()) for d in drugs):
                drugs = []  # the name is whole: no list in the way of the dose
        self.candidates = drugs
        listing = self.query_one("#rx-suggestions", MarkedOptionList)
        rows: list[tuple[RenderableType, str | None, bool]] = []
        for drug in drugs:
            text = data_text(drug_name(drug), "bold")  # the imported formulary's words
            strengths = ", ".join(
                f"{p.strength:g} {p.strength_unit} {form_words(p.form)}" for p in drug.products[:3]
            )
            if strengths:
                text.append(f"  {strengths}", style="dim")
            rows.append((text, None, True))
        listing.show_rows(rows)
        if drugs:
            listing.highlighted = 0
        listing.display = bool(drugs)
        line.suggesting = bool(drugs)
        problems = self.query_one("#rx-problems", Static)
        problems.display = False

    def on_order_input_move(self, event: OrderInput.Move) -> None:
        """↑ ↓ in the order line move through the drugs."""
        listing = self.query_one("#rx-suggestions", OptionList)
        if not self.candidates:
            return
        current = listing.highlighted or 0
        listing.highlighted = (current + event.delta) % len(self.candidates)

    def on_order_input_take(self, _event: OrderInput.Take) -> None:
        """Tab or →: the highlighted drug's name replaces what was typed of it."""
        listing = self.query_one("#rx-suggestions", OptionList)
        if not self.candidates:
            self.take_when_ready = not self.index_ready
            return
        drug = self.candidates[listing.highlighted or 0]
        self.take_drug(drug)

    @on(OptionList.OptionSelected, "#rx-suggestions")
    def suggestion_clicked(self, event: OptionList.OptionSelected) -> None:
        """A drug chosen from the list with the mouse or Enter."""
        if event.option_index < len(self.candidates):
            self.take_drug(self.candidates[event.option_index])

    def take_drug(self, drug: FormularyDrug) -> None:
        """Put the drug's name in place of what was typed of it; anything typed after stays."""
        line = self.query_one("#rx-line", OrderInput)
        typed = line.value
        chinese = has_cjk(typed) or language() == "zh"
        name = drug.name_zh if chinese and drug.name_zh else drug.name_en
        digit = next((i for i, ch in enumerate(typed) if ch.isdigit()), len(typed))
        rest = typed[digit:]
        if rest:
            # Typed ahead of the list (Tab, then the dose): the last word before the dose
            # may be a route or frequency word already; only the first word is the drug.
            head = typed[:digit].split(maxsplit=1)
            rest = (head[1] + rest) if len(head) > 1 else rest
        line.value = f"{name} {rest.lstrip()}" if rest else f"{name} "
        line.cursor_position = len(line.value) if rest else len(name) + 1
        line.focus()

    @on(Input.Submitted, "#rx-line")
    def line_entered(self, event: Input.Submitted) -> None:
        """Enter: a readable line joins the basket; an unreadable one stays, with its problems."""
        from clinic_tui.prescribing.order_line import parse_order_line

        text = event.value.strip()
        if not text:
            return
        if self.formulary is None:
            self.notify(tr("The formulary is still loading"))
            return
        parsed = parse_order_line(text, self.formulary)
        if parsed.order is None:
            self.show_problems(parsed.problems)
            return
        order = parsed.order
        if self.editing is not None and self.editing < len(self.basket.lines):
            order = replace(order, replaces=self.basket.lines[self.editing].replaces)
            self.basket.lines[self.editing] = order
            index = self.editing
        else:
            if len(self.basket.lines) >= MAX_LINES:
                self.notify(
                    tr("A slip holds at most 5 lines: remove one first"), severity="warning"
                )
                return
            if self.pending_replaces is not None:
                order = replace(order, replaces=self.pending_replaces)
                self.changed_ids.add(self.pending_replaces)
            self.basket.lines.append(order)
            index = len(self.basket.lines) - 1
        self.editing = None
        self.pending_replaces = None
        event.input.value = ""
        self.show_problems(())
        self.basket_changed()
        self.query_one("#rx-basket", OptionList).highlighted = index

    def show_problems(self, problems: tuple[str, ...] | list[str]) -> None:
        """The parser's words for what it could not read, under the line."""
        widget = self.query_one("#rx-problems", Static)
        if not problems:
            widget.display = False
            return
        text = Text(f"! {tr('Could not read this line:')} ", style="bold")
        text.append_text(data_text("; ".join(tr(p) for p in problems)))
        widget.update(text)
        widget.display = True

    def cancel_edit(self) -> bool:
        """Esc in the order line while editing: the basket line stays as it was."""
        if self.focused is not self.query_one("#rx-line"):
            return False
        if self.editing is None and self.pending_replaces is None:
            return False
        self.editing = None
        self.pending_replaces = None
        self.query_one("#rx-line", OrderInput).value = ""
        self.show_problems(())
        return True

    # ----- slip type and long-term reason -----------------------------------------------------

    @on(Select.Changed, "#rx-kind")
    def kind_changed(self, event: Select.Changed) -> None:
        """A new slip type: its day limit may now ask for a reason."""
        if str(event.value) != self.basket.kind:
            # Chosen by the clinician (follow_visit sets the basket's kind first): from now
            # on the slip type no longer follows the visit and the lines.
            self.kind_chosen = True
        self.basket.kind = str(event.value)
        self.basket_changed()

    @on(Input.Changed, "#rx-long-term")
    def long_term_changed(self, event: Input.Changed) -> None:
        """The reason is kept as typed (and re-checked)."""
        self.basket.long_term_reason = event.value
        self.revision += 1
        self.run_checks()

    def long_term_needed(self) -> bool:
        """True when a line's days exceed the slip type's limit."""
        return needs_long_term_reason(self.basket.kind, self.basket.lines)

    def update_long_term(self) -> None:
        """Show the reason field only when the supply needs one."""
        field = self.query_one("#rx-long-term", Input)
        needed = self.long_term_needed() or bool(self.basket.long_term_reason)
        days = day_limit(self.basket.kind)
        field.placeholder = f"{tr('Long-term reason')}: " + tr(
            "why more than {days} days (chronic disease, elderly…)"
        ).format(days=days)
        field.display = needed

    # ----- keys on the lists ---------------------------------------------------------------------

    def action_type_line(self) -> None:
        """a: to the order line."""
        self.query_one("#rx-line").focus()

    def action_to_basket(self) -> None:
        """↓ from the order line: to the basket's lines."""
        basket = self.query_one("#rx-basket", OptionList)
        basket.focus()
        if basket.highlighted is None and self.basket.lines:
            basket.highlighted = 0

    def action_slip_type(self) -> None:
        """t: to the slip type."""
        self.query_one("#rx-kind").focus()

    def follow_visit(self) -> None:
        """The slip type the visit and the lines call for (急诊 for an emergency visit, 儿科
        for a child, 麻、精一 for a narcotic line; the strictest wins), unless the clinician
        chose one with t."""
        if self.kind_chosen:
            return
        from clinic_tui.prescribing.slip_kinds import slip_kind_for

        priority = self.visit.priority if self.visit is not None else None
        age = self.context.age_years if self.context is not None else None
        kind = slip_kind_for(priority, age, self.basket.lines)
        if kind == self.basket.kind:
            return
        self.basket.kind = kind
        self.query_one("#rx-kind", Select).value = kind
        self.revision += 1
        self.show_basket()

    def action_edit_line(self) -> None:
        """e on a basket line: back into the order line to be changed."""
        index = self.highlighted_line()
        if index is None:
            return
        self.editing = index
        self.pending_replaces = None
        line = self.query_one("#rx-line", OrderInput)
        line.value = clean_line(self.basket.lines[index].text)
        line.cursor_position = len(line.value)
        line.focus()
        self.notify(
            tr("Editing line {n}: Enter keeps the change, Esc leaves it as it was").format(
                n=index + 1
            )
        )

    def action_remove_line(self) -> None:
        """x / Delete on a basket line: off the basket (its override goes with it)."""
        index = self.highlighted_line()
        if index is None:
            return
        removed = self.basket.lines.pop(index)
        if removed.replaces:
            self.changed_ids.discard(removed.replaces)
        if self.editing is not None:
            self.editing = None
            self.query_one("#rx-line", OrderInput).value = ""
        keep = {w.key for w in self.warnings if w.line != index}
        self.basket.overrides = {k: v for k, v in self.basket.overrides.items() if k in keep}
        self.basket_changed()

    def action_override_line(self) -> None:
        """o on a basket line: the reason for its first high-severity warning."""
        index = self.highlighted_line()
        if index is None:
            return
        for warning in self.open_warnings():
            if warning.line == index:
                self.ask_override(warning, then_sign=False)
                return
        for warning in self.warnings:
            if warning.line == index and warning.severity is Severity.HIGH:
                self.ask_override(warning, then_sign=False)
                return

    def open_warnings(self) -> list[SafetyWarning]:
        """High-severity warnings not yet overridden (rx-checks' rule of what blocks)."""
        from clinic_tui.prescribing.overrides import unresolved

        return list(unresolved(self.warnings, self.basket.overrides))

    def ask_override(self, warning: SafetyWarning, *, then_sign: bool) -> None:
        """The override dialog for one warning; on an answer, record it (and sign on).

        A warning no reason overrides (a likely unit error) opens no dialog: the line is to
        be typed again, and the cursor goes to it."""
        from clinic_tui.prescribing.overrides import REASONS

        if not warning.overridable:
            self.query_one("#rx-basket", OptionList).highlighted = warning.line
            self.query_one("#rx-basket").focus()
            self.notify(
                tr("Line {n}: {why}").format(n=warning.line + 1, why=warning_message(warning)),
                severity="error",
                timeout=10,
            )
            return
        from clinic_tui.screens.prescription_dialogs import OverrideDialog

        drug = drug_name(self.basket.lines[warning.line].drug)
        by = self.prescriber().requester()["reference"] if self._prescriber else ""
        current = self.basket.overrides.get(warning.key)

        def answered(override: Any) -> None:
            if override is None:
                self.query_one("#rx-basket", OptionList).highlighted = warning.line
                self.query_one("#rx-basket").focus()
                self.notify(
                    tr("Line {n} is not signed: change the order or override its warning").format(
                        n=warning.line + 1
                    ),
                    severity="warning",
                )
                return
            self.basket.overrides[override.warning_key] = override
            self.show_basket()
            if then_sign:
                self.action_sign()

        self.app.push_screen(OverrideDialog(warning, drug, REASONS, by, current), answered)

    # Active medications: renew, change, stop.

    def action_renew(self, change: bool) -> None:
        """r / c on an active order: a new order from it joins the basket (c: to be edited)."""
        from clinic_tui.prescribing.medication_request import draft_from_medication_request

        order = self.highlighted_active()
        if order is None or self.formulary is None:
            return
        if any(line.replaces == order.id for line in self.basket.lines):
            self.notify(tr("{drug} is already in the prescription").format(drug=order.name))
            return
        draft = draft_from_medication_request(order.resource, self.formulary)
        line = self.query_one("#rx-line", OrderInput)
        if draft is None:
            # The record's words, to be edited: controls made visible (a line, never markup).
            line.value = clean_line(f"{order.name} {order.dosage}".strip())
            line.cursor_position = len(line.value)
            self.pending_replaces = order.id
            line.focus()
            self.notify(tr("{drug} is not in the formulary: type the line").format(drug=order.name))
            return
        if change:
            self.pending_replaces = order.id
            self.editing = None
            line.value = clean_line(draft.text)
            line.cursor_position = len(line.value)
            line.focus()
            self.notify(tr("Change the line, then Enter"))
            return
        if len(self.basket.lines) >= MAX_LINES:
            self.notify(tr("A slip holds at most 5 lines: remove one first"), severity="warning")
            return
        self.basket.lines.append(replace(draft, replaces=order.id))
        self.basket_changed()

    def action_stop_active(self) -> None:
        """x on an active order: ask why, then stop it."""
        from clinic_tui.screens.prescription_dialogs import StopDialog

        order = self.highlighted_active()
        if order is None:
            return

        def answered(reason: str | None) -> None:
            if reason:
                self._stop(order.id, order.name, reason)

        self.app.push_screen(StopDialog(order.name), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rx-stop")
    def _stop(self, request_id: str, name: str, reason: str) -> str:
        self.prescriber().stop(request_id, reason)
        return name

    # ----- signing -------------------------------------------------------------------------------

    def action_sign(self) -> None:
        """s / ctrl+enter: overrides for what blocks, a reason for a long supply, confirm, sign."""
        if not self.basket.lines:
            self.notify(tr("Nothing to sign: the prescription has no lines"), severity="warning")
            return
        if self.long_term_needed() and not self.basket.long_term_reason.strip():
            days = day_limit(self.basket.kind)
            self.notify(
                tr("Say why the supply goes beyond {days} days (long-term reason)").format(
                    days=days
                ),
                severity="warning",
            )
            self.query_one("#rx-long-term").focus()
            return
        if self.checked_revision != self.revision:
            self._sign_when_checked = True
            self.run_checks()
            return
        blocking = self.open_warnings()
        if blocking:
            self.ask_override(blocking[0], then_sign=True)
            return
        from clinic_tui.screens.discard_dialog import ConfirmScreen

        name = self.chart.patient.name if self.chart else self.patient_id
        question = tr("Sign the prescription of {name}? Lines: {count}").format(
            count=len(self.basket.lines), name=name
        )
        if not self.has_diagnosis:
            # 处方管理办法 asks for a 临床诊断 on the slip: said before signing, not blocking
            # (an emergency or a repeat may be signed first and the diagnosis added after).
            self.notify(
                tr('No diagnosis: the slip will read "not recorded"; add one to the visit first'),
                severity="information",
                timeout=10,
            )
            question = tr("The slip will carry no diagnosis. {question}").format(question=question)

        def answered(yes: bool | None) -> None:
            if yes:
                self._sign(self.snapshot(), list(self.warnings), set(self.changed_ids))

        self.app.push_screen(ConfirmScreen(question), answered)

    def snapshot(self) -> Basket:
        """A copy of the basket as it is signed."""
        basket = self.basket
        return Basket(
            list(basket.lines), dict(basket.overrides), basket.kind, basket.long_term_reason.strip()
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="rx-sign")
    def _sign(self, basket: Basket, warnings: list[SafetyWarning], changed: set[str]) -> SignedSlip:
        encounter = self.visit.encounter_id if self.visit else None
        return self.prescriber().sign(
            self.patient_id, encounter, basket, warnings, self.clock(), changed
        )

    def signed(self, slip: SignedSlip) -> None:
        """Empty the basket, re-read the active orders, offer the slip for printing."""
        self.last_slip = slip
        self.basket = Basket(kind=self.basket.kind)
        self.changed_ids.clear()
        self.warnings = []
        self.query_one("#rx-long-term", Input).value = ""
        self.basket_changed()
        self.notify(tr("Signed, lines: {count}. p prints the slip").format(count=len(slip.lines)))
        self.reread_orders()

    # ----- printing ------------------------------------------------------------------------------

    def action_print_slip(self) -> None:
        """p: the slip just signed, or the one of the active order under the cursor."""
        group = self.last_slip.group_id if self.last_slip else None
        if self.focused is self.query_one("#rx-active"):
            order = self.highlighted_active()
            group = order.group_id if order is not None and order.group_id else group
        if group is None:
            self.notify(
                tr("Nothing to print: sign a prescription, or choose a signed one above"),
                severity="warning",
            )
            return
        self.notify(tr("Printing…"), timeout=30)
        self._prepare(group)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rx-print")
    def _prepare(self, group_id: str) -> PreparedSlip:
        from clinic_tui.prescribing.printing import prepare_slip

        chart, formulary = self.chart, self.formulary
        if chart is None or formulary is None:
            raise LookupError(tr("Loading…"))
        slip = self.last_slip
        return prepare_slip(
            self.prescriber(),
            chart,
            group_id,
            formulary,
            self.clock(),
            self.slips_dir,
            lang=self.slip_language,
            orders=slip.lines if slip is not None and slip.group_id == group_id else None,
        )

    def prepared(self, slip: PreparedSlip) -> None:
        """Print; first, when the font lacks characters of the name or diagnosis, say which
        (they print as □, to be written by hand) and let the clinician print or cancel."""
        if not slip.glyph_problems:
            self._print(slip)
            return
        from clinic_tui.screens.discard_dialog import ConfirmScreen

        fields = [
            tr("the name") if "name" in slip.glyph_problems else "",
            tr("the diagnosis") if "diagnosis" in slip.glyph_problems else "",
        ]
        question = tr(
            "The slip's font cannot print {chars} of {fields}: they will print as □, to be "
            "written by hand. Print anyway?"
        ).format(chars=_named_chars(slip.missing), fields=tr(" and ").join(f for f in fields if f))

        def answered(yes: bool | None) -> None:
            if yes:
                self._print(slip)
            else:
                self.notify(tr("Not printed"), timeout=6)

        self.app.push_screen(ConfirmScreen(question, tr("y: print   n / Esc: cancel")), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rx-print")
    def _print(self, slip: PreparedSlip) -> PrintOutcome:
        from clinic_tui.prescribing.printing import print_prepared

        return print_prepared(slip, self.printer)

    def printed(self, outcome: PrintOutcome) -> None:
        """Say where the PDF is, and whether it went to the printer."""
        problem = outcome.problem(language() == "zh")
        if problem:
            message = tr("Slip saved: {path}; {reason}").format(path=outcome.path, reason=problem)
            self.notify(message, severity="warning", timeout=15)
        elif outcome.printer:
            message = tr("Slip saved: {path}; sent to printer {printer}").format(
                path=outcome.path, printer=outcome.printer
            )
            self.notify(message, timeout=15)
        else:
            self.notify(tr("Slip saved: {path}").format(path=outcome.path), timeout=15)
        # The next slip's PDF, made while this one's notice is read (not while it is drawn).
        self.set_timer(REWARM_SECONDS, self._warm_printing)

    # ----- leaving -------------------------------------------------------------------------------

    def action_back(self) -> None:
        """Back to the chart; an unsigned basket is only dropped when the user says so."""
        if self.cancel_edit():
            return
        if not self.basket.lines:
            self.dismiss(None)
            return
        from clinic_tui.screens.discard_dialog import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                tr("Discard the unsigned prescription?"), tr("y: discard   n / Esc: keep it")
            ),
            answered,
        )


NAMED_CHARS = 8
"""Missing characters named one by one in the warning; the rest are counted."""


def _named_chars(chars: str) -> str:
    """ئ (U+0626), ا (U+0627)...: each with its code point, for a terminal that cannot draw it."""
    separator = "、" if language() == "zh" else ", "
    named = separator.join(f"{char} (U+{ord(char):04X})" for char in chars[:NAMED_CHARS])
    more = len(chars) - NAMED_CHARS
    return named + (tr(" and {n} more").format(n=more) if more > 0 else "")


def _kind_words(code: str) -> str:
    english, chinese = slip_words(code)
    return chinese if language() == "zh" else f"{english.capitalize()} {chinese}"
