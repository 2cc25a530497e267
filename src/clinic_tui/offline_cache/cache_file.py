"""The cache file itself, with the standard library only: check it is ours, migrate it, read it.

Kept free of SQLAlchemy on purpose: the first screen reads today's queue
through here, so the workstation is usable before the ORM has even loaded.
A file that is not a clinic-tui cache, or one written by a newer version, is
refused with a one-line reason and left exactly as it was.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any, cast

from clinic_tui.errors import CacheError
from clinic_tui.i18n import os_reason, tr
from clinic_tui.offline_cache.cache_key import (
    CacheLockedError,
    Encryption,
    key_for,
    marker_path,
    read_marker,
    unlock_hint,
)
from clinic_tui.offline_cache.migrations import APPLICATION_ID, LATEST_VERSION, migrate
from clinic_tui.private_files import create_private_file, make_private, private_dir

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

MIGRATION_WAIT_SECONDS = 300.0
"""How long opening a cache waits for another process that is migrating it (a big cache's
steps on an old PC take longer than a write's 5 s busy timeout)."""


class CacheUpgradeError(CacheError):
    """A cache of an older schema met where it may only be read (it is migrated on opening)."""


def database_errors(name: str = "Error") -> tuple[type[Exception], ...]:
    """sqlite3's exception class `name`, with SQLCipher's twin once an encrypted cache is open.

    sqlcipher3 is a separate build of the sqlite3 module: its exceptions are not the
    standard library's, so code that catches database errors on the cache catches these.
    """
    found: list[type[Exception]] = [getattr(sqlite3, name)]
    cipher = sys.modules.get("sqlcipher3.dbapi2")
    if cipher is not None:
        found.append(getattr(cipher, name))
    return tuple(found)


def encryption_of(path: Path) -> Encryption | None:
    """How the cache at `path` is encrypted, or None for a plain (or missing, or empty) one.

    The file's own first bytes decide: an SQLite header means plain, whatever marker lies
    beside it (one left by an `encrypt` killed before its rename), so a plain cache is
    never refused for a stale marker.
    """
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    except OSError as error:
        raise CacheError(
            tr("cannot read cache {path}: {reason}").format(path=path, reason=os_reason(error))
        ) from error
    if not header or header == SQLITE_HEADER:
        return None
    encryption = read_marker(path)
    if encryption is None:
        raise CacheError(
            tr(
                "{path} is not a clinic-tui cache (not an SQLite database, and no {marker} "
                "beside it to say it is encrypted); left as is"
            ).format(path=path, marker=marker_path(path).name)
        )
    return encryption


_known: dict[Path, Encryption | None] = {}
_known_lock = threading.Lock()


def cache_encryption(path: Path) -> Encryption | None:
    """encryption_of, read once per path and process.

    Opening and closing the cache file (to read its header) would drop every POSIX lock
    this process holds on it, including SQLite's (the reason SQLite defers closing its own
    descriptors); so connections after the first never touch the file outside SQLite.
    """
    resolved = path.resolve()
    with _known_lock:
        if resolved in _known:
            return _known[resolved]
    found = encryption_of(path)
    if found is not None or path.exists():
        with _known_lock:
            _known[resolved] = found
    return found


def forget_encryption_state(path: Path) -> None:
    """Read the header again at the next connection (the file was encrypted or replaced)."""
    with _known_lock:
        _known.pop(path.resolve(), None)


def _cipher_connect(path: Path, target: str, encryption: Encryption, **options: Any) -> Any:
    """An SQLCipher connection with this process's key for `path`; CacheLockedError without."""
    key = key_for(path)
    if key is None:
        raise CacheLockedError(
            tr("the cache {path} is encrypted; unlock it: {hint}").format(
                path=path, hint=unlock_hint(encryption)
            )
        )
    from sqlcipher3 import dbapi2

    connection = dbapi2.connect(target, **options)
    try:
        # SQLCipher writes a wrong key's page errors to stderr, over the screen; our message
        # says it once.
        connection.execute("PRAGMA cipher_log_level = NONE")
        connection.execute(key.pragma())
        # The key is only tried at the first read: a wrong one fails here, as one message.
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except dbapi2.DatabaseError as error:
        connection.close()
        raise CacheLockedError(
            tr(
                "the key does not open this cache ({path}): wrong passphrase, or the key of "
                "another cache; nothing was changed"
            ).format(path=path)
        ) from error
    return connection


def open_connection(
    path: Path, target: str | Path | None = None, **options: Any
) -> sqlite3.Connection:
    """A connection to the cache at `path` (sqlite3, or SQLCipher with its key when encrypted).

    `target` is what to open when it is not `path` itself (a read-only URI); `options`
    go to connect() as they would for sqlite3.
    """
    encryption = cache_encryption(path)
    where = str(path if target is None else target)
    if encryption is None:
        plain: sqlite3.Connection = sqlite3.connect(where, **options)
        return plain
    return cast(sqlite3.Connection, _cipher_connect(path, where, encryption, **options))


def _check_directory(directory: Path) -> None:
    try:
        private_dir(directory)
    except OSError as error:
        raise CacheError(
            tr("cannot create data directory {directory}: {reason}").format(
                directory=directory, reason=os_reason(error)
            )
        ) from error
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CacheError(
            tr("data directory {directory} is not writable; choose another with --data-dir").format(
                directory=directory
            )
        )


def _check_existing_file(path: Path) -> None:
    if not path.is_file():
        raise CacheError(tr("{path} exists but is not a file").format(path=path))
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise CacheError(
            tr("cannot read cache {path}: {reason}").format(path=path, reason=os_reason(error))
        ) from error
    if header and header != SQLITE_HEADER:
        encryption_of(path)  # an encrypted cache passes; anything else is refused there


def _inspect(connection: sqlite3.Connection, path: Path) -> tuple[int, int, int]:
    try:
        application_id = int(connection.execute("PRAGMA application_id").fetchone()[0])
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        tables = int(
            connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
        )
    except database_errors("DatabaseError") as error:
        raise CacheError(
            tr("{path} is damaged or not a database ({error}); left as is").format(
                path=path, error=error
            )
        ) from error
    return application_id, version, tables


def prepare_cache(path: Path, *, create: bool = True) -> list[Path]:
    """Check and migrate the cache at `path`; raises CacheError with a one-line reason.

    The data folder is made private on the way (see private_files): returns what in it had
    been readable by others and no longer is.
    """
    existed = path.exists()
    if existed:
        _check_existing_file(path)
    elif not create:
        raise CacheError(
            tr("no cache at {path}; run `clinic-tui demo-data` or sync first").format(path=path)
        )
    try:
        tightened = make_private(path.parent)
    except OSError as error:
        raise CacheError(
            tr("cannot make data directory {directory} private: {reason}").format(
                directory=path.parent, reason=os_reason(error)
            )
        ) from error
    _check_directory(path.parent)
    if not existed:
        # Made 0600 before SQLite opens it: SQLite would make it 0644 less the umask, and it
        # gives the -wal, -shm and -journal it creates later the main file's mode.
        try:
            create_private_file(path)
        except OSError as error:
            raise CacheError(
                tr("cannot create cache {path}: {reason}").format(
                    path=path, reason=os_reason(error)
                )
            ) from error
    try:
        connection = open_connection(path, isolation_level=None, timeout=MIGRATION_WAIT_SECONDS)
    except database_errors() as error:
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
        except database_errors("OperationalError") as error:
            raise CacheError(f"cannot write cache {path}: {error}") from error
        except database_errors("DatabaseError") as error:
            raise CacheError(f"{path} is damaged ({error}); left as is") from error
    finally:
        connection.close()
    return tightened


def _read_only_connection(path: Path) -> sqlite3.Connection:
    """A read-only connection; immutable only where nothing else can work."""
    uri = path.resolve().as_uri()
    try:
        connection = open_connection(path, f"{uri}?mode=ro", uri=True, check_same_thread=False)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return connection
    except database_errors("OperationalError"):
        # A WAL cache needs its -shm index beside it, which SQLite cannot create in a folder
        # this user cannot write. Opened immutable it reads the file as it lies; nobody can
        # be adding a write-ahead log in such a folder, which is what makes that safe.
        if os.access(path.parent, os.W_OK | os.X_OK):
            raise
    return open_connection(path, f"{uri}?mode=ro&immutable=1", uri=True, check_same_thread=False)


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the existing cache at `path`, for a look that changes nothing.

    Checked like prepare_cache (ours, not damaged, not newer), but never created, migrated
    or written, so it works in a folder or on a file this user may only read. A cache of an
    older schema is CacheUpgradeError (its tables may lack what is read).
    """
    if not path.exists():
        raise CacheError(
            tr("no cache at {path}; run `clinic-tui demo-data` or sync first").format(path=path)
        )
    _check_existing_file(path)
    try:
        connection = _read_only_connection(path)
    except database_errors() as error:
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
    connection = open_connection(path, check_same_thread=False)
    # The Row class of the module that made the connection (sqlite3's refuses SQLCipher's).
    connection.row_factory = sys.modules[type(connection).__module__].Row
    for pragma in CONNECTION_PRAGMAS:
        connection.execute(pragma)
    return connection
