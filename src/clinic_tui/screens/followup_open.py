"""Opening the 随访 form and the referral it may propose, from the follow-up list or the chart.

Both places read the same things first (in a worker): the patient's programmes, earlier
visits, current medications and last height; and both hand a proposed referral to the
existing refer form with the visit's values at the top of its summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from clinic_tui.followup.model import Programme
from clinic_tui.i18n import tr
from clinic_tui.screens.followup_reads import VisitFormData, chronic_registry
from clinic_tui.widgets.data_text import name_text

if TYPE_CHECKING:
    from clinic_tui.offline_cache.clinic_cache import ClinicCache
    from clinic_tui.screens.followup_form import FollowUpForm


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
