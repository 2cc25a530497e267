"""Pure logic of the upload: collapse the outbox into changes, size bundles, isolate bad entries.

No I/O here, so the rules can be tested on their own: several outbox entries for
one resource become one change (the cached record is the latest state, so one PUT
carries them all), bundles grow while round trips are quick and shrink when they
are slow or time out, and a rejected bundle is split in halves until the one bad
change is found, the good ones going through on the way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

ResourceKey = tuple[str, str]
"""(resource type, id)."""

Method = Literal["PUT", "DELETE"]
"""What a change sends: PUT the cached record, or DELETE it."""


class OutboxRow(Protocol):
    """The outbox columns the plan reads (OutboxEntry satisfies it)."""

    seq: int | None
    resource_type: str
    resource_id: str
    operation: str
    base_version: str | None
    state: str
    attempts: int


@dataclass(frozen=True)
class Change:
    """One resource's outbox entries folded into a single request."""

    resource_type: str
    resource_id: str
    method: Method
    seqs: tuple[int, ...]
    """Outbox entries this change settles (deleted together on success)."""
    if_match: str | None
    """Server version the local state was built on; None for a create."""

    @property
    def key(self) -> ResourceKey:
        """(resource type, id) of the change."""
        return (self.resource_type, self.resource_id)


def _fold(rows: Sequence[OutboxRow]) -> Change:
    """One change for every entry of one resource (rows in outbox order)."""
    first, last = rows[0], rows[-1]
    seqs = tuple(row.seq for row in rows if row.seq is not None)
    # Entries chain on one base version, and a write-back or a merge moves every remaining
    # entry onto the server's newer one, so the latest entry knows the newest base. (Versions
    # are opaque: they are never compared. A re-create after a deletion is a None base.)
    base = last.base_version
    # Created and deleted here is still sent as a DELETE (no If-Match): the create may
    # have reached the server on an earlier run whose answer was lost.
    method: Method = "DELETE" if last.operation == "delete" else "PUT"
    return Change(first.resource_type, first.resource_id, method, seqs, base)


def collapse(rows: Iterable[OutboxRow], hold: set[ResourceKey] | None = None) -> list[Change]:
    """Outbox rows (in seq order) as changes, each placed where its resource first appears.

    Resources in `hold` (an open conflict) are left out. A resource whose entries are all
    quarantined is left out too; a newer pending entry retries them with the latest state.
    """
    held = hold or set()
    grouped: dict[ResourceKey, list[OutboxRow]] = {}
    for row in sorted(rows, key=lambda row: row.seq or 0):
        key = (row.resource_type, row.resource_id)
        if key not in held:
            grouped.setdefault(key, []).append(row)
    return [
        _fold(group)
        for group in grouped.values()
        if any(row.state != "quarantined" for row in group)
    ]


class BatchSizer:
    """Bundle size adapted to the link: doubles on quick full bundles, halves on slow ones."""

    def __init__(
        self,
        initial: int = 50,
        *,
        minimum: int = 1,
        maximum: int = 500,
        target_seconds: float = 4.0,
    ) -> None:
        self.size = max(minimum, min(maximum, initial))
        self.minimum = minimum
        self.maximum = maximum
        self.target_seconds = target_seconds
        self.bytes_per_second: float | None = None
        """Throughput of the last bundle, sent and received bytes over its round trip."""
        self.ceiling: int | None = None
        """Below the size that last timed out; it rises slowly so the link is probed gently."""

    def record(self, entries: int, size_bytes: int, seconds: float) -> None:
        """Adjust after a bundle of `entries` took `seconds` for `size_bytes` both ways."""
        seconds = max(seconds, 1e-6)
        self.bytes_per_second = size_bytes / seconds
        if seconds > self.target_seconds:
            # Aim at the target from the measured throughput, but at least halve.
            per_entry = max(1.0, size_bytes / max(1, entries))
            fitting = int(self.bytes_per_second * self.target_seconds / per_entry)
            self.size = max(self.minimum, min(self.size // 2, fitting))
        elif seconds <= self.target_seconds / 2 and entries >= self.size:
            # Only a full bundle says anything about whether a bigger one would be quick.
            grown = self.size * 2
            if self.ceiling is not None:
                grown = min(grown, self.ceiling)
                self.ceiling += max(1, self.ceiling // 10)
            self.size = max(self.minimum, min(self.maximum, grown))

    def capped(self, entries: int) -> None:
        """The server refused a bundle of `entries` for its size: never that many again."""
        self.maximum = max(self.minimum, min(self.maximum, entries // 2))
        self.size = min(self.size, self.maximum)
        if self.ceiling is not None:
            self.ceiling = min(self.ceiling, self.maximum)

    def timed_out(self, entries: int | None = None) -> None:
        """A bundle of `entries` got no answer in time: much smaller ones, growing slowly."""
        self.ceiling = max(self.minimum, (entries or self.size) // 2)
        self.size = max(self.minimum, self.size // 4)


class Rejected(Exception):  # noqa: N818  (a result, not a failure of the code)
    """The server refused a whole bundle because of (at least) one of its entries.

    kind: 'invalid' (400/422, a bad resource), 'conflict' (412, a stale version),
    'timeout' (no answer in time: smaller bundles may get through) or 'too-large' (the
    server caps bundles: halves will go).
    """

    def __init__(
        self,
        kind: Literal["invalid", "conflict", "timeout", "too-large"],
        message: str,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        """HTTP status of the refusal, when there was one."""


T = TypeVar("T")


def send_isolating(
    items: list[T],
    send: Callable[[list[T]], None],
    on_rejected: Callable[[T, Rejected], None],
) -> int:
    """Send `items` as one atomic bundle; if rejected, split in halves until each bad one is alone.

    Good items still go through, in order; each bad one goes to `on_rejected`. Any other
    exception from `send` stops everything (what was sent stays sent). Returns round trips.
    """
    if not items:
        return 0
    try:
        send(items)
        return 1
    except Rejected as rejection:
        if len(items) == 1:
            on_rejected(items[0], rejection)
            return 1
    middle = len(items) // 2
    return (
        1
        + send_isolating(items[:middle], send, on_rejected)
        + send_isolating(items[middle:], send, on_rejected)
    )


class Stopwatch:
    """Seconds since it was made, on a monotonic clock (injectable for tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start = clock()

    def seconds(self) -> float:
        """Seconds elapsed."""
        return self._clock() - self._start
