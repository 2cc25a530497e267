"""Conflicts between local changes and the server, and merging kept-aside server versions.

A conflict is recorded when the three-way merge (domain.merge) finds an element
changed differently here and on the server. The cached record keeps the local
version and its outbox entries stay (the upload skips records under conflict)
until a person resolves it:

* 'mine': the merge with local values at every conflicting path,
* 'edited': the resource the person wrote,
* 'theirs': the server's version as is, and the local change is dropped,
* 'fields': field by field, the side a person chose at each conflicting path
  (domain.merge.merge_choosing; a path left without a choice refuses the whole
  resolution, so nothing is taken silently).

'mine' and 'edited' become one local 'update' based on the SERVER's version: the
cache row is first set to the server's JSON, the older pending outbox entries are
folded away, then store.write_local_change writes the resolution, so the next
upload sends one PUT with If-Match = the server's current version. Each resolution
is one transaction.

merge_with_remote() is the merge step itself, used for server versions the
download kept aside (merge_kept_aside) and by the upload on a 412. Its results:
'merged' (no conflict: the cache holds the merge, rebased on the server version),
'conflict' (recorded), 'unchanged' (nothing to merge: no pending change, the
server still holds the version the change is based on).

A delete against an edit is a conflict too, of its own kind: 'deleted-on-server'
(changed here, deleted there: keep mine re-creates the record with a PUT create,
theirs accepts the deletion) and 'deleted-here' (deleted here, changed there: keep
mine deletes again with If-Match = the server's current version, theirs restores
the server's version). A delete on both sides just removes the record.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, delete, func, insert, select

from clinic_tui.domain.instants import stamped_before
from clinic_tui.domain.merge import (
    Conflict,
    ConflictKind,
    FieldConflict,
    Resource,
    Side,
    merge_choosing,
    merge_keeping_mine,
    same,
    three_way_merge,
)
from clinic_tui.offline_cache.store import (
    read_resource,
    to_json,
    upsert_resources,
    write_local_change,
)
from clinic_tui.offline_cache.tables import (
    RESOURCE_TABLES,
    ConflictRow,
    OutboxEntry,
    ServerVersion,
)

Choice = Literal["mine", "theirs", "edited", "fields"]
MergeResult = Literal["merged", "conflict", "unchanged"]

_CONFLICT: Any = ConflictRow.__table__  # type: ignore[attr-defined]
_OUTBOX: Any = OutboxEntry.__table__  # type: ignore[attr-defined]
_SERVER_VERSION: Any = ServerVersion.__table__  # type: ignore[attr-defined]


class UnknownConflictError(LookupError):
    """No conflict with this id (already resolved, or replaced by a newer one)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fields_json(fields: builtins.list[FieldConflict]) -> str:
    return to_json(
        [{"path": f.path, "base": f.base, "local": f.local, "remote": f.remote} for f in fields]  # type: ignore[arg-type]
    )


def _conflict(row: Any) -> Conflict:
    return Conflict(
        id=row.id,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        base=json.loads(row.base_json) if row.base_json is not None else None,
        local=json.loads(row.local_json),
        remote=json.loads(row.remote_json) if row.remote_json is not None else None,
        fields=[FieldConflict(**item) for item in json.loads(row.fields_json)],
        created_at=row.created_at,
        kind=row.kind,
    )


def record_conflict(
    connection: Connection,
    resource_type: str,
    resource_id: str,
    base: Resource | None,
    local: Resource,
    remote: Resource | None,
    fields: builtins.list[FieldConflict],
    *,
    kind: ConflictKind = "edit-edit",
) -> int:
    """Record a conflict in the caller's transaction, replacing an older one for the record."""
    if (remote is None) != (kind == "deleted-on-server"):
        raise ValueError(f"a {kind!r} conflict {'needs' if remote is None else 'has no'} remote")
    _drop_conflict(connection, resource_type, resource_id)
    result = connection.execute(
        insert(_CONFLICT).values(
            resource_type=resource_type,
            resource_id=resource_id,
            kind=kind,
            base_json=to_json(base) if base is not None else None,
            local_json=to_json(local),
            remote_json=to_json(remote) if remote is not None else None,
            fields_json=_fields_json(fields),
            created_at=_now(),
        )
    )
    key = result.inserted_primary_key
    return int(key[0]) if key else 0


def record_deletion_conflict(
    connection: Connection,
    resource_type: str,
    resource_id: str,
    kind: ConflictKind,
    remote: Resource | None,
) -> int:
    """Record a delete-versus-edit conflict (caller's txn) from the record's pending change.

    'deleted-on-server' (remote None): changed here, deleted there. 'deleted-here':
    deleted here, changed there (remote is the server's current version). The base is
    the earliest pending outbox entry's, the local version the cached record.
    """
    pending = _pending_entries(connection, resource_type, resource_id)
    local = read_resource(connection, resource_type, resource_id)
    if local is None:
        raise ValueError(f"{resource_type}/{resource_id} is not in the cache")
    earliest = pending[0] if pending else None
    base = (
        json.loads(earliest.base_json)
        if earliest is not None and earliest.base_json is not None
        else None
    )
    return record_conflict(
        connection, resource_type, resource_id, base, local, remote, [], kind=kind
    )


def _drop_conflict(connection: Connection, resource_type: str, resource_id: str) -> None:
    connection.execute(
        delete(_CONFLICT).where(
            _CONFLICT.c.resource_type == resource_type, _CONFLICT.c.resource_id == resource_id
        )
    )


def _pending_entries(connection: Connection, resource_type: str, resource_id: str) -> Any:
    return connection.execute(
        select(_OUTBOX.c.seq, _OUTBOX.c.operation, _OUTBOX.c.base_version, _OUTBOX.c.base_json)
        .where(
            _OUTBOX.c.resource_type == resource_type,
            _OUTBOX.c.resource_id == resource_id,
            _OUTBOX.c.state == "pending",
        )
        .order_by(_OUTBOX.c.seq)
    ).all()


def _drop_pending(connection: Connection, resource_type: str, resource_id: str) -> None:
    connection.execute(
        delete(_OUTBOX).where(
            _OUTBOX.c.resource_type == resource_type,
            _OUTBOX.c.resource_id == resource_id,
            _OUTBOX.c.state == "pending",
        )
    )


def rebase_on_remote(connection: Connection, remote: Resource, resource: Resource) -> None:
    """Make `resource` the one pending change of its record, based on the server's `remote`.

    In the caller's transaction: the row becomes `remote` (not pending), older pending
    outbox entries go, and write_local_change records `resource` as an update whose
    base is `remote`. When `resource` equals `remote` nothing is left to upload.
    """
    upsert_resources(connection, [remote])
    _drop_pending(connection, remote["resourceType"], remote["id"])
    if not same(resource, remote):
        write_local_change(connection, resource, "update")


def _row_pending(connection: Connection, resource_type: str, resource_id: str) -> bool:
    table: Any = RESOURCE_TABLES[resource_type].__table__  # type: ignore[attr-defined]
    found = connection.execute(
        select(table.c.pending).where(table.c.id == resource_id)
    ).scalar_one_or_none()
    return bool(found)


def _version(resource: Resource) -> str | None:
    version = (resource.get("meta") or {}).get("versionId")
    return version if isinstance(version, str) else None


def _stamped_before(candidate: str | None, held: Resource | None) -> bool:
    """True when the server stamped `candidate` strictly before the version `held` has.

    versionIds are opaque (FHIR R4): only the server's meta.lastUpdated orders versions.
    """
    return stamped_before(candidate, ((held or {}).get("meta") or {}).get("lastUpdated"))


def merge_with_remote(
    connection: Connection, resource_type: str, resource_id: str, remote: Resource
) -> MergeResult:
    """Merge the server's current version with the record's pending change (caller's txn).

    The base is the base_json of the EARLIEST pending outbox entry of the record.
    """
    if remote.get("resourceType") != resource_type or remote.get("id") != resource_id:
        raise ValueError(f"the server's version is not {resource_type}/{resource_id}")
    pending = _pending_entries(connection, resource_type, resource_id)
    local = read_resource(connection, resource_type, resource_id)
    if local is None or not pending:
        # Nothing local waits for upload (a quarantined change keeps its row as it is),
        # and a version older than the cached one (kept aside before an upload) is stale.
        if local is None or not (
            _row_pending(connection, resource_type, resource_id)
            or _stamped_before((remote.get("meta") or {}).get("lastUpdated"), local)
        ):
            upsert_resources(connection, [remote])
        return "unchanged"
    earliest = pending[0]
    version = _version(remote)
    if version is not None and version == earliest.base_version:
        return "unchanged"
    if any(entry.operation == "delete" for entry in pending):
        # Deleted here, changed there: never deleted (nor kept) silently; a person decides.
        record_deletion_conflict(connection, resource_type, resource_id, "deleted-here", remote)
        return "conflict"
    base = json.loads(earliest.base_json) if earliest.base_json is not None else None
    outcome = three_way_merge(base, local, remote)
    if outcome.conflicts:
        record_conflict(
            connection, resource_type, resource_id, base, local, remote, outcome.conflicts
        )
        return "conflict"
    rebase_on_remote(connection, remote, outcome.merged)
    _drop_conflict(connection, resource_type, resource_id)
    return "merged"


@dataclass(frozen=True)
class MergeSummary:
    """What merge_kept_aside did with the server versions the download kept aside."""

    merged: int = 0
    conflicts: int = 0
    unchanged: int = 0
    left: int = 0
    """Kept aside, still waiting (kept for callers; delete-versus-edit is now a conflict)."""
    errors: list[str] = field(default_factory=list)


_BATCH = 200
"""Kept-aside records merged per transaction: one commit each would cost a disk sync each."""

_BAD_DATA = (ValueError, KeyError, TypeError)


def merge_kept_aside(engine: Engine) -> MergeSummary:
    """Merge every kept-aside server version with its pending local change.

    Records are merged in batches, each batch one transaction. A record that cannot
    be merged (bad JSON, the wrong id) rolls its batch back, which is then redone one
    record per transaction so the others still merge; its error is listed.
    """
    with engine.connect() as connection:
        kept = connection.execute(
            select(_SERVER_VERSION).order_by(_SERVER_VERSION.c.received_at)
        ).all()
    counts = {"merged": 0, "conflict": 0, "unchanged": 0, "left": 0}
    errors: builtins.list[str] = []
    for start in range(0, len(kept), _BATCH):
        batch = kept[start : start + _BATCH]
        try:
            with engine.begin() as connection:
                outcomes = [_merge_kept(connection, row) for row in batch]
        except _BAD_DATA:
            outcomes = []
            for row in batch:
                try:
                    with engine.begin() as connection:
                        outcomes.append(_merge_kept(connection, row))
                except _BAD_DATA as error:
                    errors.append(f"{row.resource_type}/{row.resource_id}: {error}")
        for outcome in outcomes:
            counts[outcome] += 1
    return MergeSummary(
        merged=counts["merged"],
        conflicts=counts["conflict"],
        unchanged=counts["unchanged"],
        left=counts["left"],
        errors=errors,
    )


def _merge_kept(connection: Connection, row: Any) -> str:
    pending = _pending_entries(connection, row.resource_type, row.resource_id)
    if row.deleted or row.resource_json is None:
        if pending and pending[-1].operation == "delete":
            # Deleted on both sides: nothing to decide, the record goes.
            _forget_record(connection, row.resource_type, row.resource_id)
            outcome = "unchanged"
        elif pending:
            record_deletion_conflict(
                connection, row.resource_type, row.resource_id, "deleted-on-server", None
            )
            outcome = "conflict"
        else:
            outcome = _drop_deleted(connection, row)
    else:
        outcome = merge_with_remote(
            connection, row.resource_type, row.resource_id, json.loads(row.resource_json)
        )
    connection.execute(
        delete(_SERVER_VERSION).where(
            _SERVER_VERSION.c.resource_type == row.resource_type,
            _SERVER_VERSION.c.resource_id == row.resource_id,
        )
    )
    return outcome


def _drop_deleted(connection: Connection, row: Any) -> str:
    cached = read_resource(connection, row.resource_type, row.resource_id)
    # Uploaded since (a PUT recreates the record with a later version): keep it.
    if cached is not None and not _stamped_before(row.last_updated, cached):
        table: Any = RESOURCE_TABLES[row.resource_type].__table__  # type: ignore[attr-defined]
        connection.execute(delete(table).where(table.c.id == row.resource_id))
    return "unchanged"


def _forget_record(connection: Connection, resource_type: str, resource_id: str) -> None:
    """The record leaves the cache with every outbox entry (pending or quarantined) and conflict."""
    table: Any = RESOURCE_TABLES[resource_type].__table__  # type: ignore[attr-defined]
    connection.execute(delete(table).where(table.c.id == resource_id))
    connection.execute(
        delete(_OUTBOX).where(
            _OUTBOX.c.resource_type == resource_type, _OUTBOX.c.resource_id == resource_id
        )
    )
    _drop_conflict(connection, resource_type, resource_id)


class ConflictStore:
    """The conflicts waiting for a person, and their resolution."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(
        self,
        connection: Connection,
        resource_type: str,
        resource_id: str,
        base: Resource | None,
        local: Resource,
        remote: Resource | None,
        fields: builtins.list[FieldConflict],
        *,
        kind: ConflictKind = "edit-edit",
    ) -> int:
        """Record a conflict in the caller's transaction; returns its id."""
        return record_conflict(
            connection, resource_type, resource_id, base, local, remote, fields, kind=kind
        )

    def list(self) -> builtins.list[Conflict]:
        """Every conflict, oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(_CONFLICT).order_by(_CONFLICT.c.id)).all()
        return [_conflict(row) for row in rows]

    def get(self, conflict_id: int) -> Conflict:
        """One conflict; UnknownConflictError when it is gone."""
        with self.engine.connect() as connection:
            return self._get(connection, conflict_id)

    def count(self) -> int:
        """How many conflicts wait for a person."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(_CONFLICT)).scalar_one())

    def resolve(
        self,
        conflict_id: int,
        choice: Choice,
        edited: Resource | None = None,
        *,
        choices: Mapping[str, Side] | None = None,
    ) -> None:
        """Settle a conflict with 'mine', 'theirs', 'edited' (then `edited` is required) or
        'fields' (then `choices`, the side for every disputed path, is required)."""
        if choice not in ("mine", "theirs", "edited", "fields"):
            raise ValueError(f"unknown resolution {choice!r}")
        if choice == "edited" and edited is None:
            raise ValueError("an 'edited' resolution needs the edited resource")
        if choice == "fields" and choices is None:
            raise ValueError("a field-by-field resolution needs a choice for each field")
        with self.engine.begin() as connection:
            conflict = self._get(connection, conflict_id)
            if conflict.kind != "edit-edit" and choice in ("edited", "fields"):
                raise ValueError("a deleted record is kept or let go, not edited")
            remote = conflict.remote
            if conflict.kind == "deleted-on-server":
                self._settle_deleted_on_server(connection, conflict, choice)
            elif remote is None:
                raise ValueError(f"conflict {conflict_id} has no server version")
            elif choice == "theirs":
                upsert_resources(connection, [remote])
                _drop_pending(connection, conflict.resource_type, conflict.resource_id)
            elif conflict.kind == "deleted-here":
                # Keep the deletion: delete again, based on the server's current version, so
                # the upload's If-Match (and its version check) names that version.
                upsert_resources(connection, [remote])
                _drop_pending(connection, conflict.resource_type, conflict.resource_id)
                write_local_change(connection, remote, "delete")
            elif choice == "fields":
                local = read_resource(connection, conflict.resource_type, conflict.resource_id)
                chosen = merge_choosing(
                    conflict.base, local or conflict.local, remote, choices or {}
                )
                rebase_on_remote(connection, remote, chosen)
            else:
                chosen = self._chosen(connection, conflict, edited if choice == "edited" else None)
                rebase_on_remote(connection, remote, chosen)
            _drop_conflict(connection, conflict.resource_type, conflict.resource_id)

    @staticmethod
    def _settle_deleted_on_server(connection: Connection, conflict: Conflict, choice: str) -> None:
        """'theirs' accepts the deletion; 'mine' re-creates the local version on the server."""
        key = (conflict.resource_type, conflict.resource_id)
        local = read_resource(connection, *key) or conflict.local
        _forget_record(connection, *key)
        if choice == "mine":
            # The server has no version left to match: a create (PUT, no If-Match).
            write_local_change(
                connection, {k: v for k, v in local.items() if k != "meta"}, "create"
            )

    @staticmethod
    def _chosen(connection: Connection, conflict: Conflict, edited: Resource | None) -> Resource:
        remote = conflict.remote
        if remote is None:
            raise ValueError("a record deleted on the server has nothing to merge with")
        if edited is None:
            # The record may have been edited again since the conflict was found: use it.
            local = read_resource(connection, conflict.resource_type, conflict.resource_id)
            return merge_keeping_mine(conflict.base, local or conflict.local, remote)
        if edited.get("resourceType") != remote["resourceType"] or edited.get("id") != remote.get(
            "id"
        ):
            raise ValueError("the edited resource is not the record in conflict")
        resource = {k: v for k, v in edited.items() if k != "meta"}
        if "meta" in remote:
            resource["meta"] = remote["meta"]
        return resource

    @staticmethod
    def _get(connection: Connection, conflict_id: int) -> Conflict:
        row = connection.execute(
            select(_CONFLICT).where(_CONFLICT.c.id == conflict_id)
        ).one_or_none()
        if row is None:
            raise UnknownConflictError(f"no conflict {conflict_id}")
        return _conflict(row)
