"""Wrong PINs counted in the data folder, so every process and every restart sees the same count.

A count kept in the app's memory was reset by Ctrl+Q and a restart, and `serve` starts a
process per browser tab: 27 guesses in 38 s found a 4-digit PIN. The count lives in
`sign_in_attempts.sqlite3` beside the clinicians file (0600, plain SQLite from the standard
library: the sign-in screen is up before the cache's ORM loads). Each try is a
read-modify-write inside `BEGIN IMMEDIATE`, so two processes counting at once never lose a
count, and a try is counted as wrong *before* the PIN is checked and forgiven only once it
proved right: a hundred tabs submitting at the same instant get the same five tries as one.

Per clinician: FREE_FAILURES wrong PINs in a row, then a lock-out of FIRST_LOCK_SECONDS,
doubling with each further wrong PIN up to MAX_LOCK_SECONDS. Across the workstation (against
trying a few PINs on each of many clinicians): WORKSTATION_FREE_FAILURES wrong PINs in a row
on any clinicians lock every sign-in the same way. During a lock-out no PIN is checked, the
right one included. A right PIN clears that clinician's count and the workstation's.
Times are the wall clock (seconds since the epoch), the only clock two processes or a
restart share; a clock set back never makes a wait longer than the lock-out it belongs to.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from clinic_tui.errors import ClinicError
from clinic_tui.i18n import tr

log = logging.getLogger(__name__)

ATTEMPTS_FILE = "sign_in_attempts.sqlite3"

FREE_FAILURES = 5
"""Wrong PINs in a row for one clinician before their sign-in is locked."""

WORKSTATION_FREE_FAILURES = 15
"""Wrong PINs in a row on this workstation, whichever clinicians, before every sign-in locks."""

FIRST_LOCK_SECONDS = 30.0
"""The first lock-out; each further wrong PIN doubles it."""

MAX_LOCK_SECONDS = 900.0
"""The longest lock-out: 15 minutes, then one try per 15 minutes (96 a day at most)."""

BUSY_SECONDS = 10.0
"""How long a process waits for another's count to be written before it gives up."""

Scope = Literal["clinician", "workstation"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sign_in_failures (
    scope TEXT NOT NULL,          -- 'clinician' (account = practitioner id) or 'workstation'
    account TEXT NOT NULL,
    failures INTEGER NOT NULL,    -- wrong PINs in a row
    locked_until REAL NOT NULL,   -- wall-clock seconds; 0 = not locked
    lock_seconds REAL NOT NULL,   -- length of that lock-out (caps the wait if the clock went back)
    PRIMARY KEY (scope, account)
)
"""


class SignInRecordError(ClinicError):
    """The shared count of wrong PINs could not be read or written: no PIN is checked."""


@dataclass(frozen=True)
class Attempt:
    """What became of one sign-in try."""

    result: Literal["signed_in", "wrong", "refused"]
    """refused: a lock-out was running, the PIN was not checked."""
    wait: float = 0.0
    """Seconds before the next try (refused, or a wrong PIN that started a lock-out)."""
    scope: Scope = "clinician"
    """Whose lock-out `wait` is: the clinician's own, or the whole workstation's."""
    failures: int = 0
    """The clinician's wrong PINs in a row, this one included."""
    left: int = 0
    """Wrong PINs the clinician has left before a lock-out (a wrong PIN with no wait)."""
    locked_now: bool = False
    """This wrong PIN started (or lengthened) a lock-out."""


@dataclass
class _Row:
    failures: int = 0
    locked_until: float = 0.0
    lock_seconds: float = 0.0

    def wait(self, now: float) -> float:
        return min(max(0.0, self.locked_until - now), self.lock_seconds)


def lock_seconds(failures: int, free: int) -> float:
    """The lock-out after `failures` wrong PINs in a row, of which `free` cost nothing."""
    if failures < free:
        return 0.0
    doubled = FIRST_LOCK_SECONDS * float(2 ** min(failures - free, 32))
    return min(MAX_LOCK_SECONDS, doubled)


def attempts_path(data_dir: Path) -> Path:
    """The shared count of wrong PINs of a data folder."""
    return data_dir / ATTEMPTS_FILE


class SignInAttempts:
    """The wrong-PIN count and lock-outs of one data folder, shared by every process."""

    def __init__(self, data_dir: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = attempts_path(data_dir)
        self.clock = clock
        """Wall-clock seconds (tests pass one they move by hand)."""

    # ----- the file --------------------------------------------------------------------------

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Made 0600 before SQLite opens it; its journal takes the same mode from it.
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(descriptor)
        if self.path.stat().st_mode & 0o077:
            os.chmod(self.path, 0o600)

    def _open(self) -> sqlite3.Connection:
        self._create()
        # isolation_level=None: the transactions below are written out, BEGIN IMMEDIATE first.
        connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            connection.execute(_SCHEMA)
        except sqlite3.DatabaseError as error:
            connection.close()
            if isinstance(error, sqlite3.OperationalError):
                raise  # busy or unreadable: not a reason to throw the counts away
            # Not an SQLite file at all: set aside for IT, start a new count (whoever can
            # write this file could as well have deleted it).
            aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            os.replace(self.path, aside)
            log.warning("sign-in count %s was unreadable (%s); set aside", self.path, error)
            self._create()
            connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
            connection.execute(_SCHEMA)
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; any SQLite trouble becomes SignInRecordError."""
        try:
            with closing(self._open()) as connection:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
        except (sqlite3.Error, OSError) as error:
            raise SignInRecordError(
                tr(
                    "the sign-in count in {path} cannot be read or written ({error}); the PIN "
                    "was not checked"
                ).format(path=self.path, error=error)
            ) from error

    @staticmethod
    def _read(connection: sqlite3.Connection, scope: Scope, account: str) -> _Row:
        found = connection.execute(
            "SELECT failures, locked_until, lock_seconds FROM sign_in_failures "
            "WHERE scope = ? AND account = ?",
            (scope, account),
        ).fetchone()
        return _Row(int(found[0]), float(found[1]), float(found[2])) if found else _Row()

    @staticmethod
    def _write(connection: sqlite3.Connection, scope: Scope, account: str, row: _Row) -> None:
        connection.execute(
            "INSERT OR REPLACE INTO sign_in_failures VALUES (?, ?, ?, ?, ?)",
            (scope, account, row.failures, row.locked_until, row.lock_seconds),
        )

    # ----- sign-in ---------------------------------------------------------------------------

    def try_pin(self, account: str, check: Callable[[], bool]) -> Attempt:
        """Check a PIN for `account` unless a lock-out runs; count it, and say what became of it.

        `check` (the slow scrypt comparison) runs outside the transaction, after the try
        was counted as wrong, so a crash or a parallel try can never get a free guess.
        """
        with self._transaction() as connection:
            now = self.clock()
            mine = self._read(connection, "clinician", account)
            everyone = self._read(connection, "workstation", "")
            if everyone.wait(now) > 0 or mine.wait(now) > 0:
                if everyone.wait(now) >= mine.wait(now):
                    return Attempt("refused", everyone.wait(now), "workstation", mine.failures)
                return Attempt("refused", mine.wait(now), "clinician", mine.failures)
            mine.failures += 1
            everyone.failures += 1
            started: dict[Scope, float] = {}
            counts: tuple[tuple[Scope, _Row, int], ...] = (
                ("clinician", mine, FREE_FAILURES),
                ("workstation", everyone, WORKSTATION_FREE_FAILURES),
            )
            for scope, row, free in counts:
                seconds = lock_seconds(row.failures, free)
                if seconds:
                    row.locked_until, row.lock_seconds = now + seconds, seconds
                    started[scope] = seconds
            self._write(connection, "clinician", account, mine)
            self._write(connection, "workstation", "", everyone)
        if check():
            self.forgive(account)
            return Attempt("signed_in")
        if started:
            longest = max(started, key=lambda scope: started[scope])
            return Attempt("wrong", started[longest], longest, mine.failures, locked_now=True)
        return Attempt("wrong", failures=mine.failures, left=FREE_FAILURES - mine.failures)

    def forgive(self, account: str, *, workstation: bool = True) -> None:
        """Clear the clinician's count (a right PIN or a new one), and the workstation's."""
        with self._transaction() as connection:
            connection.execute(
                "DELETE FROM sign_in_failures WHERE scope = 'clinician' AND account = ?",
                (account,),
            )
            if workstation:
                connection.execute("DELETE FROM sign_in_failures WHERE scope = 'workstation'")

    def forgive_everyone(self) -> None:
        """Clear every count and lock-out (`clinic-tui users unlock`)."""
        with self._transaction() as connection:
            connection.execute("DELETE FROM sign_in_failures")

    def failures(self, account: str) -> int:
        """The clinician's wrong PINs in a row, as every process sees them now."""
        with self._transaction() as connection:
            return self._read(connection, "clinician", account).failures

    def wait_left(self, account: str) -> float:
        """Seconds before a PIN of `account` will be checked again (0 = now)."""
        with self._transaction() as connection:
            now = self.clock()
            mine = self._read(connection, "clinician", account)
            everyone = self._read(connection, "workstation", "")
            return max(mine.wait(now), everyone.wait(now))
