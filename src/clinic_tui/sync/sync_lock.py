"""One sync at a time per cache: a lock row in the cache itself (cache_meta 'sync_lock').

A row rather than an OS file lock, so it works the same on Windows and Linux and
travels with the cache file. The row names its holder (host, pid, a random
token) and a heartbeat the holder refreshes while it works. A holder is
presumed dead when its heartbeat is older than `stale_after`, or, on this
host under POSIX, when its process no longer exists; its lock is then taken over.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from clinic_tui.errors import ClinicError
from clinic_tui.offline_cache.tables import CacheMeta

LOCK_KEY = "sync_lock"
_META: Any = CacheMeta.__table__  # type: ignore[attr-defined]


class SyncBusyError(ClinicError):
    """Another sync is running on this cache."""

    exit_code = 2


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # os.kill(pid, 0) would terminate the process on Windows; trust the heartbeat
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SyncLock:
    """The cache's sync lock, held by one SyncEngine run (a context manager)."""

    def __init__(
        self, engine: Engine, *, stale_after: float = 600.0, refresh_every: float = 30.0
    ) -> None:
        self.engine = engine
        self.stale_after = stale_after
        self.refresh_every = refresh_every
        self.token = uuid.uuid4().hex
        self._host = socket.gethostname()
        self._beat = 0.0

    def _value(self) -> str:
        self._beat = time.time()
        holder = {"host": self._host, "pid": os.getpid(), "token": self.token}
        return json.dumps({**holder, "heartbeat": self._beat})

    def _holder_alive(self, value: str) -> bool:
        try:
            holder = json.loads(value)
            heartbeat = float(holder["heartbeat"])
            pid = int(holder["pid"])
        except (ValueError, KeyError, TypeError):
            return False  # an unreadable lock protects nothing
        if time.time() - heartbeat > self.stale_after:
            return False
        return holder.get("host") != self._host or _pid_alive(pid)

    def acquire(self) -> None:
        """Take the lock, or SyncBusyError when a live holder has it."""
        with self.engine.begin() as connection:
            found = connection.execute(
                select(_META.c.value).where(_META.c.key == LOCK_KEY)
            ).scalar_one_or_none()
            if found is not None:
                if self._holder_alive(found):
                    raise SyncBusyError("another sync is running on this cache")
                connection.execute(
                    delete(_META).where(_META.c.key == LOCK_KEY, _META.c.value == found)
                )
            try:
                connection.execute(_META.insert().values(key=LOCK_KEY, value=self._value()))
            except IntegrityError:
                raise SyncBusyError("another sync is running on this cache") from None

    def refresh(self) -> None:
        """Renew the heartbeat (at most every `refresh_every` seconds)."""
        if time.time() - self._beat < self.refresh_every:
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(_META)
                .where(_META.c.key == LOCK_KEY, _META.c.value.contains(self.token))
                .values(value=self._value())
            )

    def release(self) -> None:
        """Give the lock back (only if this holder still has it)."""
        with self.engine.begin() as connection:
            connection.execute(
                delete(_META).where(_META.c.key == LOCK_KEY, _META.c.value.contains(self.token))
            )

    def __enter__(self) -> SyncLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
