"""Server records the download refused, kept with the reason until a good version arrives.

A resource that fails the inbound checks (sync/inbound.py) is not cached, and the
download's watermark moves past it so one bad record never blocks the rest. What was
refused is remembered here, so `status` can name it after the round is over; when
the server later sends a version the cache takes, the entry goes. Kept in cache_meta
(one JSON object), bounded to MAX_ENTRIES: the newest refusals are the ones shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clinic_tui.domain.untrusted import clean_line
from clinic_tui.offline_cache.tables import CacheMeta

KEY = "download_refused"
"""cache_meta key: JSON {"Type/id": {"reason": text, "at": instant}}."""
MAX_ENTRIES = 500
"""Refusals kept; beyond it the oldest are forgotten (the count says more were)."""
_TEXT_LIMIT = 300

_META: Any = CacheMeta.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Refusal:
    """One server record the cache refused, and why."""

    resource: str
    """`Type/id` as the server named it (cleaned)."""
    reason: str
    at: str
    """When it was refused (the client's clock)."""


def _read(connection: Connection) -> dict[str, dict[str, str]]:
    found = connection.execute(select(_META.c.value).where(_META.c.key == KEY)).scalar_one_or_none()
    if found is None:
        return {}
    try:
        value = json.loads(found)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _write(connection: Connection, entries: dict[str, dict[str, str]]) -> None:
    if not entries:
        connection.execute(delete(_META).where(_META.c.key == KEY))
        return
    text = json.dumps(entries, ensure_ascii=False, sort_keys=True)
    statement = sqlite_insert(_META).values(key=KEY, value=text)
    connection.execute(
        statement.on_conflict_do_update(index_elements=["key"], set_={"value": text})
    )


def update(
    connection: Connection,
    resource_type: str,
    refused: Iterable[tuple[str, str]],
    accepted: Iterable[str],
    at: str,
) -> None:
    """Remember `refused` (id, reason) and forget the ids now `accepted`, in the caller's
    transaction; nothing is read or written when neither changes anything."""
    refused = list(refused)
    entries = _read(connection)
    if not entries and not refused:
        return
    before = dict(entries)
    for ident in accepted:
        entries.pop(f"{resource_type}/{ident}", None)
    for ident, reason in refused:
        name = clean_line(f"{resource_type}/{ident}", _TEXT_LIMIT)
        entries[name] = {"reason": clean_line(reason, _TEXT_LIMIT), "at": at}
    if len(entries) > MAX_ENTRIES:
        newest = sorted(entries.items(), key=lambda item: str(item[1].get("at", "")))
        entries = dict(newest[-MAX_ENTRIES:])
    if entries != before:
        _write(connection, entries)


def refusals(engine: Engine) -> list[Refusal]:
    """Every refusal kept, newest first."""
    with engine.connect() as connection:
        entries = _read(connection)
    found = [
        Refusal(
            clean_line(str(name), _TEXT_LIMIT),
            clean_line(str(value.get("reason", "")), _TEXT_LIMIT),
            clean_line(str(value.get("at", "")), 40),
        )
        for name, value in entries.items()
        if isinstance(value, dict)
    ]
    return sorted(found, key=lambda refusal: refusal.at, reverse=True)
