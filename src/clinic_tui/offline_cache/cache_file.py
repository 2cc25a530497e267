"""The cache file itself, with the standard library only: check it is ours, migrate it, read it.

Kept free of SQLAlchemy on purpose: the first screen reads today's queue
through here, so the workstation is usable before the ORM has even loaded.
A file that is not a clinic-tui cache, or one written by a newer version, is
refused with a one-line reason and left exactly as it was.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from clinic_tui.errors import CacheError
from clinic_tui.offline_cache.migrations import APPLICATION_ID, LATEST_VERSION, migrate

SQLITE_HEADER = b"SQLite format 3\x00"

LAST_SYNC_KEY = "last_successful_sync"
"""cache_meta key: when a sync last reached the end of download and upload without errors."""

CONNECTION_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    # NORMAL in WAL mode is durable against application crashes and only risks the
    # last transactions on power loss, never corruption.
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 5000",
)
"""Run on every connection to the cache, whichever library opened it."""


class CacheUpgradeError(CacheError):
    """A cache of an older schema met where it may only be read (it is migrated on opening)."""


def _check_directory(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CacheError(
            f"cannot create data directory {directory}: {error.strerror or error}"
        ) from error
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CacheError(
            f"data directory {directory} is not writable; choose another with --data-dir"
        )


def _check_existing_file(path: Path) -> None:
    if not path.is_file():
        raise CacheError(f"{path} exists but is not a file")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise CacheError(f"cannot read cache {path}: {error.strerror or error}") from error
    if header and header != SQLITE_HEADER:
        raise CacheError(f"{path} is not a clinic-tui cache (not an SQLite database); left as is")


def _inspect(connection: sqlite3.Connection, path: Path) -> tuple[int, int, int]:
    try:
        application_id = int(connection.execute("PRAGMA application_id").fetchone()[0])
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        tables = int(
            connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
        )
    except sqlite3.DatabaseError as error:
        raise CacheError(f"{path} is damaged or not a database ({error}); left as is") from error
    return application_id, version, tables


def prepare_cache(path: Path, *, create: bool = True) -> None:
    """Check and migrate the cache at `path`; raises CacheError with a one-line reason."""
    existed = path.exists()
    if existed:
        _check_existing_file(path)
    elif not create:
        raise CacheError(f"no cache at {path}; run `clinic-tui demo-data` or sync first")
    _check_directory(path.parent)
    try:
        connection = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as error:
        raise CacheError(f"cannot open cache {path}: {error}") from error
    try:
        application_id, version, tables = _inspect(connection, path)
        if tables and application_id != APPLICATION_ID:
            raise CacheError(f"{path} is an SQLite database of another program; left as is")
        if version > LATEST_VERSION:
            raise CacheError(
                f"{path} was written by a newer clinic-tui (schema {version}, this one reads "
                f"up to {LATEST_VERSION}); upgrade clinic-tui"
            )
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            migrate(connection)
        except sqlite3.OperationalError as error:
            raise CacheError(f"cannot write cache {path}: {error}") from error
        except sqlite3.DatabaseError as error:
            raise CacheError(f"{path} is damaged ({error}); left as is") from error
    finally:
        connection.close()


def _read_only_connection(path: Path) -> sqlite3.Connection:
    """A read-only connection; immutable only where nothing else can work."""
    uri = path.resolve().as_uri()
    try:
        connection = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return connection
    except sqlite3.OperationalError:
        # A WAL cache needs its -shm index beside it, which SQLite cannot create in a folder
        # this user cannot write. Opened immutable it reads the file as it lies; nobody can
        # be adding a write-ahead log in such a folder, which is what makes that safe.
        if os.access(path.parent, os.W_OK | os.X_OK):
            raise
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, check_same_thread=False)


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the existing cache at `path`, for a look that changes nothing.

    Checked like prepare_cache (ours, not damaged, not newer), but never created, migrated
    or written, so it works in a folder or on a file this user may only read. A cache of an
    older schema is CacheUpgradeError (its tables may lack what is read).
    """
    if not path.exists():
        raise CacheError(f"no cache at {path}; run `clinic-tui demo-data` or sync first")
    _check_existing_file(path)
    try:
        connection = _read_only_connection(path)
    except sqlite3.Error as error:
        raise CacheError(f"cannot open cache {path}: {error}") from error
    try:
        application_id, version, tables = _inspect(connection, path)
        if tables and application_id != APPLICATION_ID:
            raise CacheError(f"{path} is an SQLite database of another program; left as is")
        if version > LATEST_VERSION:
            raise CacheError(
                f"{path} was written by a newer clinic-tui (schema {version}, this one reads "
                f"up to {LATEST_VERSION}); upgrade clinic-tui"
            )
        if tables and version < LATEST_VERSION:
            raise CacheUpgradeError(
                f"{path} was written by an older clinic-tui (schema {version}, this one reads "
                f"{LATEST_VERSION}) and cannot be upgraded read-only; open it once with "
                "clinic-tui where its folder can be written"
            )
        connection.execute("PRAGMA query_only = ON")
        connection.execute("PRAGMA busy_timeout = 5000")
    except BaseException:
        connection.close()
        raise
    return connection


def is_empty_cache(path: Path) -> bool:
    """True for a cache file with no tables at all (0 bytes, or made and never migrated)."""
    connection = open_read_only(path)
    try:
        return _inspect(connection, path)[2] == 0
    finally:
        connection.close()


def connect(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection to a prepared cache, rows readable by column name."""
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    for pragma in CONNECTION_PRAGMAS:
        connection.execute(pragma)
    return connection
