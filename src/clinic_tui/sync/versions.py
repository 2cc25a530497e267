"""What the sync may conclude about the order of two versions of one record.

FHIR R4 (http.html, "versionId"): the version id is opaque. HAPI counts 1, 2, 3;
Medplum writes UUIDs; another server may write hashes. Nothing here ever parses one.
The server tells the order in other ways, and only those are used:

- `meta.lastUpdated` (or a history entry's `response.lastModified`): a version stamped
  strictly earlier than another is older. Equal or missing stamps tell nothing.
- A history Bundle lists versions newest first (R4 http.html#history: "sorted with
  oldest versions last"); between equal stamps its order decides.
- An answer to our own write (a transaction entry's etag) names the version that was
  current when the write landed: any answer fetched before it cannot hold a newer one.
  The changes feed uses this (sync/feed.py) for versions read beside an upload.

What the sync no longer assumes: that version "1" is a record's first, that a larger
number is newer, or that versions of different records compare at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from clinic_tui.domain.instants import instant, stamped_before

__all__ = [
    "etag_version",
    "instant",
    "last_updated",
    "newest_first",
    "stamped_before",
    "version_id",
]

T = TypeVar("T")


def last_updated(resource: Any) -> str | None:
    """meta.lastUpdated of a resource, None when absent."""
    meta = resource.get("meta") if isinstance(resource, dict) else None
    value = meta.get("lastUpdated") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def version_id(resource: Any) -> str | None:
    """meta.versionId of a resource (an opaque string), None when absent."""
    meta = resource.get("meta") if isinstance(resource, dict) else None
    value = meta.get("versionId") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def etag_version(etag: Any) -> str | None:
    """The version an ETag names (W/"abc" -> abc), None when there is none."""
    if not isinstance(etag, str):
        return None
    return etag.removeprefix("W/").strip('"') or None


def newest_first(items: Sequence[T], stamp: Callable[[T], str | None]) -> list[T]:
    """Versions of one record, newest first: by stamp, ties (or any stamp missing) by answer order.

    `items` are in the order the server listed them (history: newest first already).
    """
    seconds: list[float] = []
    for item in items:
        when = instant(stamp(item))
        if when is None:
            return list(items)
        seconds.append(when.timestamp())
    order = sorted(range(len(items)), key=lambda i: (-seconds[i], i))
    return [items[i] for i in order]
