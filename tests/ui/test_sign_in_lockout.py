"""The lock screen over the shared wrong-PIN count: a restart keeps the wait, and it says so.

Update the snapshot with `pytest tests/ui/test_sign_in_lockout.py --snapshot-update`, then
look at the SVG in tests/ui/__snapshots__/ before committing it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from textual.pilot import Pilot

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.offline_cache.local_users import LocalUser, _write, hash_pin, load_users
from clinic_tui.offline_cache.sign_in_attempts import FREE_FAILURES, SignInAttempts
from clinic_tui.screens.lock import LockScreen, wait_words
from clinic_tui.screens.queue import QueueScreen
from tests.ui.pilot import settle
from tests.ui.test_lock_screen import (
    LI_PIN,
    IdleClock,
    WallClock,
    _app,
    _unlock,
    lock_message,
    screen_text,
)

SnapCompare = Callable[..., bool]


def _lock_out_li(folder: Path, wall: WallClock) -> None:
    """Another process (a `serve` tab, an earlier run) typed five wrong PINs for 李医生."""
    elsewhere = SignInAttempts(folder, wall)
    for _ in range(FREE_FAILURES):
        elsewhere.try_pin("dr-li", lambda: False)


@pytest.mark.anyio
async def test_a_restart_keeps_the_lock_out_and_the_right_pin_waits(tmp_path: Path) -> None:
    wall = WallClock()
    first = _app(tmp_path, IdleClock(), wall=wall)
    async with first.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(FREE_FAILURES):
            await _unlock(pilot, "0000")
        assert "must wait 30 s" in lock_message(first)
    # Ctrl+Q and start again, ten seconds later: the count is in the data folder.
    wall.advance(10)
    again = ClinicApp(
        settings=first.settings,
        cache=first.cache,
        clock=first.clock,
        users=load_users(tmp_path),
        idle_clock=IdleClock(),
        sign_in_clock=wall,
    )
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, LI_PIN)
        assert isinstance(again.screen, LockScreen)
        assert lock_message(again) == (
            "Too many wrong PINs for 李医生: wait 20 s before the next try; others may still "
            "sign in."
        )
        wall.advance(20)
        await _unlock(pilot, LI_PIN)
        assert isinstance(again.screen, QueueScreen)


@pytest.mark.anyio
async def test_the_wait_is_said_in_chinese(tmp_path: Path) -> None:
    i18n.set_language("zh")
    wall = WallClock()
    app = _app(tmp_path, IdleClock(), wall=wall)
    _lock_out_li(tmp_path, wall)
    wall.advance(-60)  # and the PC's clock was set back meanwhile: the wait stays 30 s
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, LI_PIN)
        assert lock_message(app) == (
            "李医生 的 PIN 错误次数过多：请等待 30 秒 后再试；其他医师仍可登录。"
        )


def test_waits_read_as_a_person_says_them() -> None:
    assert [wait_words(s) for s in (0.2, 30, 59.5, 60, 90, 900)] == [
        "1 s",
        "30 s",
        "1 min",
        "1 min",
        "1 min 30 s",
        "15 min",
    ]


@pytest.mark.anyio
async def test_every_try_on_the_lock_screen_is_in_the_audit_trail(tmp_path: Path) -> None:
    app = _app(tmp_path, IdleClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, "0000")
        await _unlock(pilot, LI_PIN)
        assert isinstance(app.screen, QueueScreen)
    with app.cache.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT resource_json FROM audit_event WHERE action = 'E' ORDER BY rowid")
        ).all()
    events = [json.loads(row[0]) for row in rows]
    assert [event["outcome"] for event in events] == ["4", "0"]
    assert all("0000" not in row[0] and LI_PIN not in row[0] for row in rows)


@pytest.mark.anyio
async def test_a_pin_from_before_the_rules_signs_in_and_asks_to_be_changed(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, IdleClock())
    # Registered before PINs needed 6 characters: still opens the workstation.
    _write(tmp_path, [LocalUser("dr-old", "老医生", hash_pin("1357"))])
    app.users = load_users(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, "1357")
        assert isinstance(app.screen, QueueScreen)
        advice = (
            "老医生: your PIN is shorter than 6 characters or easy to guess. Please set a new "
            "one: clinic-tui users pin --practitioner-id dr-old"
        )
        assert advice in app.notices
        assert "your PIN is shorter than 6" in screen_text(app)


async def _locked_out(pilot: Pilot[Any]) -> None:
    """Another process locked 李医生 out; here the right PIN is typed during the wait."""
    await settle(pilot)
    await pilot.press(*LI_PIN, "enter")
    await settle(pilot)


def test_the_lock_screen_during_a_lock_out_at_80x24(
    snap_compare: SnapCompare, tmp_path: Path
) -> None:
    wall = WallClock()
    app = _app(tmp_path, IdleClock(), wall=wall)
    _lock_out_li(tmp_path, wall)
    wall.advance(5)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_locked_out)


def test_what_the_lock_screen_says_after_each_kind_of_try() -> None:
    from clinic_tui.offline_cache.sign_in_attempts import Attempt
    from clinic_tui.screens.lock import attempt_words

    said = {
        "wrong": attempt_words(Attempt("wrong", failures=2, left=3), "Li"),
        "mine": attempt_words(Attempt("wrong", 60, "clinician", 6, locked_now=True), "Li"),
        "all": attempt_words(Attempt("wrong", 30, "workstation", 2, locked_now=True), "Li"),
        "refused": attempt_words(Attempt("refused", 95, "clinician", 5), "Li"),
        "refused all": attempt_words(Attempt("refused", 95, "workstation", 1), "Li"),
    }
    assert said == {
        "wrong": "Wrong PIN for Li. 3 more tries before a wait.",
        "mine": (
            "Wrong PIN for Li. Too many wrong PINs: Li must wait 1 min before the next try; "
            "others may still sign in."
        ),
        "all": (
            "Wrong PIN for Li. Too many wrong PINs on this workstation: wait 30 s before the "
            "next try."
        ),
        "refused": (
            "Too many wrong PINs for Li: wait 1 min 35 s before the next try; others may still "
            "sign in."
        ),
        "refused all": (
            "Too many wrong PINs on this workstation: wait 1 min 35 s before the next try."
        ),
    }


@pytest.mark.anyio
async def test_a_count_that_cannot_be_written_is_said_and_no_pin_is_checked(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, IdleClock())
    (tmp_path / "sign_in_attempts.sqlite3").mkdir()  # where the count file should be
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, LI_PIN)
        assert isinstance(app.screen, LockScreen)
        assert "cannot be read or written" in lock_message(app)
        assert "the PIN was not checked" in lock_message(app)


@pytest.mark.anyio
async def test_a_name_with_brackets_is_shown_as_typed_not_as_markup(tmp_path: Path) -> None:
    from clinic_tui.offline_cache.local_users import add_user

    app = _app(tmp_path, IdleClock())
    add_user(tmp_path, "dr-odd", "Dr [/] [b]Odd[", "730529")
    app.users = [u for u in load_users(tmp_path) if u.practitioner_id == "dr-odd"]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "▶ Dr [/] [b]Odd[ (dr-odd)" in screen_text(app)
        await _unlock(pilot, "0000")
        assert lock_message(app) == "Wrong PIN for Dr [/] [b]Odd[. 4 more tries before a wait."
