"""Opening the 随访 form and the referral it may propose, from the follow-up list or the chart.

Both places read the same things first (in a worker): the patient's programmes, earlier
visits, current medications and last height; and both hand a proposed referral to the
existing refer form with the visit's values at the top of its summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from clinic_tui.domain.ages import age_in_years
from clinic_tui.followup.model import FollowUpVisit, Programme
from clinic_tui.i18n import add_translations, tr
from clinic_tui.widgets.data_text import name_text

if TYPE_CHECKING:
    from clinic_tui.followup.registry import ChronicRegistry
    from clinic_tui.offline_cache.clinic_cache import ClinicCache
    from clinic_tui.screens.followup_form import FollowUpForm
    from clinic_tui.widgets.programme_section import ProgrammeLine

add_translations(
    {
        "{name} is not enrolled in a programme: press e on the chart": (
            "{name} 未纳入慢病管理：在病历中按 e 登记"
        ),
        "Refer {name} now? {why}": "现在转诊 {name}？{why}",
        "y: open the referral   n / Esc: not now": "y：填写转诊单   n / Esc：暂不",
    }
)


def refused_in_words(run: Callable[[], object]) -> None:
    """Run a registry write; a refusal (RegistryError) is shown in the form in the user's
    language, as the chart's own refusals are (ChartEditError)."""
    from clinic_tui.offline_cache.chart_edits import ChartEditError

    try:
        run()
    except ValueError as refused:
        message = getattr(refused, "message", None)
        if callable(message):
            raise ChartEditError(str(message())) from refused
        raise


def chronic_registry(cache: ClinicCache) -> ChronicRegistry:
    """The chronic-disease registry of `cache`'s clinic (built on use: it loads the ORM)."""
    from clinic_tui.followup.registry import ChronicRegistry

    return ChronicRegistry(cache.engine, cache.clinic, cache.practitioner_id)


def programme_lines(cache: ClinicCache, patient_id: str) -> list[ProgrammeLine]:
    """The chart section's lines: each enrolment with its last visit and next date."""
    from clinic_tui.widgets.programme_section import ProgrammeLine

    registry = chronic_registry(cache)
    lines = []
    visits = registry.visits(patient_id)  # newest first
    for enrolment in registry.enrolments(patient_id):
        last = next((v for v in visits if enrolment.programme in v.programmes), None)
        lines.append(
            ProgrammeLine(
                enrolment,
                next_due=last.next_due if last is not None else None,
                last_visit=last.when.date() if last is not None else None,
                last_control=last.control if last is not None else None,
            )
        )
    return lines


@dataclass(frozen=True)
class VisitFormData:
    """What the 随访 form starts from, read from the cache before it opens."""

    patient_id: str
    patient_name: str
    programmes: tuple[Programme, ...]
    previous: tuple[FollowUpVisit, ...]
    """Earlier visits, newest first (the rules look at the last ones)."""
    medications: tuple[str, ...]
    """The chart's current medications, one line each (read-only on the form)."""
    height_cm: float | None
    """The chart's last height, for BMI."""
    age_years: int | None = None
    """For the rules' age-specific targets (80 and over)."""


def read_visit_form_data(cache: ClinicCache, patient_id: str, now: datetime) -> VisitFormData:
    """Everything the form needs (run it in a worker thread); LookupError when not enrolled."""
    registry = chronic_registry(cache)
    programmes = tuple(sorted({e.programme for e in registry.enrolments(patient_id) if e.active}))
    chart = cache.charts.load(patient_id, now.date())
    name = chart.patient.name if chart is not None else ""
    if not programmes:
        raise LookupError(
            tr("{name} is not enrolled in a programme: press e on the chart").format(
                name=name_text(name).plain
            )
        )
    medications = tuple(
        f"{m.name} {m.dosage}".strip() for m in (chart.medications if chart else [])
    )
    return VisitFormData(
        patient_id=patient_id,
        patient_name=name,
        programmes=programmes,
        previous=tuple(registry.visits(patient_id)),
        medications=medications,
        height_cm=cache.chart_edits.last_height(patient_id),
        age_years=age_in_years(chart.patient.birth_date, now.date()) if chart else None,
    )


def visit_form(cache: ClinicCache, data: VisitFormData, now: datetime) -> FollowUpForm:
    """The 随访 form for `data`, saving through the registry (build it on the UI thread)."""
    from clinic_tui.screens.followup_form import FollowUpForm

    registry = chronic_registry(cache)
    return FollowUpForm(data, registry.record_visit, cache.practitioner_id, now)


def offer_referral(
    screen: Screen[Any],
    cache: ClinicCache,
    form: FollowUpForm,
    clock: Callable[[], datetime],
) -> None:
    """After a visit the rules say to refer: ask, then open the refer form with its values."""
    from clinic_tui.screens.discard_dialog import ConfirmScreen

    lines = form.referral_lines
    if not lines:
        return
    data = form.data
    why = "; ".join(tr(reason) for reason in form.refer_reasons)
    question = tr("Refer {name} now? {why}").format(
        name=name_text(data.patient_name).plain, why=why
    )

    def answered(yes: bool | None) -> None:
        if yes:
            open_refer_form(screen, cache, data.patient_id, lines, clock, data.programmes)

    screen.app.push_screen(
        ConfirmScreen(question, tr("y: open the referral   n / Esc: not now")), answered
    )


def open_refer_form(
    screen: Screen[Any],
    cache: ClinicCache,
    patient_id: str,
    lines: list[str],
    clock: Callable[[], datetime],
    programmes: tuple[Programme, ...] = (),
) -> None:
    """The existing refer form, its summary starting with the follow-up's `lines`, its
    reason the programme's diagnosis (the chart's first problem may be another)."""
    now = clock()

    def read() -> Callable[[], Screen[Any]]:
        from clinic_tui.screens.refer_form import ReferForm
        from clinic_tui.screens.referrals import referral_store
        from clinic_tui.terminology.diagnosis import diagnosis_search_for

        store = referral_store(cache)
        data = store.form_data(patient_id, now.date())
        from clinic_tui.followup.registry import DIAGNOSIS_PREFIXES

        summary = "\n".join(lines) + ("\n\n" + data.summary if data.summary else "")
        prefixes = tuple(code for p in programmes for code in DIAGNOSIS_PREFIXES[p])
        # sorted() keeps the chart's order otherwise: the programme's diagnoses come first.
        problems = sorted(data.problems, key=lambda problem: not problem.code.startswith(prefixes))
        data = replace(data, summary=summary, problems=problems)
        search = diagnosis_search_for(cache.path)
        return lambda: ReferForm(store.refer, search, patient_id, data.patient_name, data, now)

    def opened(factory: Callable[[], Screen[Any]]) -> None:
        screen.app.push_screen(factory(), _notice(screen))

    def work() -> None:
        factory = read()
        screen.app.call_from_thread(opened, factory)

    screen.run_worker(work, thread=True, exit_on_error=False, group="followup-refer")


def _notice(screen: Screen[Any]) -> Callable[[str | None], None]:
    def shown(notice: str | None) -> None:
        if notice:
            screen.notify(notice, timeout=6)

    return shown
