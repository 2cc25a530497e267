"""SQLAlchemy engines on the cache. The file checks and migrations live in cache_file.py.

Nothing is opened at import; every function takes the path it works on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.pool import NullPool
from sqlmodel import create_engine

from clinic_tui.offline_cache.cache_file import (
    CONNECTION_PRAGMAS,
    cache_encryption,
    open_connection,
    open_read_only,
    prepare_cache,
)


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in CONNECTION_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def create_cache_engine(path: Path) -> Engine:
    """An SQLAlchemy engine on an existing cache file, with WAL and foreign keys on."""
    if cache_encryption(path) is not None:
        from sqlcipher3 import dbapi2

        # SQLCipher's own DB-API module, so SQLAlchemy wraps its errors as it does sqlite3's;
        # each connection is keyed by cache_file before any pragma or query runs.
        engine = create_engine(
            f"sqlite:///{path}",
            module=dbapi2,
            creator=lambda: open_connection(path, check_same_thread=False),
            poolclass=NullPool,
        )
        event.listen(engine, "connect", _set_pragmas)
        return engine
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False},
        # One connection per checkout keeps worker threads from sharing a sqlite3 handle.
        poolclass=NullPool,
    )
    event.listen(engine, "connect", _set_pragmas)
    return engine


def open_cache(path: Path, *, create: bool = True) -> Engine:
    """Check, migrate and open the cache at `path`; raises CacheError with a one-line reason."""
    prepare_cache(path, create=create)
    return create_cache_engine(path)


def open_cache_read_only(path: Path) -> Engine:
    """An engine that only reads the existing cache at `path` (see cache_file.open_read_only).

    Nothing is created, migrated or written, so it works on a cache in a read-only folder.
    """
    open_read_only(path).close()  # its problems are reported now, not at the first query
    options: dict[str, Any] = {}
    if cache_encryption(path) is not None:
        from sqlcipher3 import dbapi2

        options["module"] = dbapi2
    return create_engine(
        "sqlite://", creator=lambda: open_read_only(path), poolclass=NullPool, **options
    )
