"""One sync at a time per cache: the lock row, its heartbeat and stale-holder takeover."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from sqlalchemy import Engine, text

from clinic_tui.sync.sync_lock import LOCK_KEY, SyncBusyError, SyncLock


def _plant(engine: Engine, **holder: object) -> None:
    value = {"host": socket.gethostname(), "pid": os.getpid(), "token": "other", **holder}
    value.setdefault("heartbeat", time.time())
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO cache_meta (key, value) VALUES (:k, :v)"),
            {"k": LOCK_KEY, "v": json.dumps(value)},
        )


def _held(engine: Engine) -> bool:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT count(*) FROM cache_meta WHERE key = :k"), {"k": LOCK_KEY}
        )
        return bool(found.scalar())


def test_a_second_sync_on_the_same_cache_is_refused_until_the_first_ends(engine: Engine) -> None:
    with SyncLock(engine):
        with pytest.raises(SyncBusyError):
            SyncLock(engine).acquire()
        assert _held(engine)
    assert not _held(engine)
    with SyncLock(engine):
        assert _held(engine)


def test_a_lock_whose_heartbeat_is_stale_is_taken_over(engine: Engine) -> None:
    _plant(engine, heartbeat=time.time() - 3600)

    with SyncLock(engine, stale_after=600) as lock:
        with engine.connect() as connection:
            value = connection.execute(
                text("SELECT value FROM cache_meta WHERE key = :k"), {"k": LOCK_KEY}
            ).scalar_one()
        assert json.loads(value)["token"] == lock.token


@pytest.mark.skipif(os.name != "posix", reason="process checks are POSIX only")
def test_a_lock_left_by_a_dead_process_on_this_host_is_taken_over(engine: Engine) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    _plant(engine, pid=int(finished.stdout))

    with SyncLock(engine):
        assert _held(engine)


def test_a_live_holder_on_another_host_is_respected(engine: Engine) -> None:
    _plant(engine, host="another-desk", pid=1)

    with pytest.raises(SyncBusyError):
        SyncLock(engine).acquire()


def test_releasing_never_removes_someone_elses_lock(engine: Engine) -> None:
    _plant(engine)

    SyncLock(engine).release()

    assert _held(engine)
