"""Two processes opening an unmigrated cache at once run its migration steps once.

The test builds the interleaving it proves: both connections have read the schema version
before either takes the write lock (where the old code let both run the steps), and the
second then waits on SQLite's lock, not on a timer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from clinic_tui.offline_cache import migrations
from clinic_tui.offline_cache.cache_file import prepare_cache
from clinic_tui.offline_cache.migrations import LATEST_VERSION, migrate

WAIT_SECONDS = 30.0
"""A guard against a hung test only: every wait below ends on an event or a lock."""


class Hooked:
    """A connection that calls `before(sql, n)` ahead of its n-th statement."""

    def __init__(self, path: Path, before: Callable[[str, int], None]) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=WAIT_SECONDS)
        self.before = before
        self.statements = 0

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        """Run `sql` after the hook."""
        self.statements += 1
        self.before(sql, self.statements)
        return self.connection.execute(sql, *args)


def test_two_connections_migrating_at_once_run_the_steps_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "clinic.sqlite3"
    runs: list[str] = []

    def step(connection: sqlite3.Connection) -> None:
        runs.append(threading.current_thread().name)
        connection.execute("CREATE TABLE only_once (id INTEGER)")  # fails if run twice

    monkeypatch.setattr(migrations, "MIGRATIONS", [step])
    second_begins = threading.Event()
    errors: list[BaseException] = []

    def second_hook(sql: str, _n: int) -> None:
        if sql.startswith("BEGIN"):
            second_begins.set()  # it has read the version and now asks for the write lock

    def second() -> None:
        try:
            migrate(cast(sqlite3.Connection, Hooked(path, second_hook)), target=1)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    other = threading.Thread(target=second, name="second")

    def first_hook(_sql: str, n: int) -> None:
        if n == 2:  # the first has read the version; the second runs up to its lock request
            other.start()
            assert second_begins.wait(WAIT_SECONDS)

    try:
        migrate(cast(sqlite3.Connection, Hooked(path, first_hook)), target=1)
    except BaseException as error:
        errors.append(error)
    other.join(WAIT_SECONDS)
    assert not other.is_alive()

    assert errors == []
    assert len(runs) == 1
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == 1


def test_an_up_to_date_cache_opens_while_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite3"
    prepare_cache(path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another window in the middle of a sync's write
    try:
        connection = sqlite3.connect(path, isolation_level=None, timeout=0)
        assert migrate(connection) == LATEST_VERSION  # no wait for the write lock
        connection.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
