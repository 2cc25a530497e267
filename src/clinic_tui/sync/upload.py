"""Upload the outbox to the FHIR server in transaction bundles, in outbox order.

Every change is a PUT of the whole cached record to its client-assigned id (a
retried create lands on the same id, never a duplicate) or a DELETE, with
`ifMatch` W/"<base version>" for anything the server has seen. A bundle is
atomic: a 400/422 means one bad entry somewhere, so the bundle is split until
it is alone, quarantined with the server's words, and the rest go on. A 412 on a
single change fetches the server's version and hands it to the three-way merge:
merged changes are sent again in this run, conflicts wait for a person. A
confirmed bundle writes the server's versionId and lastUpdated back into the
cached JSON and clears its outbox entries in one transaction. A dead link or a
5xx stops the phase with the outbox intact. `attempts` counts sends; a create sent
before without a definite answer is looked up first, so a lost answer never makes
a second version (nor, thanks to the client-assigned id, a second record).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import httpx
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from clinic_tui.domain.merge import same
from clinic_tui.offline_cache.conflicts import record_deletion_conflict
from clinic_tui.offline_cache.store import read_resource, row_values, to_json
from clinic_tui.offline_cache.tables import RESOURCE_TABLES, OutboxEntry, ServerVersion
from clinic_tui.sync.cache_io import now_utc
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.errors import (
    FhirAuthError,
    FhirConflictError,
    FhirError,
    FhirGoneError,
    FhirNotFoundError,
    FhirRequestError,
    FhirResponseError,
    FhirUnreachable,
)
from clinic_tui.sync.transaction_answer import EntryAnswer, entry_answers, names_size_limit
from clinic_tui.sync.upload_plan import (
    BatchSizer,
    Change,
    Rejected,
    ResourceKey,
    Stopwatch,
    collapse,
    send_isolating,
)
from clinic_tui.sync.versions import etag_version, version_id

Resource = dict[str, Any]

_OUTBOX: Any = OutboxEntry.__table__  # type: ignore[attr-defined]
_SERVER_VERSION: Any = ServerVersion.__table__  # type: ignore[attr-defined]


class MergeWithRemote(Protocol):
    """The merge helper's entry point (offline_cache.conflicts.merge_with_remote).

    Returns "merged" when the cache now holds the merge rebased on `remote` (sent again
    in this run), "conflict" when it recorded a conflict for a person, "unchanged" when
    there was nothing it could merge.
    """

    def __call__(
        self, connection: Connection, resource_type: str, resource_id: str, remote: Resource
    ) -> object: ...


OpenConflicts = Callable[[], Iterable[ResourceKey]]
"""The (type, id) of every resource with an unresolved conflict."""


@dataclass
class UploadProgress:
    """Where the upload is: changes settled out of the total, and bundles sent."""

    done: int
    total: int
    bundles: int


@dataclass
class UploadResult:
    """What one upload phase did."""

    uploaded: int = 0
    """Records created or updated on the server."""
    deleted: int = 0
    """Records deleted on the server."""
    merged: int = 0
    """Stale changes merged with the server's version (and sent again)."""
    rejected: int = 0
    """Changes quarantined in this run."""
    conflicts: int = 0
    """Changes left for a person (same field changed, or a delete against an edit)."""
    held: int = 0
    """Changes not sent because their resource has an open conflict."""
    round_trips: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    errors: list[str] = field(default_factory=list)
    gone: dict[ResourceKey, str | None] = field(default_factory=dict)
    """Records this upload deleted on the server, with the version each delete was based on."""
    confirmed: dict[ResourceKey, str | None] = field(default_factory=dict)
    """Records this upload wrote on the server, with the version the server answered."""
    stopped: bool = False
    """The link or the server failed: the rest of the outbox waits for the next sync."""
    cancelled: bool = False

    @property
    def finished(self) -> bool:
        """True when every change was sent (whatever the server answered)."""
        return not self.stopped and not self.cancelled

    def followed_by(self, later: UploadResult) -> UploadResult:
        """This pass and a later one of the same round, reported as one."""
        return UploadResult(
            uploaded=self.uploaded + later.uploaded,
            deleted=self.deleted + later.deleted,
            merged=self.merged + later.merged,
            rejected=self.rejected + later.rejected,
            conflicts=self.conflicts + later.conflicts,
            held=later.held,
            round_trips=self.round_trips + later.round_trips,
            bytes_sent=self.bytes_sent + later.bytes_sent,
            bytes_received=self.bytes_received + later.bytes_received,
            errors=[*self.errors, *later.errors],
            gone={**self.gone, **later.gone},
            confirmed={**self.confirmed, **later.confirmed},
            stopped=self.stopped or later.stopped,
            cancelled=self.cancelled or later.cancelled,
        )


class _Stop(Exception):  # noqa: N818  (control flow, not an error class)
    """The upload phase ends here: the link or the server failed."""


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _without_meta(resource: Resource) -> Resource:
    return {key: value for key, value in resource.items() if key != "meta"}


def _is_timeout(error: BaseException) -> bool:
    return isinstance(error.__cause__, httpx.ReadTimeout | httpx.WriteTimeout)


def _outcome(error: FhirError) -> str:
    return error.outcome or str(error)


class Uploader:
    """One upload phase over one cache and one server."""

    def __init__(
        self,
        engine: Engine,
        client: FhirClient,
        *,
        merge: MergeWithRemote | None = None,
        open_conflicts: OpenConflicts | None = None,
        sizer: BatchSizer | None = None,
        progress: Callable[[UploadProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.merge = merge
        self.open_conflicts = open_conflicts
        self.sizer = sizer or BatchSizer()
        self.progress = progress
        self.cancel = cancel
        self.result = UploadResult()
        self._retried: set[ResourceKey] = set()
        self._again: list[Change] = []
        self._settled = 0
        self._in_doubt: set[ResourceKey] = set()
        """Sent before without a definite answer: the server may hold them already."""

    # ---- the phase -------------------------------------------------------

    def run(self) -> UploadResult:
        """Upload every pending change once (merged ones twice); returns what happened."""
        hold = set(self.open_conflicts()) if self.open_conflicts else set()
        with self.engine.connect() as connection:
            rows = self._outbox_rows(connection)
        changes = collapse(rows, hold)
        self._in_doubt = {(r.resource_type, r.resource_id) for r in rows if r.attempts > 0}
        self.result.held = len({(r.resource_type, r.resource_id) for r in rows} & hold)
        queue = deque(changes)
        total = len(changes)
        if self.progress is not None and total:
            self.progress(UploadProgress(0, total, 0))
        while queue:
            if self.cancel is not None and self.cancel.is_set():
                self.result.cancelled = True
                break
            batch = [queue.popleft() for _ in range(min(self.sizer.size, len(queue)))]
            try:
                self.result.round_trips += send_isolating(batch, self._send, self._rejected)
            except _Stop as stop:
                self.result.stopped = True
                self.result.errors.append(str(stop))
                break
            queue.extend(self._again)
            total += len(self._again)
            self._again.clear()
            if self.progress is not None:
                self.progress(UploadProgress(self._settled, total, self.result.round_trips))
        return self.result

    @staticmethod
    def _outbox_rows(connection: Connection, key: ResourceKey | None = None) -> list[OutboxEntry]:
        query = select(_OUTBOX).order_by(_OUTBOX.c.seq)
        if key is not None:
            query = query.where(_OUTBOX.c.resource_type == key[0], _OUTBOX.c.resource_id == key[1])
        return [OutboxEntry(**dict(row)) for row in connection.execute(query).mappings()]

    # ---- one bundle --------------------------------------------------------

    def _snapshot(self, batch: list[Change]) -> list[tuple[Change, Resource | None]]:
        """Each change refreshed from the outbox with the record it sends, read together."""
        sendable: list[tuple[Change, Resource | None]] = []
        with self.engine.connect() as connection:
            for change in batch:
                # Entries first, record second: an edit landing between the two reads is
                # then sent without its entry being settled (sent again later, harmless),
                # never settled without being sent.
                fresh = collapse(self._outbox_rows(connection, change.key))
                if not fresh:
                    continue  # settled meanwhile (undone, resolved)
                current = fresh[0]
                body = None
                if current.method == "PUT":
                    body = read_resource(connection, *current.key)
                    if body is None:
                        continue  # the record left the cache with its entries
                sendable.append((current, body))
        checked = []
        for change, body in sendable:
            if change.method == "DELETE":
                resolved = self._check_delete(change)
            else:
                resolved = self._resolve_doubt(change, body)
            if resolved is not None:
                checked.append((resolved, body))
        return checked

    def _read_remote(self, change: Change) -> Resource | None:
        """The server's current version, None when it has none; _Stop if it cannot say."""
        try:
            return self.client.read(*change.key)
        except (FhirGoneError, FhirNotFoundError):
            return None
        except FhirAuthError:
            raise
        except FhirError as error:
            raise _Stop(f"upload stopped: {error}") from error

    def _check_delete(self, change: Change) -> Change | None:
        """A delete of a server record goes only if the server still holds its base version.

        The server ignores ifMatch on DELETE, so the version is compared here first: a
        record changed there since is never deleted silently; it becomes a 'deleted-here'
        conflict for a person.
        """
        if change.if_match is None:
            return change
        remote = self._read_remote(change)
        if remote is None:
            with self.engine.begin() as connection:
                self._confirm_delete(connection, change)
            self._count_deleted(change)
            self._settled += 1
            return None
        version = _object(remote.get("meta")).get("versionId")
        if version in (None, change.if_match):
            return change
        # Deleted here, changed there: not deleted; a person decides on the conflicts screen.
        with self.engine.begin() as connection:
            record_deletion_conflict(connection, *change.key, "deleted-here", remote)
        self._settled += 1
        self.result.conflicts += 1
        return None

    def _resolve_doubt(self, change: Change, body: Resource | None) -> Change | None:
        """A create sent before without a definite answer, checked against the server.

        None when it is settled here: the server holds exactly this record (written back,
        no second version) or it went to the merge. Otherwise the change to send: as is
        when the server has nothing; with If-Match on the server's version when that
        version is what we sent before (our own create, edited here since: no conflict).
        Versions are opaque, so "ours" is decided by content, never by the id being "1".
        """
        if change.method != "PUT" or change.if_match is not None or body is None:
            return change
        if change.key not in self._in_doubt:
            return change
        remote = self._read_remote(change)
        if remote is None:
            return change
        meta = _object(remote.get("meta"))
        if same(_without_meta(remote), _without_meta(body)):
            with self.engine.begin() as connection:
                self.confirm_put(
                    connection, change, body, meta.get("versionId"), meta.get("lastUpdated")
                )
            self._count_uploaded(change, meta.get("versionId"))
            self._settled += 1
            return None
        with self.engine.begin() as connection:
            ours = _sent_before(connection, change, remote)
            if ours:
                _rebase_entries(connection, change, remote)
        if ours and version_id(remote) is not None:
            return replace(change, if_match=version_id(remote))
        self._stale(change)  # changed there since our create: a three-way merge decides
        return None

    def _bundle(self, sendable: list[tuple[Change, Resource | None]]) -> Resource:
        entries = []
        for change, body in sendable:
            url = f"{change.resource_type}/{change.resource_id}"
            request: dict[str, str] = {"method": change.method, "url": url}
            if change.if_match is not None:
                request["ifMatch"] = f'W/"{change.if_match}"'
            entry: Resource = {"fullUrl": f"{self.client.base_url}/{url}", "request": request}
            if body is not None:
                entry["resource"] = body
            entries.append(entry)
        return {"resourceType": "Bundle", "type": "transaction", "entry": entries}

    def _send(self, batch: list[Change]) -> None:
        """POST one transaction bundle and write its answer back; Rejected or _Stop otherwise."""
        sendable = self._snapshot(batch)
        if not sendable:
            return
        bundle = self._bundle(sendable)
        # Counted before sending: a crash or a lost answer leaves the change marked in doubt.
        self._count_attempt(sendable)
        sent_bytes = len(json.dumps(bundle, ensure_ascii=False).encode())
        watch = Stopwatch()
        try:
            _response, data = self.client.request("POST", self.client.base_url, body=bundle)
        except FhirAuthError:
            raise
        except FhirConflictError as error:
            raise Rejected("conflict", _outcome(error)) from error
        except FhirRequestError as error:
            if names_size_limit(error) and len(sendable) > 1:
                # The server caps transactions: halves are tried, and the cap is remembered.
                self.sizer.capped(len(sendable))
                raise Rejected("too-large", _outcome(error), error.status) from error
            raise Rejected("invalid", _outcome(error), error.status) from error
        except FhirUnreachable as error:
            if _is_timeout(error) and len(sendable) > 1:
                # Perhaps too big for this link: halves are tried (a PUT is safe to repeat).
                self.sizer.timed_out(len(sendable))
                self._in_doubt.update(change.key for change, _ in sendable)
                raise Rejected("timeout", str(error)) from error
            raise _Stop(f"upload stopped: {error}") from error
        except FhirError as error:
            raise _Stop(f"upload stopped: {error}") from error
        self.sizer.record(len(sendable), sent_bytes + len(data), watch.seconds())
        self.result.bytes_sent += sent_bytes
        self.result.bytes_received += len(data)
        try:
            answers = entry_answers(data, len(sendable))
        except FhirResponseError as error:
            raise _Stop(f"upload stopped: {error}") from error
        refused: list[tuple[Change, EntryAnswer]] = []
        with self.engine.begin() as connection:
            for (change, body), answer in zip(sendable, answers, strict=True):
                if answer.confirms(change.method):
                    self._confirm(connection, change, body, answer.entry)
                else:
                    refused.append((change, answer))
        # A server may run a transaction entry by entry and answer each on its own (HTTP
        # 200 over a 412 inside): every entry's status is read, never the bundle's alone.
        for change, answer in refused:
            self._entry_refused(change, answer)

    def _entry_refused(self, change: Change, answer: EntryAnswer) -> None:
        """One entry of an answered bundle that the server did not carry out."""
        status = answer.status
        if status in (409, 412) or (change.method == "PUT" and status in (404, 410)):
            self._stale(change)  # changed or deleted there: merge, or a person decides
        elif 400 <= status < 500:
            self._quarantine(change, answer.outcome or f"refused with {status}")
        else:
            # The server failed on this entry: it stays in the outbox for the next round.
            self._settled += 1
            where = f"{change.resource_type}/{change.resource_id}"
            self.result.errors.append(
                f"{where}: the server answered {status} ({answer.outcome or 'no reason given'}); "
                "sent again next sync"
            )

    # ---- write-back ----------------------------------------------------------

    def _confirm(
        self, connection: Connection, change: Change, sent: Resource | None, answer: Resource
    ) -> None:
        response = _object(answer.get("response"))
        if change.method == "DELETE":
            self._confirm_delete(connection, change)
            self._count_deleted(change)
        else:
            meta = _object(_object(answer.get("resource")).get("meta"))
            version = etag_version(response.get("etag")) or meta.get("versionId")
            updated = response.get("lastModified") or meta.get("lastUpdated")
            self.confirm_put(connection, change, sent, version, updated)
            self._count_uploaded(change, version)
        self._settled += 1

    def _count_uploaded(self, change: Change, version: Any) -> None:
        self.result.uploaded += 1
        self.result.confirmed[change.key] = version if isinstance(version, str) else None

    @staticmethod
    def _remaining(connection: Connection, change: Change) -> list[int]:
        connection.execute(delete(_OUTBOX).where(_OUTBOX.c.seq.in_(change.seqs)))
        return [
            int(seq)
            for seq in connection.execute(
                select(_OUTBOX.c.seq).where(
                    _OUTBOX.c.resource_type == change.resource_type,
                    _OUTBOX.c.resource_id == change.resource_id,
                )
            ).scalars()
        ]

    @classmethod
    def confirm_put(
        cls,
        connection: Connection,
        change: Change,
        sent: Resource | None,
        version: str | None,
        updated: str | None,
    ) -> None:
        """The server holds `sent` as `version`: write it back and settle the change's entries."""
        remaining = cls._remaining(connection, change)
        cached = read_resource(connection, *change.key)
        if cached is None:
            return
        meta = dict(cached.get("meta") or {})
        # The previous version's stamp must not stand beside the new version: it would order
        # versions wrongly (sync/versions.py). An unnamed new version keeps the old id, so the
        # next If-Match meets a 412 and the record is adopted, never sent unchecked.
        meta.pop("lastUpdated", None)
        if version is not None:
            meta["versionId"] = str(version)
        if updated is not None:
            meta["lastUpdated"] = updated
        cached["meta"] = meta
        # Entries are coalesced while unsent (offline_cache/store.py): an edit made while this
        # one was in flight may have joined the entry just settled. What the cache holds and
        # the server does not gets an entry of its own, based on the version just confirmed.
        moved_on = sent is not None and not same(_without_meta(cached), _without_meta(sent))
        table = RESOURCE_TABLES[change.resource_type].__table__  # type: ignore[attr-defined]
        connection.execute(
            update(table)
            .where(table.c.id == change.resource_id)
            .values(**row_values(cached, pending=bool(remaining) or moved_on))
        )
        if moved_on and not remaining and sent is not None:
            connection.execute(
                insert(_OUTBOX).values(
                    resource_type=change.resource_type,
                    resource_id=change.resource_id,
                    operation="update",
                    base_version=str(version) if version is not None else None,
                    base_json=to_json(dict(sent, meta=meta)),
                    created_at=now_utc(),
                    state="pending",
                    attempts=0,
                )
            )
        if remaining and version is not None:
            # Edits made while this one was in flight now build on the version just confirmed.
            base = dict(sent or cached, meta=meta)
            connection.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.seq.in_(remaining))
                .values(base_version=str(version), base_json=to_json(base))
            )
        # A server version kept aside was read before this write landed: it is older (the
        # write either matched it by If-Match or came after it), whatever its opaque id says.
        cls._drop_kept(connection, change.key)

    def _count_deleted(self, change: Change) -> None:
        self.result.deleted += 1
        self.result.gone[change.key] = change.if_match

    @classmethod
    def _confirm_delete(cls, connection: Connection, change: Change) -> None:
        if cls._remaining(connection, change):
            return
        table = RESOURCE_TABLES[change.resource_type].__table__  # type: ignore[attr-defined]
        connection.execute(delete(table).where(table.c.id == change.resource_id))
        cls._drop_kept(connection, change.key)

    @staticmethod
    def _drop_kept(connection: Connection, key: ResourceKey) -> None:
        connection.execute(
            delete(_SERVER_VERSION).where(
                _SERVER_VERSION.c.resource_type == key[0],
                _SERVER_VERSION.c.resource_id == key[1],
            )
        )

    def _count_attempt(self, sendable: list[tuple[Change, Resource | None]]) -> None:
        with self.engine.begin() as connection:
            for change, body in sendable:
                # The body is kept with each entry the first time it goes out: if the answer
                # is lost, the server's record is recognised as ours by its content.
                sent = to_json(_without_meta(body)) if body is not None else None
                connection.execute(
                    update(_OUTBOX)
                    .where(_OUTBOX.c.seq.in_(change.seqs))
                    .values(
                        attempts=_OUTBOX.c.attempts + 1,
                        sent_json=func.coalesce(_OUTBOX.c.sent_json, sent),
                    )
                )

    # ---- one change the server refused ------------------------------------

    def _rejected(self, change: Change, rejection: Rejected) -> None:
        if rejection.kind == "conflict":
            self._stale(change)
        elif rejection.kind == "timeout":
            raise _Stop(f"upload stopped: {rejection.message}")
        elif rejection.kind == "too-large":
            self._quarantine(
                change, f"the server refuses even this change alone: {rejection.message}"
            )
        elif change.method == "PUT" and change.if_match and rejection.status in (404, 410):
            self._stale(change)  # updated here, deleted there: a person decides
        elif change.method == "DELETE" and rejection.status in (404, 410):
            # Already gone there (or never arrived): the delete is done.
            with self.engine.begin() as connection:
                self._confirm_delete(connection, change)
            self._count_deleted(change)
            self._settled += 1
        else:
            self._quarantine(change, rejection.message)

    def _quarantine(self, change: Change, message: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.seq.in_(change.seqs))
                .values(state="quarantined", error=message)
            )
        self.result.rejected += 1
        self._settled += 1
        self.result.errors.append(f"{change.resource_type}/{change.resource_id}: {message}")

    def _stale(self, change: Change) -> None:
        """412: the server moved on since the change's base; merge with its version."""
        try:
            remote: Resource | None = self.client.read(*change.key)
        except (FhirGoneError, FhirNotFoundError):
            remote = None
        except FhirAuthError:
            raise
        except FhirError as error:
            raise _Stop(f"upload stopped: {error}") from error
        with self.engine.begin() as connection:
            # The driver opens the transaction at the first write: writing first keeps a
            # local edit from slipping in between the reads below and the merge's writes.
            connection.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.seq.in_(change.seqs))
                .values(attempts=_OUTBOX.c.attempts)
            )
            local = read_resource(connection, *change.key)
            if (
                remote is not None
                and local is not None
                and change.method == "PUT"
                and same(_without_meta(local), _without_meta(remote))
            ):
                # Our own earlier upload whose answer was lost: adopt the server's version.
                meta = remote.get("meta") or {}
                self.confirm_put(
                    connection, change, local, meta.get("versionId"), meta.get("lastUpdated")
                )
                self._count_uploaded(change, meta.get("versionId"))
                self._settled += 1
                return
            if (
                remote is not None
                and local is not None
                and change.method == "PUT"
                and change.key not in self._retried
                and _sent_before(connection, change, remote)
            ):
                # Our own earlier send, whose answer was lost, edited here since: not a
                # conflict with ourselves; the edit goes up on top of that version.
                _rebase_entries(connection, change, remote)
                self._retried.add(change.key)
                self._again.append(change)
                return
            if remote is not None and change.method == "PUT":
                _sent_create_as_base(connection, change)
            if remote is None and local is not None and change.method == "PUT":
                # Changed here, deleted there: a person keeps it (re-create) or lets it go.
                record_deletion_conflict(connection, *change.key, "deleted-on-server", None)
                self.result.conflicts += 1
                self._settled += 1
                return
            if remote is None or self.merge is None:
                self.result.conflicts += 1
                self._settled += 1
                where = f"{change.resource_type}/{change.resource_id}"
                why = "deleted on the server" if remote is None else "changed on the server"
                self.result.errors.append(f"{where}: {why} while changed here; left for a person")
                return
            outcome = self.merge(connection, change.resource_type, change.resource_id, remote)
        if _merged(outcome) and change.key not in self._retried:
            self._retried.add(change.key)
            self.result.merged += 1
            self._again.append(change)
            return
        self._settled += 1
        where = f"{change.resource_type}/{change.resource_id}"
        if _merged(outcome):
            # Merged twice in one run: the server keeps moving; the next sync sends it.
            self.result.errors.append(f"{where}: changed on the server again during this sync")
        elif outcome == "conflict" or getattr(outcome, "conflicts", None):
            self.result.conflicts += 1
        else:
            self.result.errors.append(f"{where}: changed on the server and not merged ({outcome})")


def _sent_entries(connection: Connection, change: Change) -> list[Resource]:
    """The bodies this record's pending entries went out with (lost answers included)."""
    bodies = connection.execute(
        select(_OUTBOX.c.sent_json)
        .where(
            _OUTBOX.c.resource_type == change.resource_type,
            _OUTBOX.c.resource_id == change.resource_id,
            _OUTBOX.c.sent_json.is_not(None),
        )
        .order_by(_OUTBOX.c.seq)
    ).scalars()
    return [json.loads(body) for body in bodies]


def _sent_before(connection: Connection, change: Change, remote: Resource) -> bool:
    """True when the server's record is exactly what we sent before (an answer lost)."""
    theirs = _without_meta(remote)
    return any(same(theirs, sent) for sent in _sent_entries(connection, change))


def _rebase_entries(connection: Connection, change: Change, remote: Resource) -> None:
    """The record's entries now build on `remote` (our own earlier send), for If-Match."""
    connection.execute(
        update(_OUTBOX)
        .where(
            _OUTBOX.c.resource_type == change.resource_type,
            _OUTBOX.c.resource_id == change.resource_id,
        )
        .values(base_version=version_id(remote), base_json=to_json(remote))
    )


def _sent_create_as_base(connection: Connection, change: Change) -> None:
    """A create the server took and then changed: what we sent is the merge's base.

    Without it the three-way merge has no base and every field reads as a conflict
    with the server, though the server's first version was our own record.
    """
    sent = _sent_entries(connection, change)
    if not sent:
        return
    connection.execute(
        update(_OUTBOX)
        .where(
            _OUTBOX.c.resource_type == change.resource_type,
            _OUTBOX.c.resource_id == change.resource_id,
            _OUTBOX.c.operation == "create",
            _OUTBOX.c.base_json.is_(None),
        )
        .values(base_json=to_json(sent[0]))
    )


def _merged(outcome: object) -> bool:
    """Whether a merge outcome means 'merged, send it again' (see MergeWithRemote)."""
    if isinstance(outcome, bool):
        return outcome
    if isinstance(outcome, str):
        return outcome == "merged"
    conflicts = getattr(outcome, "conflicts", None)
    if conflicts is not None:
        return not conflicts
    return bool(getattr(outcome, "merged", False))


def upload(
    engine: Engine,
    client: FhirClient,
    **options: Any,
) -> UploadResult:
    """Run one upload phase (see Uploader for the options)."""
    return Uploader(engine, client, **options).run()
