"""Where clinic-tui keeps its files: platformdirs defaults, overridable per run."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "clinic-tui"
CACHE_FILE_NAME = "clinic.sqlite3"


def default_data_dir() -> Path:
    """The per-user data directory (holds the SQLite cache)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_file() -> Path:
    """The per-user settings file."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def resolve_data_dir(flag: str | None) -> Path:
    """The data directory: `--data-dir`, else CLINIC_TUI_DATA_DIR, else the platform default."""
    if flag:
        return Path(flag).expanduser()
    env = os.environ.get("CLINIC_TUI_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return default_data_dir()


def cache_path(data_dir: Path) -> Path:
    """The SQLite cache file inside a data directory."""
    return data_dir / CACHE_FILE_NAME


def crash_log_path() -> Path:
    """Where unexpected errors are written in full, for the clinic's IT person."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)) / "crash.log"
