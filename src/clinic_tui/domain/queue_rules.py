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


def needs_attention(entry: QueueEntry) -> bool:
    """True for an emergency or urgent patient still waiting: never off-screen."""
    return entry.status is QueueStatus.WAITING and entry.priority.rank < 2


def display_order(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    """Rows as the queue shows them: waiting emergencies and urgents first, in the order they
    will be called, then everyone else by queue number.

    Sorted by number alone, an emergency who registered late sits on row 23 of an 80x24
    terminal, below the fold.
    """
    entries = list(entries)
    first = sorted(
        (entry for entry in entries if needs_attention(entry)),
        key=lambda entry: (entry.priority.rank, entry.arrived_at, entry.number),
    )
    rest = [entry for entry in entries if not needs_attention(entry)]
    return first + rest
