"""Who is called next: highest priority first, then the longest wait."""

from __future__ import annotations

from collections.abc import Iterable

from clinic_tui.domain.models import QueueEntry, QueueStatus


def next_patient(entries: Iterable[QueueEntry]) -> QueueEntry | None:
    """The waiting entry to call next, or None when nobody is waiting."""
    waiting = [entry for entry in entries if entry.status is QueueStatus.WAITING]
    if not waiting:
        return None
    return min(waiting, key=lambda entry: (entry.priority.rank, entry.arrived_at, entry.number))
