"""Write FHIR resources into the cache, and record local changes with their outbox entry.

There is one way in for every record, whatever its source (demo data, a local
edit, a sync download): the whole resource is stored as JSON and its indexed
columns are read from it by domain.fhir. A local change writes the record and
its outbox entry in one transaction, so neither can exist without the other.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clinic_tui.domain.fhir import COLUMN_EXTRACTORS, Resource, meta_columns
from clinic_tui.offline_cache.tables import RESOURCE_TABLES, OutboxEntry


class UnknownResourceTypeError(ValueError):
    """The cache has no table for this FHIR resource type."""


def _table_for(resource_type: str) -> Any:
    try:
        return RESOURCE_TABLES[resource_type].__table__  # type: ignore[attr-defined]
    except KeyError:
        message = f"the cache does not keep {resource_type} resources"
        raise UnknownResourceTypeError(message) from None


def to_json(resource: Resource) -> str:
    """Compact JSON as stored in the cache (UTF-8 text kept as is, not escaped)."""
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"))


def row_values(resource: Resource, *, pending: bool = False) -> dict[str, Any]:
    """Every column of a cache row for `resource`."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or resource_type not in COLUMN_EXTRACTORS:
        raise UnknownResourceTypeError(f"the cache does not keep {resource_type!r} resources")
    if not isinstance(resource.get("id"), str) or not resource["id"]:
        raise ValueError(f"a {resource_type} without an id cannot be cached")
    return {
        "id": resource["id"],
        "resource_json": to_json(resource),
        "pending": pending,
        **meta_columns(resource),
        **COLUMN_EXTRACTORS[resource_type](resource),
    }


def upsert_resources(connection: Connection, resources: Iterable[Resource]) -> int:
    """Insert or replace resources as the server (or generator) holds them; returns the count.

    Caller owns the transaction. Batched per type so 100,000 patients load in seconds.
    """
    batches: dict[str, list[dict[str, Any]]] = defaultdict(list)
    count = 0
    for resource in resources:
        batches[resource["resourceType"]].append(row_values(resource))
        count += 1
        if len(batches[resource["resourceType"]]) >= 2000:
            _flush(connection, batches)
    _flush(connection, batches)
    return count


def _flush(connection: Connection, batches: dict[str, list[dict[str, Any]]]) -> None:
    for resource_type, rows in batches.items():
        if not rows:
            continue
        table = _table_for(resource_type)
        statement = sqlite_insert(table)
        columns = {name: statement.excluded[name] for name in rows[0] if name != "id"}
        connection.execute(
            statement.on_conflict_do_update(index_elements=["id"], set_=columns), rows
        )
        rows.clear()


def read_resource(connection: Connection, resource_type: str, resource_id: str) -> Resource | None:
    """The cached FHIR JSON of one record, or None when it is not cached."""
    table = _table_for(resource_type)
    found = connection.execute(
        select(table.c.resource_json).where(table.c.id == resource_id)
    ).scalar_one_or_none()
    return json.loads(found) if found is not None else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_local_change(connection: Connection, resource: Resource, operation: str) -> int:
    """Store a locally made change and queue it for upload, in the caller's transaction.

    Returns the outbox sequence number. The outbox keeps the version and the full
    JSON the change was based on: If-Match on upload, base of a three-way merge.
    """
    if operation not in ("create", "update", "delete"):
        raise ValueError(f"unknown outbox operation {operation!r}")
    resource_type = resource["resourceType"]
    table = _table_for(resource_type)
    before = read_resource(connection, resource_type, resource["id"])
    if operation == "create" and before is not None:
        raise ValueError(f"{resource_type}/{resource['id']} already exists")
    if operation != "create" and before is None:
        raise ValueError(f"{resource_type}/{resource['id']} is not in the cache")
    values = row_values(resource, pending=True)
    if before is None:
        connection.execute(insert(table), [values])
    else:
        connection.execute(update(table).where(table.c.id == resource["id"]).values(**values))
    base_version = (before or {}).get("meta", {}).get("versionId")
    result = connection.execute(
        insert(OutboxEntry.__table__),  # type: ignore[attr-defined]
        [
            {
                "resource_type": resource_type,
                "resource_id": resource["id"],
                "operation": operation,
                "base_version": base_version,
                "base_json": to_json(before) if before is not None else None,
                "created_at": _now(),
                "state": "pending",
                "attempts": 0,
            }
        ],
    )
    seq = result.inserted_primary_key
    return int(seq[0]) if seq else 0


def record_local_change(engine: Engine, resource: Resource, operation: str) -> int:
    """write_local_change in a transaction of its own."""
    with engine.begin() as connection:
        return write_local_change(connection, resource, operation)


def pending_outbox(connection: Connection) -> list[OutboxEntry]:
    """Outbox entries in the order they were made."""
    table = OutboxEntry.__table__  # type: ignore[attr-defined]
    rows = connection.execute(select(table).order_by(table.c.seq)).mappings().all()
    return [OutboxEntry(**dict(row)) for row in rows]
