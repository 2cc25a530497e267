"""Sign-in, idle lock and per-clinician identity under Pilot, with a fake idle clock."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from textual.screen import ModalScreen
from textual.widgets import Input

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.config import Settings
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.local_users import LocalUser, add_user, load_users
from clinic_tui.offline_cache.store import upsert_resources
from clinic_tui.screens.chart import ChartScreen
from clinic_tui.screens.lock import LockScreen
from clinic_tui.screens.prescription import PrescriptionScreen
from clinic_tui.screens.queue import QueueScreen
from tests.factories import CLINIC_ID, queue_day
from tests.ui.pilot import press, settle, type_text
from tests.ui.queue_app import Clock

pytestmark = pytest.mark.anyio

NAMES = ("欧阳秀英", "李娜", "王小明", "陈建国", "John Smith")
"""Patients of the fixture queue: none may show while the workstation is locked."""


LI_PIN = "482916"
WANG_PIN = "730528"
"""PINs that pass the rules of a new PIN (6 digits, no run, repeat or mirror)."""


class WallClock:
    """Wall-clock seconds for the shared wrong-PIN count, moved by hand (no sleeping)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass."""
        self.now += seconds


class IdleClock:
    """Monotonic seconds a test moves by hand (no sleeping)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        """Let `minutes` pass."""
        self.now += minutes * 60


def _users(folder: Path) -> list[LocalUser]:
    add_user(folder, "dr-li", "李医生", LI_PIN)
    add_user(folder, "dr-wang", "Dr Wang", WANG_PIN)
    return load_users(folder)


def _app(
    folder: Path, idle: IdleClock, minutes: float = 10, wall: WallClock | None = None
) -> ClinicApp:
    engine = open_cache(folder / "clinic.sqlite3")
    with engine.begin() as connection:
        upsert_resources(connection, queue_day())
    return ClinicApp(
        settings=Settings(data_dir=folder, idle_lock_minutes=minutes),
        cache=ClinicCache(engine, CLINIC_ID),
        clock=Clock(),
        users=_users(folder),
        idle_clock=idle,
        sign_in_clock=wall or WallClock(),
    )


def screen_text(app: ClinicApp) -> str:
    """What the terminal shows now, as plain text."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def lock_message(app: ClinicApp) -> str:
    """The lock screen's line for what went wrong, unwrapped."""
    return str(app.screen.query_one("#lock-message").render())


async def _unlock(pilot: object, pin: str, *, down: int = 0) -> None:
    for _ in range(down):
        await press(pilot, "down")  # type: ignore[arg-type]
    await type_text(pilot, pin)  # type: ignore[arg-type]
    await press(pilot, "enter")  # type: ignore[arg-type]


async def test_the_workstation_opens_on_sign_in_and_shows_no_patient(tmp_path: Path) -> None:
    idle = IdleClock()
    app = _app(tmp_path, idle)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        shown = screen_text(app)
        assert "Sign in" in shown
        assert "李医生" in shown
        assert not [name for name in NAMES if name in shown]
        await _unlock(pilot, LI_PIN)
        assert isinstance(app.screen, QueueScreen)
        assert app.signed_in is not None
        assert app.signed_in.practitioner_id == "dr-li"
        assert any(name in screen_text(app) for name in NAMES)


async def test_idle_minutes_lock_over_an_open_chart_and_hide_it(tmp_path: Path) -> None:
    idle = IdleClock()
    app = _app(tmp_path, idle, minutes=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, LI_PIN)
        await press(pilot, "n")  # call the next patient: their chart opens
        chart = app.screen
        assert isinstance(chart, ChartScreen)
        assert any(name in screen_text(app) for name in NAMES)

        idle.advance(4.9)
        app.check_idle_lock()
        await settle(pilot)
        assert app.screen is chart  # not yet

        await press(pilot, "escape")  # a key restarts the count
        await press(pilot, "n")
        chart = app.screen
        idle.advance(4.9)
        app.check_idle_lock()
        await settle(pilot)
        assert app.screen is chart

        idle.advance(0.2)
        app.check_idle_lock()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        shown = screen_text(app)
        assert "Workstation locked" in shown
        assert "5 idle minutes" in shown
        assert not [name for name in NAMES if name in shown]
        # Keys of the screens underneath do nothing while locked: help, palette, sync.
        await press(pilot, "f1")
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, LockScreen)

        await _unlock(pilot, LI_PIN)
        assert app.screen is chart  # back where the clinician was


async def test_wrong_pins_say_so_then_make_the_next_try_wait(tmp_path: Path) -> None:
    wall = WallClock()
    app = _app(tmp_path, IdleClock(), wall=wall)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, "0000")
        assert "Wrong PIN for 李医生. 4 more tries before a wait." in screen_text(app)
        for _ in range(3):
            await _unlock(pilot, "0000")
        await _unlock(pilot, "0000")
        assert lock_message(app) == (
            "Wrong PIN for 李医生. Too many wrong PINs: 李医生 must wait 30 s before the next "
            "try; others may still sign in."
        )
        # The right PIN during the wait is not even tried.
        wall.advance(12)
        await _unlock(pilot, LI_PIN)
        assert isinstance(app.screen, LockScreen)
        assert lock_message(app) == (
            "Too many wrong PINs for 李医生: wait 18 s before the next try; others may still "
            "sign in."
        )
        assert (
            app.screen.query_one("#lock-pin", Input).value == ""
        )  # the PIN is not left in the field
        wall.advance(18)
        await _unlock(pilot, LI_PIN)
        assert isinstance(app.screen, QueueScreen)
        assert app.sign_in_gate.attempts.failures("dr-li") == 0


async def test_a_second_clinician_unlocks_and_their_writes_carry_their_id(tmp_path: Path) -> None:
    idle = IdleClock()
    app = _app(tmp_path, idle)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, LI_PIN)
        await press(pilot, "n")
        assert isinstance(app.screen, ChartScreen)
        await press(pilot, "n")  # the note of this visit
        await type_text(pilot, "咳嗽")
        await press(pilot, "ctrl+s")

        await press(pilot, "ctrl+l")  # Dr Li leaves the desk
        assert isinstance(app.screen, LockScreen)
        assert "Workstation locked" in screen_text(app)
        await _unlock(pilot, WANG_PIN, down=1)  # Dr Wang sits down
        assert app.signed_in is not None
        assert app.signed_in.practitioner_id == "dr-wang"
        await press(pilot, "escape")
        await press(pilot, "n")  # the next patient
        await press(pilot, "n")
        await type_text(pilot, "发热")
        await press(pilot, "ctrl+s")

    with app.cache.engine.connect() as connection:
        rows = connection.execute(text("SELECT resource_json FROM document_reference")).all()
    authors = {}
    for (document,) in rows:
        resource = json.loads(document)
        authors[resource["author"][0]["reference"]] = resource
    assert set(authors) == {"Practitioner/dr-li", "Practitioner/dr-wang"}


async def test_the_lock_screen_speaks_chinese(tmp_path: Path) -> None:
    i18n.set_language("zh")
    idle = IdleClock()
    app = _app(tmp_path, idle)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert "登录" in shown
        assert "请选择您本人" in shown
        await _unlock(pilot, "0000")
        assert "李医生 的 PIN 错误" in screen_text(app)


async def test_without_registered_clinicians_nothing_locks(tmp_path: Path) -> None:
    idle = IdleClock()
    engine = open_cache(tmp_path / "clinic.sqlite3")
    with engine.begin() as connection:
        upsert_resources(connection, queue_day())
    app = ClinicApp(
        settings=Settings(data_dir=tmp_path),
        cache=ClinicCache(engine, CLINIC_ID),
        clock=Clock(),
        idle_clock=idle,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        idle.advance(600)
        app.check_idle_lock()
        await press(pilot, "ctrl+l")
        assert isinstance(app.screen, QueueScreen)


async def test_no_toast_shows_over_the_lock_screen(tmp_path: Path) -> None:
    idle = IdleClock()
    app = _app(tmp_path, idle)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, LI_PIN)
        app.notify("王小明: note saved")
        await press(pilot, "ctrl+l")
        app.notify("陈建国: sync conflict")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        shown = screen_text(app)
        assert "王小明" not in shown
        assert "陈建国" not in shown
        assert "陈建国: sync conflict" in app.notices  # kept, for after the unlock


async def _half_written_note(pilot: object, app: ClinicApp) -> ModalScreen[object]:
    """Dr Li signs in, calls the next patient and types a note without saving it."""
    await settle(pilot)  # type: ignore[arg-type]
    await _unlock(pilot, LI_PIN)
    await press(pilot, "n")  # type: ignore[arg-type]  # the next patient's chart
    await press(pilot, "n")  # type: ignore[arg-type]  # the note of this visit
    form = app.screen
    assert isinstance(form, ModalScreen)
    await type_text(pilot, "咳嗽")  # type: ignore[arg-type]
    return form


def _notes(app: ClinicApp) -> list[str]:
    with app.cache.engine.connect() as connection:
        rows = connection.execute(text("SELECT resource_json FROM document_reference")).all()
    return [json.loads(document)["author"][0]["reference"] for (document,) in rows]


async def test_another_clinician_unlocking_closes_the_form_left_open(tmp_path: Path) -> None:
    idle = IdleClock()
    app = _app(tmp_path, idle, minutes=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await _half_written_note(pilot, app)
        idle.advance(6)  # Dr Li walks away; the idle lock fires over the open form
        app.check_idle_lock()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)

        await _unlock(pilot, WANG_PIN, down=1)  # Dr Wang sits down
        assert isinstance(app.screen, QueueScreen)  # back on the first screen, nothing above
        assert len(app.screen_stack) == 2
        assert "李医生's unsaved form was closed" in app.notices
        assert "李医生's unsaved form was closed" in screen_text(app)
        await press(pilot, "ctrl+s")  # nothing of Dr Li's is left to save under Dr Wang
    assert _notes(app) == []


async def test_the_same_clinician_unlocking_finds_the_form_as_left(tmp_path: Path) -> None:
    idle = IdleClock()
    app = _app(tmp_path, idle, minutes=5)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _half_written_note(pilot, app)
        idle.advance(6)
        app.check_idle_lock()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)

        await _unlock(pilot, LI_PIN)
        assert app.screen is form
        assert "咳嗽" in screen_text(app)
        assert not [notice for notice in app.notices if "closed" in notice]
        await press(pilot, "ctrl+s")
    assert _notes(app) == ["Practitioner/dr-li"]


async def test_the_closing_notice_speaks_chinese(tmp_path: Path) -> None:
    i18n.set_language("zh")
    idle = IdleClock()
    app = _app(tmp_path, idle, minutes=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await _half_written_note(pilot, app)
        idle.advance(6)
        app.check_idle_lock()
        await settle(pilot)
        await _unlock(pilot, WANG_PIN, down=1)
        assert "李医生 未保存的表单已关闭" in screen_text(app)


def _many(folder: Path) -> list[LocalUser]:
    for number in range(1, 13):
        add_user(folder, f"dr-{number:02}", f"Doctor {number:02}", f"{number:02}7391")
    add_user(folder, "dr-zhang", "张伟", "864297")
    return load_users(folder)


async def test_typing_an_id_or_name_on_the_lock_screen_chooses_that_clinician(
    tmp_path: Path,
) -> None:
    idle = IdleClock()
    engine = open_cache(tmp_path / "clinic.sqlite3")
    app = ClinicApp(
        settings=Settings(data_dir=tmp_path),
        cache=ClinicCache(engine, CLINIC_ID),
        clock=Clock(),
        users=_many(tmp_path),
        idle_clock=idle,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lock = app.screen
        assert isinstance(lock, LockScreen)
        await press(pilot, "tab")  # from the PIN field round to the find field
        assert lock.focused is lock.query_one("#lock-find", Input)
        await type_text(pilot, "dr-11")
        chosen = lock.chosen()
        assert chosen is not None
        assert chosen.practitioner_id == "dr-11"
        assert "▶ Doctor 11 (dr-11)" in screen_text(app)

        for _ in range(5):
            await press(pilot, "backspace")
        await type_text(pilot, "zw")  # pinyin initials of 张伟
        chosen = lock.chosen()
        assert chosen is not None
        assert chosen.practitioner_id == "dr-zhang"
        await press(pilot, "enter")  # on to the PIN
        assert lock.focused is lock.query_one("#lock-pin", Input)
        await _unlock(pilot, "864297")
        assert app.signed_in is not None
        assert app.signed_in.practitioner_id == "dr-zhang"


async def test_a_name_that_fits_nobody_says_so_and_keeps_the_choice(tmp_path: Path) -> None:
    idle = IdleClock()
    app = _app(tmp_path, idle)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lock = app.screen
        assert isinstance(lock, LockScreen)
        await press(pilot, "tab")
        await type_text(pilot, "qq")
        assert "No clinician matches “qq”." in screen_text(app)
        chosen = lock.chosen()
        assert chosen is not None
        assert chosen.practitioner_id == "dr-li"
        await press(pilot, "enter")  # nobody found: the cursor stays to fix the name
        assert lock.focused is lock.query_one("#lock-find", Input)


async def test_another_clinician_unlocking_closes_a_half_filled_prescription(
    tmp_path: Path,
) -> None:
    idle = IdleClock()
    app = _app(tmp_path, idle, minutes=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, LI_PIN)
        await press(pilot, "n")  # the next patient's chart
        await press(pilot, "m")  # prescribe
        await type_text(pilot, "amox 500mg po tid 7d")
        await press(pilot, "enter")
        orders = app.screen
        assert isinstance(orders, PrescriptionScreen)
        assert len(orders.basket.lines) == 1  # unsigned, in the basket
        idle.advance(6)
        app.check_idle_lock()
        await settle(pilot)

        await _unlock(pilot, WANG_PIN, down=1)
        assert isinstance(app.screen, QueueScreen)
        assert len(app.screen_stack) == 2
        assert "李医生's unsaved form was closed" in app.notices


async def test_ctrl_l_locks_over_an_open_form(tmp_path: Path) -> None:
    idle = IdleClock()
    app = _app(tmp_path, idle)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _half_written_note(pilot, app)
        await press(pilot, "ctrl+l")  # Dr Li is called away mid-note
        assert isinstance(app.screen, LockScreen)
        await _unlock(pilot, LI_PIN)
        assert app.screen is form
