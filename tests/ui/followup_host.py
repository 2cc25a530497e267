"""A tiny app that shows the 随访 form over a blank screen, for tests and a look by hand.

The form saves through whatever `save` it is given (the registry's record_visit in the
app; a recorder here), so its layout and live classification are tested on their own.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Static

from clinic_tui.followup.model import (
    Classification,
    Control,
    FollowUpValues,
    FollowUpVisit,
    Programme,
    VisitMode,
)
from clinic_tui.screens.followup_reads import VisitFormData
from tests.ui.chart_fixtures import CST, NOW


def earlier_visit(control: Control, systolic: int = 166, diastolic: int = 100) -> FollowUpVisit:
    """A home visit two weeks ago with the given control."""
    return FollowUpVisit(
        id="enc-earlier",
        patient_id="p-allergic",
        programmes=(Programme.HYPERTENSION,),
        mode=VisitMode.HOME,
        when=datetime(2026, 11, 10, 10, 0, tzinfo=CST),
        values=FollowUpValues(systolic=systolic, diastolic=diastolic),
        control=control,
        next_due=date(2026, 11, 24),
    )


def form_data(
    programmes: tuple[Programme, ...] = (Programme.HYPERTENSION,),
    previous: tuple[FollowUpVisit, ...] = (),
) -> VisitFormData:
    """What the form opens with for 张建国 (p-allergic), as the chart fixtures hold him."""
    return VisitFormData(
        patient_id="p-allergic",
        patient_name="张建国",
        programmes=programmes,
        previous=previous,
        medications=("氨氯地平片 Amlodipine 5mg 5mg 口服 每日一次 qd",),
        height_cm=168.0,
        age_years=68,
    )


class Recorder:
    """Stands in for ChronicRegistry.record_visit: keeps what it was asked to record."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> FollowUpVisit:
        """Keep the call; answer with the visit as recorded."""
        self.calls.append((*args, kwargs))
        patient_id, programmes, mode, when, values, found = args[:6]
        assert isinstance(found, Classification)
        return FollowUpVisit("enc-new", patient_id, tuple(programmes), mode, when, values,
                             found.control, found.next_due)  # fmt: skip


class FormHostApp(App[None]):
    """Pushes the 随访 form; what it closes with is kept in `closed`."""

    CSS_PATH = Path(__file__).parents[2] / "src" / "clinic_tui" / "app.tcss"

    def __init__(self, data: VisitFormData, save: Recorder, now: datetime = NOW) -> None:
        super().__init__()
        self.data = data
        self.save = save
        self.now = now
        self.closed: list[str | None] = []

    def compose(self) -> ComposeResult:
        """The stand-in for the list underneath."""
        yield Static("list (host screen)")

    def on_mount(self) -> None:
        """Open the form at once."""
        from clinic_tui.screens.followup_form import FollowUpForm

        form = FollowUpForm(self.data, self.save, "pr-1", self.now)
        self.push_screen(form, self.closed.append)
