"""Write FHIR resources into the cache, and record local changes with their outbox entry.

There is one way in for every record, whatever its source (demo data, a local
edit, a sync download): the whole resource is stored as JSON and its indexed
columns are read from it by domain.fhir. A local change writes the record and
its outbox entry in one transaction, so neither can exist without the other.
"""

from __future__ import annotations

import json
import json.encoder as json_encoder
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clinic_tui.domain.fhir import COLUMN_EXTRACTORS, Resource, meta_columns
from clinic_tui.domain.merge import same
from clinic_tui.offline_cache.audit import audit_write
from clinic_tui.offline_cache.tables import RESOURCE_TABLES, OutboxEntry


class UnknownResourceTypeError(ValueError):
    """The cache has no table for this FHIR resource type."""


def _table_for(resource_type: str) -> Any:
    try:
        return RESOURCE_TABLES[resource_type].__table__  # type: ignore[attr-defined]
    except KeyError:
        message = f"the cache does not keep {resource_type} resources"
        raise UnknownResourceTypeError(message) from None


# One encoder for every write: json.dumps would build a new one per call with these options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
# The C encoder JSONEncoder.encode makes anew on every call, made once: the same text (the
# same arguments, in the order json.encoder passes them) for a third less time, a demo
# clinic's largest single cost. None where the C accelerator is missing.
_C_MAKE_ENCODER: Any = getattr(json_encoder, "c_make_encoder", None)
_C_ENCODE = (
    None
    if _C_MAKE_ENCODER is None
    else _C_MAKE_ENCODER(
        None,  # markers: check_circular=False
        _ENCODER.default,
        json_encoder.encode_basestring,  # ensure_ascii=False
        None,  # indent
        ":",
        ",",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
)


def to_json(resource: Resource) -> str:
    """Compact JSON as stored in the cache (UTF-8 text kept as is, not escaped)."""
    if _C_ENCODE is None:
        return _ENCODER.encode(resource)
    return "".join(_C_ENCODE(resource, 0))


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


def upsert_rows(connection: Connection, resource_type: str, rows: list[dict[str, Any]]) -> int:
    """upsert_resources for rows already made by row_values (a caller that checked each one).

    Caller owns the transaction; `rows` are all of `resource_type`.
    """
    count = len(rows)
    _flush(connection, {resource_type: list(rows)})
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


BulkRows = dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]
"""Resource type -> (column names, one tuple of values per row): what a bulk load inserts."""


_FIXED = 5
"""Columns row_values puts before a type's own: id, resource_json, pending and meta_columns'."""
_Getter = Callable[[dict[str, Any]], tuple[Any, ...]]


def bulk_rows(resources: Iterable[Resource], *, utf8: bool = False) -> BulkRows:
    """Cache rows of `resources` grouped by type, the same values row_values gives, in its order.

    Plain tuples, so a worker process can build them and hand them over cheaply. After the
    first row of a type (made by row_values, which also names the columns), a row is put
    together directly: a demo clinic's half million rows skip building and merging a dict each.
    `utf8`: resource_json as its UTF-8 bytes (insert_bulk_rows stores them as the same text):
    a worker's rows then cross to the writing process as bytes, which neither side re-encodes.
    """
    grouped: BulkRows = {}
    # Per type: its list of rows, the getter of its own columns, and its extractor.
    fast: dict[str, tuple[list[tuple[Any, ...]], _Getter, Callable[[Resource], Any]]] = {}
    for resource in resources:
        kind = resource.get("resourceType")
        known = fast.get(kind) if isinstance(kind, str) else None
        ident = resource.get("id")
        if known is None or not isinstance(ident, str) or not ident:
            # The first of its type, or one row_values refuses (with its message).
            values = row_values(resource)
            if utf8:
                values["resource_json"] = values["resource_json"].encode()
            kind = resource["resourceType"]
            if kind not in grouped:
                names = tuple(values)
                grouped[kind] = (names, [])
                fast[kind] = (
                    grouped[kind][1],
                    _columns_getter(names[_FIXED:]),
                    COLUMN_EXTRACTORS[kind],
                )
            grouped[kind][1].append(tuple(values.values()))
            continue
        rows, getter, extract = known
        meta = resource.get("meta") or {}
        rows.append(
            (
                ident,
                to_json(resource).encode() if utf8 else to_json(resource),
                False,
                meta.get("versionId"),
                meta.get("lastUpdated"),
                *getter(extract(resource)),
            )
        )
    return grouped


def _columns_getter(names: tuple[str, ...]) -> _Getter:
    """A type's own column values, as a tuple in the order of `names`."""
    if len(names) == 1:
        (name,) = names
        return lambda columns: (columns[name],)
    return cast(_Getter, itemgetter(*names))


def insert_bulk_rows(connection: Connection, rows: BulkRows) -> int:
    """Insert rows made by bulk_rows (utf8 or not), none cached yet, in the caller's transaction.

    The driver's executemany skips SQLAlchemy's per-row work; an id already cached
    raises IntegrityError (upsert_resources is the way to update). Returns the count.
    """
    raw = connection.connection.driver_connection
    if raw is None:
        raise RuntimeError("the connection has no open database handle")
    count = 0
    for resource_type, (columns, values) in rows.items():
        table = _table_for(resource_type).name
        slots = ["?"] * len(columns)
        if values and isinstance(values[0][columns.index("resource_json")], bytes):
            # bulk_rows(utf8=True): the bytes are UTF-8, the database's encoding, so the cast
            # stores the very text a str would have given, without Python decoding it.
            slots[columns.index("resource_json")] = "CAST(? AS TEXT)"
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(slots)})"
        raw.executemany(sql, values)
        count += len(values)
    return count


def bulk_insert_resources(
    connection: Connection, resources: Iterable[Resource], *, batch_size: int = 5000
) -> int:
    """Insert resources none of which is cached yet, batch by batch; returns the count.

    For loads into empty tables (demo data, a first full download).
    """
    count = 0
    batch: list[Resource] = []
    for resource in resources:
        batch.append(resource)
        if len(batch) >= batch_size:
            count += insert_bulk_rows(connection, bulk_rows(batch))
            batch.clear()
    return count + insert_bulk_rows(connection, bulk_rows(batch))


@contextmanager
def bulk_load(engine: Engine, *, cache_mib: int = 256, empty: bool = False) -> Iterator[Connection]:
    """A transaction for a bulk load, committed on exit (rolled back on error).

    While it runs, its connection does not fsync (synchronous=OFF) and keeps a
    larger page cache so index pages are not spilled and re-read over and over;
    both are restored after the commit. All or nothing still holds: only a power
    cut before the next checkpoint could lose the load.

    `empty`: the caller loads a cache that holds no records yet (demo data into a new
    file): the rollback journal is kept in memory instead of the write-ahead log, which
    would write every page twice (into the log, then at the checkpoint into the file).
    A rollback still undoes the load; a crash in the middle can leave the new file
    unreadable, to be deleted and made again. Write-ahead logging is back after the commit.
    """
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        if raw is None:
            raise RuntimeError("the connection has no open database handle")
        synchronous = int(raw.execute("PRAGMA synchronous").fetchone()[0])
        cache_size = int(raw.execute("PRAGMA cache_size").fetchone()[0])
        # The safety level and the journal cannot change inside a transaction, hence before begin().
        raw.execute("PRAGMA synchronous = OFF")
        raw.execute(f"PRAGMA cache_size = {-cache_mib * 1024}")
        journal = str(raw.execute("PRAGMA journal_mode").fetchone()[0])
        if empty:
            # Refused (the mode stays) while another connection has the file open: still correct.
            raw.execute("PRAGMA journal_mode = MEMORY")
        try:
            with connection.begin():
                yield connection
        finally:
            raw.execute(f"PRAGMA journal_mode = {journal}")
            raw.execute(f"PRAGMA synchronous = {synchronous}")
            raw.execute(f"PRAGMA cache_size = {cache_size}")


@contextmanager
def indexes_built_after(connection: Connection) -> Iterator[None]:
    """Inside a bulk load into empty resource tables: their secondary indexes are dropped
    now and made again, exactly as they were, on leaving (one sort per index instead of a
    B-tree insert per row). An error leaves them dropped for the caller's rollback to restore.
    """
    raw = connection.connection.driver_connection
    if raw is None:
        raise RuntimeError("the connection has no open database handle")
    if not raw.in_transaction:
        raw.execute("BEGIN")  # sqlite3 opens one only before DML; the drops belong in it
    tables = [table.__table__.name for table in RESOURCE_TABLES.values()]  # type: ignore[attr-defined]
    saved = raw.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' * len(tables))}) ORDER BY name",
        tables,
    ).fetchall()
    for name, _sql in saved:
        raw.execute(f'DROP INDEX "{name}"')
    yield
    for _name, sql in saved:
        raw.execute(sql)


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

    Returns the outbox sequence number of the entry that carries it (0 when the change
    undid every unsent one). The outbox keeps the version and the full JSON the change
    was based on: If-Match on upload, base of a three-way merge. Changes to one record
    are coalesced before upload: an update joins an entry not yet sent (the cached record
    is what goes up), and an update that brings the record back to what the server has
    removes the unsent entries, so undo and status changes never pile up (the upload
    checks that what it confirms is still what the cache holds: sync/upload.py).
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
    # Every local change is audited in its own transaction: both exist, or neither.
    audit_write(connection, resource, operation)
    entries = _entries_of(connection, resource_type, resource["id"])
    if operation == "update" and _back_to_base(entries, resource):
        base = json.loads(entries[0].base_json)
        values = row_values({**_without_meta(resource), **_meta_of(base)}, pending=False)
        connection.execute(update(table).where(table.c.id == resource["id"]).values(**values))
        connection.execute(delete(_OUTBOX).where(_OUTBOX.c.seq.in_([e.seq for e in entries])))
        return 0
    values = row_values(resource, pending=True)
    if before is None:
        connection.execute(insert(table), [values])
    else:
        connection.execute(update(table).where(table.c.id == resource["id"]).values(**values))
    unsent = [e for e in entries if e.state == "pending" and e.attempts == 0]
    if operation == "update" and unsent:
        return int(unsent[-1].seq)  # the cached record is what that entry sends
    base_version = (before or {}).get("meta", {}).get("versionId")
    result = connection.execute(
        insert(_OUTBOX),
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


_OUTBOX: Any = OutboxEntry.__table__  # type: ignore[attr-defined]


def _entries_of(connection: Connection, resource_type: str, resource_id: str) -> list[Any]:
    """Every outbox entry of one record, oldest first."""
    return list(
        connection.execute(
            select(
                _OUTBOX.c.seq,
                _OUTBOX.c.operation,
                _OUTBOX.c.state,
                _OUTBOX.c.attempts,
                _OUTBOX.c.base_json,
            )
            .where(_OUTBOX.c.resource_type == resource_type, _OUTBOX.c.resource_id == resource_id)
            .order_by(_OUTBOX.c.seq)
        ).all()
    )


def _back_to_base(entries: list[Any], resource: Resource) -> bool:
    """True when `resource` is again what the server holds and nothing was sent yet.

    Only updates never sent (a sent one may have reached the server: the revert must go
    up then) and never refused (a quarantined entry stays for a person to see).
    """
    if not entries or any(
        e.operation != "update" or e.state != "pending" or e.attempts or e.base_json is None
        for e in entries
    ):
        return False
    base = json.loads(entries[0].base_json)
    return same(_without_meta(base), _without_meta(resource))


def _meta_of(resource: Resource) -> Resource:
    return {"meta": resource["meta"]} if "meta" in resource else {}


def _without_meta(resource: Resource) -> Resource:
    return {key: value for key, value in resource.items() if key != "meta"}


def record_local_change(engine: Engine, resource: Resource, operation: str) -> int:
    """write_local_change in a transaction of its own."""
    with engine.begin() as connection:
        return write_local_change(connection, resource, operation)


def pending_outbox(connection: Connection) -> list[OutboxEntry]:
    """Outbox entries in the order they were made."""
    table = OutboxEntry.__table__  # type: ignore[attr-defined]
    rows = connection.execute(select(table).order_by(table.c.seq)).mappings().all()
    return [OutboxEntry(**dict(row)) for row in rows]
