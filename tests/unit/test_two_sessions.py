"""Several workstation processes on one cache (one per `clinic-tui serve` browser session).

Each test builds the interleaving it proves: the sync lock is contended by real processes
released together; the queue races hold one side at the moment between its read and its
write (a barrier), which is where the old code let the other side read the same thing.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.domain.models import Clinic, Priority
from clinic_tui.offline_cache import queue_repository
from clinic_tui.offline_cache.engine import create_cache_engine
from clinic_tui.offline_cache.queue_repository import QueueRepository
from clinic_tui.offline_cache.store import upsert_resources
from clinic_tui.sync.sync_lock import LOCK_KEY
from tests.factories import CLINIC_ID, QUEUE_NOW, queue_day

CONTENDERS = 4
_CONTENDER = """
import sys
from pathlib import Path
from clinic_tui.offline_cache.engine import create_cache_engine
from clinic_tui.sync.sync_lock import SyncBusyError, SyncLock

engine = create_cache_engine(Path(sys.argv[1]))
print("ready", flush=True)
sys.stdin.readline()  # go: every contender is released at once
lock = SyncLock(engine)
try:
    lock.acquire()
except SyncBusyError:
    print("busy", flush=True)
    sys.exit(0)
print("won", flush=True)
sys.stdin.readline()  # hold the lock until every other contender has tried
lock.release()
print("released", flush=True)
"""


def _lock_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT count(*) FROM cache_meta WHERE key = :k"), {"k": LOCK_KEY}
        )
        return int(found.scalar_one())


def test_one_sync_at_a_time_across_workstation_processes(cache_file: Path, engine: Engine) -> None:
    contenders = [
        subprocess.Popen(
            [sys.executable, "-c", _CONTENDER, str(cache_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(CONTENDERS)
    ]
    try:
        for process in contenders:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in contenders:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        said = {}
        for process in contenders:
            assert process.stdout is not None
            said[process] = process.stdout.readline().strip()
        winners = [process for process, word in said.items() if word == "won"]

        assert sorted(said.values()) == ["busy"] * (CONTENDERS - 1) + ["won"]
        assert _lock_rows(engine) == 1
        winner = winners[0]
        assert winner.stdin is not None
        assert winner.stdout is not None
        winner.stdin.write("release\n")
        winner.stdin.flush()
        assert winner.stdout.readline().strip() == "released"
        assert _lock_rows(engine) == 0
    finally:
        for process in contenders:
            process.kill()
            process.wait()


def _two_sessions(cache_file: Path) -> tuple[QueueRepository, QueueRepository]:
    """Two repositories as two processes have them: own engines, own in-process locks."""
    clinic = Clinic(id=CLINIC_ID, name="青山镇卫生院")
    return (
        QueueRepository(create_cache_engine(cache_file), clinic),
        QueueRepository(create_cache_engine(cache_file), clinic),
    )


def _race(
    monkeypatch: pytest.MonkeyPatch,
    owner: Any,
    name: str,
    act: Callable[[QueueRepository], Any],
    sessions: tuple[QueueRepository, QueueRepository],
) -> list[Any]:
    """Run `act` in both sessions at once, each held at `owner.name` until both reach it
    (or, where one cannot reach it while the other is inside, briefly, then on)."""
    barrier = threading.Barrier(2)
    original = getattr(owner, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        # Broken: the other session waits for this one's write lock, so go on alone.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, held)
    results: list[Any] = [None, None]

    def run(index: int) -> None:
        results[index] = act(sessions[index])

    threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_sessions_calling_next_at_once_call_two_patients(
    cache_file: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, queue_day())
    sessions = _two_sessions(cache_file)

    called = _race(
        monkeypatch,
        queue_repository,
        "next_patient",
        lambda repo: repo.call_next(QUEUE_NOW),
        sessions,
    )

    assert called[0] is not None
    assert called[1] is not None
    assert called[0].encounter_id != called[1].encounter_id


def test_two_sessions_registering_at_once_get_two_numbers(
    cache_file: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, queue_day())
    sessions = _two_sessions(cache_file)
    patients = iter(["p-smith", "p-li"])
    chosen = {id(session): next(patients) for session in sessions}

    registered = _race(
        monkeypatch,
        QueueRepository,
        "_next_number",
        lambda repo: repo.register_walk_in(
            chosen[id(repo)], "发热", Priority.ROUTINE, QUEUE_NOW, again=True
        ),
        sessions,
    )

    numbers = [entry.number for entry in registered]
    assert len(set(numbers)) == 2, numbers
    today = sessions[0].today(date(2026, 11, 24))
    assert sorted(e.number for e in today) == sorted({e.number for e in today})
