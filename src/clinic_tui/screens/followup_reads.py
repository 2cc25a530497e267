"""What the follow-up screens read before they open, and the list's filter: no screen here.

Kept apart from followup_open (which builds the form) so the form, the list and the dialogs
can all import these without an import circle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from clinic_tui.domain.ages import age_in_years
from clinic_tui.followup.model import FollowUpVisit, Programme
from clinic_tui.i18n import tr
from clinic_tui.widgets.data_text import name_text
from clinic_tui.widgets.followup_words import programme_word

if TYPE_CHECKING:
    from clinic_tui.followup.registry import ChronicRegistry
    from clinic_tui.offline_cache.clinic_cache import ClinicCache
    from clinic_tui.widgets.programme_section import ProgrammeLine


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


@dataclass(frozen=True)
class ListFilter:
    """What the list is narrowed to; None / '' = everyone."""

    address: str = ""
    programme: Programme | None = None
    clinician_id: str | None = None

    def words(self, names: dict[str, str]) -> str:
        """The filter in words, for the line above the table and the printed heading."""
        parts = []
        if self.address:
            parts.append(tr("address contains {text}").format(text=self.address))
        if self.programme is not None:
            parts.append(programme_word(self.programme))
        if self.clinician_id:
            parts.append(names.get(self.clinician_id, self.clinician_id))
        return " · ".join(parts) or tr("All villages, programmes and clinicians")
