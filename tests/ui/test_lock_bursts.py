"""Keys typed straight after Ctrl+L, or while the app starts, before the lock screen is ready.

The driver posts every key of one terminal read before the app handles the first, so the
keys below are posted in one go (as in test_ordered_keys.py): the lock screen is pushed
by the first of them and composed while the rest wait. Each key must land where the same
keys typed slowly would: the PIN in the PIN field, checked for the clinician shown as chosen.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input

from clinic_tui.app import ClinicApp
from clinic_tui.offline_cache.local_users import add_user
from clinic_tui.screens.lock import LockScreen
from clinic_tui.screens.queue import QueueScreen
from tests.ui.pilot import settle
from tests.ui.terminal import DOWN, ENTER, Terminal
from tests.ui.test_key_bursts import clinic as clinic  # the pty tests' cache folder
from tests.ui.test_lock_screen import LI_PIN, WANG_PIN, IdleClock, _app, _unlock, screen_text

pytestmark = pytest.mark.anyio

CTRL_L = "\x0c"


def keys_of(*keys: str) -> list[events.Key]:
    """Key events as the driver makes them: one per character, or one named key."""
    return [events.Key(key, key if len(key) == 1 else None) for key in keys]


def burst(app: ClinicApp, *keys: str) -> None:
    """Post `keys` to the app in one go, as the driver does with one read."""
    for key in keys_of(*keys):
        app.post_message(key)


def wrong_pins(app: ClinicApp) -> int:
    """Wrong PINs counted against the registered clinicians, as every process sees them."""
    return sum(app.sign_in_gate.attempts.failures(user.practitioner_id) for user in app.users)


def fields(app: ClinicApp) -> tuple[str, str]:
    """The lock screen's name search and PIN field, as they are now."""
    lock = app.screen
    assert isinstance(lock, LockScreen)
    find = lock.query_one("#lock-find", Input).value
    return find, lock.query_one("#lock-pin", Input).value


async def test_a_pin_typed_straight_after_ctrl_l_lands_whole_in_the_pin_field(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, IdleClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, LI_PIN)  # 李医生 signed in
        burst(app, "ctrl+l", *LI_PIN)
        await settle(pilot)
        # Before the fix the first digit went to the name search: "1" there, "234" here.
        assert fields(app) == ("", LI_PIN)
        burst(app, "enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.signed_in is not None
        assert app.signed_in.practitioner_id == "dr-li"


async def test_ctrl_l_pin_and_enter_in_one_burst_unlock_and_count_no_failure(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, IdleClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, LI_PIN)
        burst(app, "ctrl+l", *LI_PIN, "enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert wrong_pins(app) == 0  # no wrong try against 李医生 either


async def test_down_and_another_pin_after_ctrl_l_unlock_as_the_second_clinician(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, IdleClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, LI_PIN)
        burst(app, "ctrl+l", "down", *WANG_PIN, "enter")
        await settle(pilot)
        assert app.signed_in is not None
        assert app.signed_in.practitioner_id == "dr-wang"
        assert wrong_pins(app) == 0


async def test_a_wrong_pin_in_a_burst_is_told_against_the_clinician_shown_as_chosen(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, IdleClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, LI_PIN)
        burst(app, "ctrl+l", "down", *"0000", "enter")
        await settle(pilot)
        shown = screen_text(app)
        assert "▶ Dr Wang (dr-wang)" in shown
        assert "Wrong PIN for Dr Wang. 4 more tries" in shown
        assert fields(app) == ("", "")


class StartUpBurst(ClinicApp):
    """Keys the terminal reads while the app starts: queued before the lock screen is pushed."""

    early: tuple[str, ...] = ()

    async def on_mount(self) -> None:
        """The keys first (handled once mounting is over, as the driver's are), then the start."""
        burst(self, *self.early)
        await super().on_mount()


@pytest.mark.parametrize(
    ("early", "who"),
    [
        ((*LI_PIN, "enter"), "dr-li"),
        (("down", *WANG_PIN, "enter"), "dr-wang"),
        # Typed before the terminal left line mode, Enter arrives as a newline (Ctrl+J).
        ((*LI_PIN, "ctrl+j"), "dr-li"),
    ],
)
async def test_a_pin_typed_while_the_app_starts_signs_in(
    tmp_path: Path, early: tuple[str, ...], who: str
) -> None:
    made = _app(tmp_path, IdleClock())
    app = StartUpBurst(
        settings=made.settings,
        cache=made.cache,
        clock=made.clock,
        users=made.users,
        idle_clock=made.idle_clock,
    )
    app.early = early
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.signed_in is not None
        assert app.signed_in.practitioner_id == who
        assert wrong_pins(app) == 0


async def test_tab_goes_between_pin_and_name_search_only_and_digits_there_are_not_echoed(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, IdleClock())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _unlock(pilot, LI_PIN)
        burst(app, "ctrl+l", "tab", *WANG_PIN, "enter")
        await settle(pilot)
        lock = app.screen
        assert isinstance(lock, LockScreen)
        # Tab went to the name search, as the hint line says; the digits are no PIN there.
        assert "Tab PIN/name" in screen_text(app)
        assert fields(app) == (WANG_PIN, "")
        assert wrong_pins(app) == 0
        message = str(lock.query_one("#lock-message").render())
        assert "No clinician has that id. PINs go in the PIN field." in message
        assert WANG_PIN not in message
        # One more Tab is back in the PIN field (not on the list in between).
        burst(app, "tab", "down", *WANG_PIN, "enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.signed_in is not None
        assert app.signed_in.practitioner_id == "dr-wang"
        assert wrong_pins(app) == 0


def test_ctrl_l_and_a_pin_in_one_terminal_read_unlock(clinic: Path) -> None:
    add_user(clinic, "dr-li", "李医生", LI_PIN)
    add_user(clinic, "dr-wang", "Dr Wang", WANG_PIN)
    with Terminal(clinic) as terminal:
        terminal.wait_for("Sign in")
        terminal.send(LI_PIN + ENTER)
        terminal.wait_for("Walk-in")
        terminal.forget()
        terminal.send(CTRL_L + DOWN + WANG_PIN + ENTER)
        assert terminal.wait_for("Walk-in", "Wrong PIN", "No clinician") == "Walk-in"
        terminal.forget()
        terminal.send(CTRL_L + WANG_PIN + ENTER)  # Dr Wang is chosen already: the last one in
        assert terminal.wait_for("Walk-in", "Wrong PIN", "No clinician") == "Walk-in"
        assert terminal.quit() == 0
