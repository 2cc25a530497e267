"""FHIR instants as the server writes them, and the one comparison the sync may make of two.

Versions are ordered by the server's stamps (meta.lastUpdated), never by their opaque ids:
see clinic_tui.sync.versions for why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def instant(value: Any) -> datetime | None:
    """A FHIR instant as an aware datetime; None when missing or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def stamped_before(candidate: Any, held: Any) -> bool:
    """True when instant `candidate` is strictly earlier than `held` (both readable)."""
    new, old = instant(candidate), instant(held)
    return new is not None and old is not None and new < old
