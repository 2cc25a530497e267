"""Messages shared across screens: sync progress and results, and 'the cache changed'.

They carry plain values only (no sync or cache objects), so widgets may import
this module without reaching the network layer. Repeated progress and change
notices replace one another in the queue (`can_replace`, as toolong does), so a
fast sync never floods a slow terminal.
"""

from __future__ import annotations

from datetime import datetime

from textual.message import Message


class SyncStarted(Message):
    """A sync round began (interval or on demand)."""


class SyncProgress(Message):
    """Where a running sync is: its phase, the type in hand, and how far along."""

    def __init__(
        self,
        phase: str,
        done: int = 0,
        total: int | None = None,
        resource_type: str | None = None,
        text: str = "",
    ) -> None:
        super().__init__()
        self.phase = phase
        """'upload', 'download', ... as the sync engine names its phases."""
        self.done = done
        self.total = total
        """None while the amount of work is not known yet."""
        self.resource_type = resource_type
        self.text = text

    @property
    def percent(self) -> int | None:
        """Progress in whole percent, None when the total is unknown."""
        if not self.total:
            return None
        return max(0, min(100, round(100 * self.done / self.total)))

    def can_replace(self, message: Message) -> bool:
        """A newer progress report makes an older one not yet handled pointless."""
        return isinstance(message, SyncProgress)


class SyncFinished(Message):
    """A sync round ended: how, when, and whether it changed the cache."""

    def __init__(
        self,
        *,
        finished_at: datetime | None = None,
        error: str | None = None,
        changed: bool = False,
        complete: bool = True,
        pending: int | None = None,
        conflicts: int | None = None,
        rejected: int = 0,
        busy: bool = False,
    ) -> None:
        super().__init__()
        self.finished_at = finished_at
        """When it ended (local time); None when it could not sync at all."""
        self.error = error
        """A short reason when the round failed (unreachable, refused credentials...)."""
        self.changed = changed
        """True when records were uploaded, downloaded or deleted, so screens must re-read."""
        self.complete = complete
        self.pending = pending
        """Local changes still waiting for the server, when known."""
        self.conflicts = conflicts
        """Conflicts waiting for a person, when known."""
        self.rejected = rejected
        self.busy = busy
        """Skipped because another window or process was syncing this cache (no failure)."""


class SyncCounts(Message):
    """Fresh counts of unsynced changes and open conflicts (after any read of the cache)."""

    def __init__(
        self,
        *,
        pending: int | None = None,
        conflicts: int | None = None,
        last_synced: datetime | None = None,
    ) -> None:
        super().__init__()
        self.pending = pending
        self.conflicts = conflicts
        self.last_synced = last_synced
        """The last completed sync the cache records (a scheduled CLI sync counts too)."""


class CacheChanged(Message):
    """The cache changed under the screens (a sync wrote records): re-read what is shown."""

    def can_replace(self, message: Message) -> bool:
        """Two pending 're-read' notices are one re-read."""
        return isinstance(message, CacheChanged)
