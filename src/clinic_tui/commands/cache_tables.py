"""The flow the `formulary` and `terminology` commands share over the cache's tables.

Each keeps a built-in table (the starter formulary, the diagnosis starter set) loaded on
every start, imports a file into it, and searches it: the cache is made ready (migrated,
its built-in table loaded) only once the file has been read, and every write turns a
database error into one line naming what could not be written where.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from clinic_tui.errors import CacheError

if TYPE_CHECKING:
    from clinic_tui.config import Settings

T = TypeVar("T")


def command_settings(args: argparse.Namespace) -> Settings:
    """The settings for --data-dir, --config and --lang."""
    from clinic_tui.config import load_settings

    return load_settings(
        data_dir_flag=args.data_dir, config_flag=args.config, language_flag=args.lang
    )


def ready_cache(settings: Settings, load_builtin: Callable[[Path], bool]) -> Path:
    """The cache of `settings`, prepared (created or migrated) with its built-in table."""
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.cache_file import prepare_cache

    path = cache_path(settings.data_dir)
    prepare_cache(path)
    load_builtin(path)
    return path


def load_builtin(path: Path, what: str, ensure: Callable[[Any], object]) -> bool:
    """Load or refresh a built-in table (`ensure` on a connection) in the prepared cache.

    False when another process holds the cache for writing (an import running): the
    workstation starts anyway and the next start loads it.
    """
    from clinic_tui.offline_cache.cache_file import connect, database_errors

    try:
        with closing(connect(path)) as connection:
            # Never keep a workstation from starting behind a long import.
            connection.execute("PRAGMA busy_timeout = 200")
            ensure(connection)
    except database_errors("OperationalError") as error:
        if "locked" in str(error) or "busy" in str(error):
            return False
        raise CacheError(f"cannot write {what} into {path}: {error}") from error
    except database_errors() as error:
        raise CacheError(f"cannot write {what} into {path}: {error}") from error
    return True


def write_into(path: Path, what: str, write: Callable[[Any], T]) -> T:
    """`write` on a connection to the cache; a database error says `what` could not be
    written (other errors, such as a bad file, pass through)."""
    from clinic_tui.offline_cache.cache_file import connect, database_errors

    try:
        with closing(connect(path)) as connection:
            return write(connection)
    except database_errors() as error:
        raise CacheError(f"cannot write {what} into {path}: {error}") from error
