"""Every folder clinic-tui makes is 0700 and every file 0600, whatever the umask.

A township PC is often shared: several people sign in to one operating-system account each,
or IT logs in to look around. The cache (plain unless encrypted), its SQLite -wal and -shm,
the printed slips, crash.log and the settings hold patient text or a server address, so
none of it is readable by another account. Files are created with these modes from the
start (the umask can only take bits away, and then a chmod makes the mode exact), and what
an earlier version left readable is tightened the next time it is opened: `make_private`
returns what it changed so the command line can say so once. SQLite gives the -wal, -shm
and -journal it creates the main file's mode, so a cache file made 0600 keeps its logs so.

Standard library only: the cache module, which loads before the ORM, uses it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
OTHERS = 0o077
"""The group and other permission bits; none of them is ever set on what clinic-tui writes."""

_POSIX = os.name == "posix"


def tighten(path: Path) -> bool:
    """Take the group and other bits off `path` (owner bits kept); True when it had some.

    Nothing happens to a path this user does not own (chmod would fail) or on Windows,
    where these bits mean nothing.
    """
    if not _POSIX:
        return False
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(found.st_mode) or not found.st_mode & OTHERS:
        return False
    if found.st_uid != os.getuid():
        return False
    os.chmod(path, stat.S_IMODE(found.st_mode) & ~OTHERS)
    return True


def private_dir(path: Path) -> Path:
    """Make `path` (and any missing parent) with mode 0700; an existing one is tightened."""
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
    missing: list[Path] = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # another process made it first; tightened below like any other
        if _POSIX:
            os.chmod(folder, FOLDER_MODE)
    tighten(path)
    return path


def open_private(path: Path, flags: int) -> int:
    """os.open with O_CREAT and mode 0600 (exact, whatever the umask); an existing file is
    tightened too. Returns the descriptor."""
    descriptor = os.open(path, flags | os.O_CREAT, FILE_MODE)
    if _POSIX:
        try:
            mode = stat.S_IMODE(os.fstat(descriptor).st_mode)
            if mode & OTHERS:
                os.fchmod(descriptor, mode & ~OTHERS)
        except OSError:
            os.close(descriptor)
            raise
    return descriptor


def create_private_file(path: Path) -> bool:
    """Create `path` empty with mode 0600 unless it exists; True when this call made it."""
    try:
        descriptor = open_private(path, os.O_WRONLY | os.O_EXCL)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to a new or existing file at `path`, which is left 0600."""
    descriptor = open_private(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def make_private(folder: Path) -> list[Path]:
    """Tighten `folder` and everything in it that others can read; returns what changed.

    A sub-folder that was already private is not walked: nobody else can reach inside it,
    so a year of printed slips costs one stat, not thousands.
    """
    if not folder.is_dir():
        return []
    changed = [folder] if tighten(folder) else []
    changed += _tighten_inside(folder)
    return changed


def _tighten_inside(folder: Path) -> Iterator[Path]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink():
            continue
        if entry.is_dir():
            if tighten(path):
                yield path
                yield from _tighten_inside(path)
        elif tighten(path):
            yield path
