"""What the download reads from and writes to the cache besides upsert_resources.

Watermarks per resource type, the server versions kept aside for records with a
pending local change, and removal of records the server deleted. Every function
works in the caller's transaction, so a page and its checkpoint commit together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clinic_tui.offline_cache.store import to_json
from clinic_tui.offline_cache.tables import RESOURCE_TABLES, ServerVersion, SyncState

Resource = dict[str, Any]


@dataclass(frozen=True)
class Watermarks:
    """Where the last download of one resource type stopped."""

    watermark: str | None
    """meta.lastUpdated of the newest record downloaded (the server's clock)."""
    history_since: str | None
    """_since of the next _history scan for deletes."""


@dataclass(frozen=True)
class CachedState:
    """What the cache holds for one id: its version and whether a local change waits."""

    version_id: str | None
    pending: bool
    last_updated: str | None = None
    """meta.lastUpdated of the cached version: the server's stamp, which orders versions."""


def _table(resource_type: str) -> Any:
    return RESOURCE_TABLES[resource_type].__table__  # type: ignore[attr-defined]


_SYNC_STATE: Any = SyncState.__table__  # type: ignore[attr-defined]
_SERVER_VERSION: Any = ServerVersion.__table__  # type: ignore[attr-defined]


def now_utc() -> str:
    """The client's clock, for bookkeeping only (never used as a watermark)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_watermarks(connection: Connection, resource_type: str) -> Watermarks:
    """The stored download position of one type (None, None before the first sync)."""
    row = connection.execute(
        select(_SYNC_STATE.c.watermark, _SYNC_STATE.c.history_since).where(
            _SYNC_STATE.c.resource_type == resource_type
        )
    ).one_or_none()
    return Watermarks(None, None) if row is None else Watermarks(row[0], row[1])


def save_watermarks(connection: Connection, resource_type: str, **values: str | None) -> None:
    """Update some of watermark, history_since, last_success for one type."""
    statement = sqlite_insert(_SYNC_STATE).values(resource_type=resource_type, **values)
    connection.execute(
        statement.on_conflict_do_update(index_elements=["resource_type"], set_=values)
    )


def cached_states(
    connection: Connection, resource_type: str, ids: Iterable[str]
) -> dict[str, CachedState]:
    """Version and pending flag of those ids that are cached."""
    table = _table(resource_type)
    wanted = list(dict.fromkeys(ids))
    found: dict[str, CachedState] = {}
    for start in range(0, len(wanted), 500):
        rows = connection.execute(
            select(table.c.id, table.c.version_id, table.c.pending, table.c.last_updated).where(
                table.c.id.in_(wanted[start : start + 500])
            )
        )
        for ident, version, pending, updated in rows:
            found[ident] = CachedState(version, bool(pending), updated)
    return found


def keep_server_version(
    connection: Connection,
    resource_type: str,
    resource_id: str,
    resource: Resource | None,
    *,
    version_id: str | None,
    last_updated: str | None,
) -> None:
    """Keep the server's version (None: deleted there) of a record with a pending local change."""
    values = {
        "resource_type": resource_type,
        "resource_id": resource_id,
        "version_id": version_id,
        "last_updated": last_updated,
        "resource_json": to_json(resource) if resource is not None else None,
        "deleted": resource is None,
        "received_at": now_utc(),
    }
    statement = sqlite_insert(_SERVER_VERSION).values(**values)
    keys = ("resource_type", "resource_id")
    update = {name: statement.excluded[name] for name in values if name not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=update))


def server_versions(connection: Connection) -> list[ServerVersion]:
    """Every server version kept aside, oldest first."""
    rows = connection.execute(
        select(_SERVER_VERSION).order_by(_SERVER_VERSION.c.received_at)
    ).mappings()
    return [ServerVersion(**dict(row)) for row in rows]


def remove_resources(connection: Connection, resource_type: str, ids: Iterable[str]) -> int:
    """Remove records the server deleted; returns how many were cached."""
    table = _table(resource_type)
    wanted = list(ids)
    removed = 0
    for start in range(0, len(wanted), 500):
        result = connection.execute(
            delete(table).where(table.c.id.in_(wanted[start : start + 500]))
        )
        removed += result.rowcount
    return removed
