"""The wrong-PIN count lives in the data folder: shared by every process, kept across restarts."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clinic_tui.offline_cache.local_users import add_user, load_users, pin_matches
from clinic_tui.offline_cache.sign_in_attempts import (
    FIRST_LOCK_SECONDS,
    FREE_FAILURES,
    MAX_LOCK_SECONDS,
    WORKSTATION_FREE_FAILURES,
    SignInAttempts,
    SignInRecordError,
    attempts_path,
    lock_seconds,
)


class WallClock:
    """Wall-clock seconds moved by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Check:
    """A PIN check that answers `right` and counts how often it was asked."""

    def __init__(self, right: bool) -> None:
        self.right = right
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.right


WRONG: Callable[[], bool] = lambda: False  # noqa: E731


def _fail(store: SignInAttempts, account: str, times: int) -> None:
    for _ in range(times):
        assert store.try_pin(account, WRONG).result == "wrong"


def test_two_stores_on_one_folder_count_together(tmp_path: Path) -> None:
    clock = WallClock()
    tab_one, tab_two = SignInAttempts(tmp_path, clock), SignInAttempts(tmp_path, clock)
    _fail(tab_one, "dr-li", 3)
    attempt = tab_two.try_pin("dr-li", WRONG)
    assert (attempt.result, attempt.failures, attempt.left) == ("wrong", 4, 1)
    attempt = tab_one.try_pin("dr-li", WRONG)  # the fifth, whichever process
    assert attempt.locked_now
    assert (attempt.wait, attempt.scope) == (FIRST_LOCK_SECONDS, "clinician")
    assert tab_two.try_pin("dr-li", WRONG).result == "refused"
    assert tab_two.failures("dr-li") == FREE_FAILURES


def test_a_lock_out_survives_a_restart_and_refuses_even_the_right_pin(tmp_path: Path) -> None:
    clock = WallClock()
    _fail(SignInAttempts(tmp_path, clock), "dr-li", FREE_FAILURES)
    restarted = SignInAttempts(tmp_path, clock)  # Ctrl+Q, start again
    right = Check(right=True)
    clock.now += FIRST_LOCK_SECONDS - 1
    attempt = restarted.try_pin("dr-li", right)
    assert (attempt.result, attempt.wait) == ("refused", 1)
    assert right.calls == 0  # not even checked
    clock.now += 1
    assert restarted.try_pin("dr-li", right).result == "signed_in"
    assert right.calls == 1


def test_other_clinicians_still_sign_in_during_one_clinicians_lock_out(tmp_path: Path) -> None:
    store = SignInAttempts(tmp_path, WallClock())
    _fail(store, "dr-li", FREE_FAILURES)
    assert store.try_pin("dr-wang", Check(right=True)).result == "signed_in"
    assert store.try_pin("dr-li", Check(right=True)).result == "refused"


def test_a_right_pin_clears_the_count(tmp_path: Path) -> None:
    store = SignInAttempts(tmp_path, WallClock())
    _fail(store, "dr-li", FREE_FAILURES - 1)
    assert store.try_pin("dr-li", Check(right=True)).result == "signed_in"
    assert store.failures("dr-li") == 0
    attempt = store.try_pin("dr-li", WRONG)
    assert (attempt.failures, attempt.left) == (1, FREE_FAILURES - 1)


def test_each_wrong_pin_after_a_lock_out_doubles_it_up_to_the_cap(tmp_path: Path) -> None:
    clock = WallClock()
    store = SignInAttempts(tmp_path, clock)
    _fail(store, "dr-li", FREE_FAILURES - 1)
    waits = []
    for _ in range(8):
        attempt = store.try_pin("dr-li", WRONG)
        assert attempt.locked_now
        waits.append(attempt.wait)
        clock.now += attempt.wait  # the whole wait, then one more wrong PIN
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]
    assert lock_seconds(10_000, FREE_FAILURES) == MAX_LOCK_SECONDS


def test_a_clock_set_back_never_makes_the_wait_longer_than_its_lock_out(tmp_path: Path) -> None:
    clock = WallClock()
    store = SignInAttempts(tmp_path, clock)
    _fail(store, "dr-li", FREE_FAILURES)
    clock.now -= 86_400  # someone set the date back a day
    assert store.wait_left("dr-li") == FIRST_LOCK_SECONDS


def test_wrong_pins_spread_over_many_clinicians_lock_the_workstation(tmp_path: Path) -> None:
    clock = WallClock()
    store = SignInAttempts(tmp_path, clock)
    accounts = [f"dr-{number}" for number in range(WORKSTATION_FREE_FAILURES)]
    for account in accounts[:-1]:
        _fail(store, account, 1)  # one guess each: no clinician near their own limit
    attempt = store.try_pin(accounts[-1], WRONG)
    assert (attempt.locked_now, attempt.scope, attempt.wait) == (True, "workstation", 30)
    refused = store.try_pin("dr-untouched", Check(right=True))
    assert (refused.result, refused.scope) == ("refused", "workstation")
    clock.now += 30
    assert store.try_pin("dr-untouched", Check(right=True)).result == "signed_in"
    # A right PIN clears the workstation's count too: the next wrong PIN is no lock-out.
    assert not store.try_pin("dr-0", WRONG).locked_now


def test_the_count_file_is_the_owners_only(tmp_path: Path) -> None:
    store = SignInAttempts(tmp_path / "data", WallClock())
    _fail(store, "dr-li", 1)
    assert stat.S_IMODE(attempts_path(tmp_path / "data").stat().st_mode) == 0o600


def test_a_count_file_that_is_no_database_is_set_aside_and_counting_goes_on(
    tmp_path: Path,
) -> None:
    attempts_path(tmp_path).write_bytes(b"this is not SQLite" * 100)
    store = SignInAttempts(tmp_path, WallClock())
    assert store.try_pin("dr-li", WRONG).failures == 1
    assert len(list(tmp_path.glob("sign_in_attempts.sqlite3.unreadable-*"))) == 1


def test_a_count_that_cannot_be_written_checks_no_pin(tmp_path: Path) -> None:
    attempts_path(tmp_path).mkdir()  # a folder where the file should be
    right = Check(right=True)
    with pytest.raises(SignInRecordError, match="the PIN was not checked"):
        SignInAttempts(tmp_path, WallClock()).try_pin("dr-li", right)
    assert right.calls == 0


# ----- real processes ------------------------------------------------------------------------

_TAB = """
import json, sys
from pathlib import Path
from clinic_tui.offline_cache.local_users import load_users, pin_matches
from clinic_tui.offline_cache.sign_in_attempts import SignInAttempts

data, account, tries = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = SignInAttempts(data, clock=lambda: 1_800_000_000.0)
user = next(u for u in load_users(data) if u.practitioner_id == account)
checked = []


def check():
    checked.append(1)
    return pin_matches(user, "000000")


print("ready", flush=True)
sys.stdin.readline()  # every process starts guessing at once
results = [store.try_pin(account, check).result for _ in range(tries)]
print(json.dumps({"results": results, "checked": len(checked)}), flush=True)
"""


def _guess_at_once(data: Path, plan: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Run one process per (account, tries), released together; each one's results and
    how many PINs it actually checked."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _TAB, str(data), account, str(tries)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for account, tries in plan
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        found = []
        for process in processes:
            out, _err = process.communicate(timeout=120)
            assert process.returncode == 0
            found.append(json.loads(out))
        return found
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def _counted(data: Path) -> dict[tuple[str, str], int]:
    with sqlite3.connect(attempts_path(data)) as connection:
        rows = connection.execute("SELECT scope, account, failures FROM sign_in_failures")
        return {(scope, account): failures for scope, account, failures in rows}


def test_processes_guessing_at_once_get_the_same_five_tries_as_one(tmp_path: Path) -> None:
    add_user(tmp_path, "dr-li", "李医生", "482916")
    tabs = _guess_at_once(tmp_path, [("dr-li", 4)] * 4)
    every = [result for tab in tabs for result in tab["results"]]
    assert every.count("wrong") == FREE_FAILURES
    assert every.count("refused") == 16 - FREE_FAILURES
    # The check is scrypt, tens of milliseconds: were a try counted only after it, the
    # processes checking at the same moment would each get a guess past the limit.
    assert sum(tab["checked"] for tab in tabs) == FREE_FAILURES
    assert _counted(tmp_path)[("clinician", "dr-li")] == FREE_FAILURES


def test_processes_counting_at_once_lose_no_count(tmp_path: Path) -> None:
    accounts = ["dr-a", "dr-b", "dr-c", "dr-d"]
    for account in accounts:
        add_user(tmp_path, account, account, "482916")
    tabs = _guess_at_once(tmp_path, [(account, 3) for account in accounts])
    assert all(tab["results"] == ["wrong"] * 3 for tab in tabs)
    counted = _counted(tmp_path)
    assert counted[("workstation", "")] == 12  # every process's tries, none lost
    assert all(counted[("clinician", account)] == 3 for account in accounts)
    assert pin_matches(load_users(tmp_path)[0], "482916")  # the users file untouched


def _guesses_within(
    store: SignInAttempts, clock: WallClock, accounts: list[str], end: float
) -> int:
    """PINs a guesser gets checked before `end`, trying again the moment each wait is over."""
    guessing = Check(right=False)
    turn = 0
    while clock.now < end:
        attempt = store.try_pin(accounts[turn % len(accounts)], guessing)
        turn += 1
        if attempt.result == "refused":
            clock.now += attempt.wait
    return guessing.calls


def test_a_guesser_at_full_speed_gets_a_dozen_pins_an_hour_then_four(tmp_path: Path) -> None:
    # Before: 27 guesses in 38 s over `serve`, each tab a fresh count.
    clock = WallClock()
    store = SignInAttempts(tmp_path, clock)
    start = clock.now
    assert _guesses_within(store, clock, ["dr-li"], start + 3600) == 12
    assert _guesses_within(store, clock, ["dr-li"], start + 86_400) == 104 - 12  # in a day: 104


def test_spraying_many_clinicians_gains_little_over_one(tmp_path: Path) -> None:
    clock = WallClock()
    store = SignInAttempts(tmp_path, clock)
    accounts = [f"dr-{number}" for number in range(20)]
    # One guess per clinician in turn: the workstation's limit is what stops it.
    assert _guesses_within(store, clock, accounts, clock.now + 3600) == 22
