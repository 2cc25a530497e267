"""Every screen over a cache whose every text is hostile (issue #18, findings 1, 2 and 8).

The walk goes through the queue, patient search, the chart and each of its forms and
dialogs, visit history, referrals, the prescription screen, walk-in, follow-ups, the
conflicts screen, help and, as the hospital expert, the triage inbox. After each step the
screen is rendered as the terminal would receive it, and the test fails on:

- any control character, C1 code or bidi control drawn (an escape sequence from data
  reaching the terminal: OSC 52 clipboard, CSI 2J, OSC 8 links, U+202E),
- any style that only data markup could have made: strike, a link, an `@click` that quits
  or rings the bell,
- the app crashing or quitting, and (at 80x24, with a 1 MB name) the patient header or the
  allergy banner off the screen.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from rich.segment import Segment
from sqlalchemy import text
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input

from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.domain.untrusted import is_clean
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.screens.conflict_editor import ConflictEditor
from clinic_tui.screens.conflicts import ConflictsScreen
from clinic_tui.screens.discard_dialog import ConfirmScreen, discard_question
from clinic_tui.screens.follow_ups import FollowUpsScreen
from clinic_tui.screens.followup_form import FollowUpForm
from clinic_tui.screens.followup_list import FollowUpListScreen
from clinic_tui.screens.patient_search import PatientSearchScreen
from clinic_tui.screens.prescription import PrescriptionScreen
from clinic_tui.screens.prescription_dialogs import StopDialog
from clinic_tui.screens.referrals import ReferralScreen, ReferralsScreen
from clinic_tui.screens.walk_in import WalkInScreen
from clinic_tui.screens.walk_in_dialogs import ConfirmScreen as WalkInConfirm
from clinic_tui.screens.walk_in_dialogs import DuplicateScreen
from clinic_tui.widgets.allergy_banner import AllergyBanner
from clinic_tui.widgets.patient_header import PatientHeader
from clinic_tui.widgets.queue_table import QueueTable
from tests.ui.hostile_cache import build_hostile_cache
from tests.ui.pilot import press, settle, type_text
from tests.ui.queue_app import Clock
from tests.ui.triage_app import TRIAGE_NOW

pytestmark = pytest.mark.anyio

SIZE = (80, 24)

# What data may never put on screen: C0 (all of it: a cell holds no newline or tab), DEL, C1,
# bidi embeddings, overrides, isolates and marks.
_DRAWN_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# What the app itself writes: colours and attributes (SGR) and cursor positions.
_OWN_SEQUENCE = re.compile(r"\x1b\[[0-9;]*m|\x1b\[[0-9]+;[0-9]+H")


@dataclass
class Walk:
    """Where the walk is, and what it found wrong so far."""

    app: ClinicApp
    problems: list[str]

    def look(self, where: str) -> None:
        """Render the screen in front as the terminal would get it; note what is wrong."""
        app = self.app
        if app._exception is not None:
            raise app._exception
        assert app.is_running, f"{where}: the app quit"
        for title in (app.title, app.sub_title, app.screen.title or "", app.screen.sub_title or ""):
            if not is_clean(title):
                self.problems.append(f"{where}: a title holds controls: {title[:60]!r}")
        strips = app.screen._compositor.render_strips()
        for row, strip in enumerate(strips):
            for segment in strip:
                self._segment(where, row, segment)
            written = _OWN_SEQUENCE.sub("", strip.render(app.console))
            if "\x1b" in written or "\x9b" in written:
                self.problems.append(f"{where}: row {row} writes {written[:80]!r}")

    def _segment(self, where: str, row: int, segment: Segment) -> None:
        text, style = segment.text, segment.style
        if _DRAWN_CONTROL.search(text):
            self.problems.append(f"{where}: row {row} draws controls: {text[:60]!r}")
        if style is None:
            return
        if style.strike:
            self.problems.append(f"{where}: row {row} struck through by data: {text[:40]!r}")
        if style.link:
            self.problems.append(f"{where}: row {row} links to {style.link}: {text[:40]!r}")
        click = str(style.meta.get("@click", "")) if style.meta else ""
        if "quit" in click or "bell" in click:
            self.problems.append(f"{where}: row {row} clicks {click}: {text[:40]!r}")

    def on_screen(self, widget: type[Widget], where: str) -> None:
        """The widget of this type on the screen in front is wholly inside the terminal."""
        found = self.app.screen.query_one(widget)
        region = found.region
        height, width = SIZE[1], SIZE[0]
        if not (region.height > 0 and region.bottom <= height and region.right <= width):
            self.problems.append(f"{where}: {widget.__name__} not on screen: {region}")


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The hostile cache, built once; each test takes a copy."""
    path = tmp_path_factory.mktemp("hostile") / "clinic.sqlite3"
    return path, build_hostile_cache(path)


def _app(hostile_file: tuple[Path, str], folder: Path, role: str) -> ClinicApp:
    shutil.copy(hostile_file[0], folder / "clinic.sqlite3")
    cache = ClinicCache(open_cache(folder / "clinic.sqlite3", create=False))
    settings = Settings(data_dir=folder, role=role)
    return ClinicApp(settings=settings, cache=cache, clock=Clock(TRIAGE_NOW), auto_sync=False)


async def _step(walk: Walk, pilot: Pilot[None], where: str, *keys: str) -> None:
    await press(pilot, *keys)
    walk.look(where)


async def _back_to(walk: Walk, pilot: Pilot[None], kind: type[object]) -> None:
    """Escape until the screen in front is a `kind` (a dialog may sit over a form)."""
    for _ in range(6):
        screen = walk.app.screen
        if isinstance(screen, kind):
            return
        if isinstance(screen, ConfirmScreen) and screen.question == discard_question().question:
            await press(pilot, "y")  # discard what the walk typed into a form
        elif isinstance(screen, WalkInConfirm) and "Discard" in screen.question:
            await press(pilot, "y")
        else:
            await press(pilot, "escape")
    assert isinstance(walk.app.screen, kind), walk.app.screen


async def test_the_queue_chart_and_every_form_draw_data_as_data(
    hostile_file: tuple[Path, str], tmp_path: Path
) -> None:
    app = _app(hostile_file, tmp_path, "clinic")
    walk = Walk(app, [])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        walk.look("queue")
        table = app.screen.query_one(QueueTable)
        for _ in range(len(table.entries)):
            await _step(walk, pilot, "queue cursor", "down")
        big = [e.patient_id for e in table.entries].index(hostile_file[1])
        table.move_cursor(row=big)
        await _step(walk, pilot, "queue on the 1 MB name")
        await _step(walk, pilot, "chart", "enter")
        assert isinstance(app.screen, ChartScreen)
        walk.on_screen(PatientHeader, "chart")
        walk.on_screen(AllergyBanner, "chart")
        for key, where in (
            ("d", "diagnosis form"),
            ("a", "allergy form"),
            ("v", "vitals form"),
            ("n", "note form"),
            ("h", "visit history"),
            ("c", "complaint form"),
            ("p", "contact details form"),
            ("D", "problem change"),
            ("A", "allergy withdrawal"),
            ("r", "refer form"),
            ("m", "prescription"),
            ("f", "finish question"),
        ):
            await _step(walk, pilot, where, key)
            for move in ("down", "down", "tab", "down"):
                await _step(walk, pilot, f"{where} {move}", move)
            if key == "m":  # an active medication changed, then stopped: its words are data
                prescription = app.screen
                assert isinstance(prescription, PrescriptionScreen)
                assert prescription.active
                walk.on_screen(PatientHeader, where)
                walk.on_screen(AllergyBanner, where)
                prescription.query_one("#rx-active").focus()
                await _step(walk, pilot, f"{where} change", "c")
                prescription.query_one("#rx-active").focus()
                await _step(walk, pilot, f"{where} stop", "x")
                assert isinstance(app.screen, StopDialog)
            if key == "r":  # the hospital list open: its options are data
                await _step(walk, pilot, f"{where} hospitals", "shift+tab", "shift+tab", "enter")
            await _back_to(walk, pilot, ChartScreen)
            walk.look(f"chart after {where}")
        await _step(walk, pilot, "the patient's referrals", "R")
        await _back_to(walk, pilot, ChartScreen)
        await _back_to_queue(walk, pilot)
        await _step(walk, pilot, "queue referrals", "R")
        assert isinstance(app.screen, ReferralsScreen)
        assert app.screen.items
        for _ in range(3):
            await _step(walk, pilot, "referrals cursor", "down")
        await _step(walk, pilot, "a referral", "enter")
        assert isinstance(app.screen, ReferralScreen)
        await _step(walk, pilot, "a referral scrolled", "down", "down")
        await _step(walk, pilot, "a question about it", "q")
        await _back_to(walk, pilot, ReferralScreen)
        await _back_to_queue(walk, pilot)
        await _step(walk, pilot, "follow-ups", "F")
        assert isinstance(app.screen, FollowUpsScreen)
        assert app.screen.items  # the walk sees a hostile follow-up, not an empty list
        await _step(walk, pilot, "follow-ups cursor", "down", "down")
        await _step(walk, pilot, "follow-up done question", "x")
        await _back_to_queue(walk, pilot)
        # The chronic follow-up list, its filter, a 随访 form and its printed visit list:
        # names, addresses (Address.line), the rules' words beside hostile earlier answers.
        await _step(walk, pilot, "chronic follow-ups", "v")
        assert isinstance(app.screen, FollowUpListScreen)
        await settle(pilot)
        # The walk sees hostile enrolled patients, not an empty list.
        items = app.screen.items
        assert any("巨巨巨巨巨巨巨巨" in item.name for item in items), items[:1]
        await _step(walk, pilot, "chronic follow-ups cursor", "down", "down")
        await _step(walk, pilot, "chronic follow-ups filter", "f")
        await _back_to(walk, pilot, FollowUpListScreen)
        await _step(walk, pilot, "a 随访 form", "enter")
        await settle(pilot)
        assert isinstance(app.screen, FollowUpForm), app.screen
        await _step(walk, pilot, "a 随访 form moved", "down", "tab", "down")
        await _back_to(walk, pilot, FollowUpListScreen)
        await _back_to_queue(walk, pilot)
        on_file = _identity_on_file(app)
        await _step(walk, pilot, "patient search", "slash")
        await type_text(pilot, on_file[:8])
        walk.look("patient search results")
        assert isinstance(app.screen, PatientSearchScreen)
        assert app.screen.results
        await _step(walk, pilot, "patient search cursor", "down", "down")
        await _back_to_queue(walk, pilot)
        await _step(walk, pilot, "walk-in search", "r")
        await type_text(pilot, on_file)
        await _step(walk, pilot, "walk-in of a patient on file", "enter")
        assert isinstance(app.screen, WalkInScreen)
        await _back_to_queue(walk, pilot)
        await _step(walk, pilot, "walk-in of a new patient", "r", "ctrl+n")
        assert isinstance(app.screen, WalkInScreen)
        for field_id, value in (
            ("name", "王五"),
            ("identifier", on_file),
            ("complaint", "头痛"),
            ("birth_date", f"{on_file[6:10]}-{on_file[10:12]}-{on_file[12:14]}"),
        ):
            app.screen.query_one(f"#{field_id}", Input).value = value
        await _step(walk, pilot, "possible duplicates", "ctrl+s")
        assert isinstance(app.screen, DuplicateScreen)
        await _back_to_queue(walk, pilot)
        await _step(walk, pilot, "status dialog", "s")
        await _back_to_queue(walk, pilot)
        await _step(walk, pilot, "help", "question_mark")
        await _back_to_queue(walk, pilot)
        await _step(walk, pilot, "conflicts", "c")
        assert isinstance(app.screen, ConflictsScreen)
        assert len(app.screen.rows) == 2
        await _step(walk, pilot, "conflicts cursor", "down")
        await _step(walk, pilot, "conflict fields", "e")
        await _step(walk, pilot, "conflict fields cursor", "down")
        await _step(walk, pilot, "conflict field chosen", "m")
        await _back_to_queue(walk, pilot)
        # A hostile conflict resolved, then the screen opened again (it used to crash).
        await _step(walk, pilot, "conflicts again", "c")
        await _step(walk, pilot, "conflict kept mine", "m")
        assert isinstance(app.screen, ConflictsScreen)
        assert len(app.screen.rows) == 1
        await _step(walk, pilot, "conflict as JSON", "a")
        assert isinstance(app.screen, ConflictEditor)
        await _back_to_queue(walk, pilot)
        await _step(walk, pilot, "conflicts once more", "c")
        await _back_to_queue(walk, pilot)
        assert app.is_running
    assert walk.problems == [], "\n".join(walk.problems[:40])


def _identity_on_file(app: ClinicApp) -> str:
    """A resident identity number of a patient in the cache (for the duplicate check)."""
    with app.cache.engine.connect() as connection:
        found = connection.execute(
            text("SELECT identifier FROM patient WHERE length(identifier) = 18 LIMIT 1")
        ).scalar_one()
    return str(found)


async def _back_to_queue(walk: Walk, pilot: Pilot[None]) -> None:
    from clinic_tui.screens.queue import QueueScreen

    await _back_to(walk, pilot, QueueScreen)
    walk.look("queue again")


async def test_the_triage_inbox_draws_data_as_data(
    hostile_file: tuple[Path, str], tmp_path: Path
) -> None:
    from clinic_tui.screens.triage import TriageScreen

    app = _app(hostile_file, tmp_path, "expert")
    walk = Walk(app, [])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TriageScreen)
        assert app.screen.rows
        walk.look("inbox")
        for key in ("j", "j", "j", "k", "down", "down"):
            await _step(walk, pilot, f"inbox cursor {key}", key)
        for key, where in (
            ("a", "accept"),
            ("q", "ask"),
            ("f", "forward"),
            ("x", "decline"),
            ("c", "complete"),
            ("o", "chart"),
        ):
            await _step(walk, pilot, where, key)
            if key == "f":  # the department list open: its options are data
                await _step(walk, pilot, f"{where} departments", "enter")
            await _step(walk, pilot, f"{where} tab", "tab")
            await _back_to(walk, pilot, TriageScreen)
        await _step(walk, pilot, "text filter", "slash")
        await type_text(pilot, "王")
        walk.look("text filter typed")
        await _step(walk, pilot, "text filter cleared", "escape")
        # An accept carried through: the notice names the patient and where the referral went.
        await press(pilot, "a")
        await type_text(pilot, (app.clock().date() + timedelta(days=2)).isoformat())
        await _step(walk, pilot, "accepted, the notice", "ctrl+s")
        assert isinstance(app.screen, TriageScreen)
        assert any("Accepted" in notice for notice in app.notices), list(app.notices)
        assert app.is_running
    assert walk.problems == [], "\n".join(walk.problems[:40])


async def test_notices_and_toasts_quoting_data_draw_it_as_data(
    hostile_file: tuple[Path, str], tmp_path: Path
) -> None:
    from textual.screen import Screen

    from tests.ui.hostile_cache import HOSTILE

    app = _app(hostile_file, tmp_path, "clinic")
    walk = Walk(app, [])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.notify(f"Could not: {HOSTILE}", title=HOSTILE, severity="error")
        await settle(pilot)
        walk.look("queue notice line")
        assert "Could not" in app.notices[-1]
        await app.push_screen(Screen())  # no notice line: the message is a toast
        app.notify(f"Saved: {HOSTILE}", title=HOSTILE)
        await settle(pilot)
        walk.look("toast")
        assert app.screen.query("Toast")
    assert walk.problems == [], "\n".join(walk.problems[:40])
