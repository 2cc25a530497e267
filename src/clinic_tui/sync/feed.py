"""The changes feed: one system-level `_history?_since=` request per round, instead of two per type.

After a complete download the round keeps a checkpoint in cache_meta: a server instant
before which the cache holds every change in scope (the round's first answer, less a
margin for the server's commit lag). The next round asks `_history?_since=<checkpoint>`
once, newest first. Usually that one answer is the whole story:

- nothing changed: the download is over after one round trip;
- a few changes: they are in the answer itself (every version, with its resource, and
  deletions), and are written like downloaded pages (a record with a pending local
  change keeps the server's version aside, an older version never replaces a newer);
- a clinic's cache (scoped) meets a record it does not hold yet: the scope's own rules
  (scope.in_scope: the clinic's patients, their records, recent encounters, referrals
  from or to it) take or leave it; where they cannot tell, that type's searches run.
  A patient referred from another clinic is cached, but is not the clinic's: its new
  records are left, as the searches leave them (clinic_patients); its own updates are
  taken, as for every record the cache holds;
- more changes than FEED_MAX_PAGES pages: the per-type download runs, from the
  per-type watermarks, which is cheaper than every intermediate version.

Newest-first offset paging is safe while the server changes: a new version pushes the
older ones to later offsets (seen twice, written once), never past us. After the feed,
every type's watermarks move up to the next checkpoint, so a later per-type download
does not fetch again what the feed brought.

The checkpoint is tied to the scope (clinic, encounter window, types): another scope
means another set of records, so the per-type download runs first. It is saved only
when the whole download of a round completed; a cut or failed round keeps the old one,
which stays true (the cache still holds everything before it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clinic_tui.offline_cache.tables import RESOURCE_TABLES, CacheMeta
from clinic_tui.sync.cache_io import cached_states, read_watermarks, save_watermarks
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.download import (
    Deletes,
    DownloadResult,
    ProgressCallback,
    TypeWriter,
    history_entry,
    keep_param,
    later_instant,
)
from clinic_tui.sync.errors import FhirNotFoundError, HistoryNotSupported
from clinic_tui.sync.scope import (
    PATIENT_COMPARTMENT,
    WHOLE,
    SyncScope,
    in_scope,
    referenced_id,
)
from clinic_tui.sync.unscoped import clinic_patients
from clinic_tui.sync.versions import last_updated, newest_first

CHECKPOINT_KEY = "changes_feed_since"
"""cache_meta: the `_since` of the next round's feed request."""
SCOPE_KEY = "changes_feed_scope"
"""cache_meta: the scope the checkpoint belongs to."""
FEED_PAGE_SIZE = 1000
FEED_MAX_PAGES = 2
"""Beyond this many pages of versions the per-type searches bring less (no old versions)."""
COMMIT_MARGIN = timedelta(seconds=5)
"""How far before the server's answer the checkpoint sits: a write stamped before the
answer but committed after it must still be ahead of the checkpoint."""

_META: Any = CacheMeta.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FeedVersion:
    """One version of a record as the feed listed it."""

    entry: dict[str, Any]
    version: str | None
    """The server's versionId: opaque, compared for equality only."""
    is_delete: bool
    when: str | None
    """response.lastModified (else meta.lastUpdated): the server's stamp."""


Versions = dict[tuple[str, str], list[FeedVersion]]
"""(type, id) -> every version the feed listed, in the server's order (newest first)."""


@dataclass
class FeedOutcome:
    """What writing a complete changes feed did, and what it leaves to the searches."""

    next_checkpoint: str | None
    search_types: list[str] = field(default_factory=list)
    """Types with records new to this (scoped) cache that only their searches can place."""
    patients_in_scope: set[str] = field(default_factory=set)
    """Patients new to the cache in this feed that belong to the clinic (their records too)."""
    requests: int = 0


def scope_fingerprint(scope: SyncScope, resource_types: Sequence[str]) -> str:
    """What a checkpoint is valid for: the clinic, the encounter window and the types."""
    return json.dumps(
        {"clinic": scope.clinic_id, "days": scope.encounter_days, "types": sorted(resource_types)},
        sort_keys=True,
    )


def _meta_value(engine: Engine, key: str) -> str | None:
    with engine.connect() as connection:
        found = connection.execute(
            select(_META.c.value).where(_META.c.key == key)
        ).scalar_one_or_none()
    return str(found) if found is not None else None


def read_checkpoint(engine: Engine, fingerprint: str) -> str | None:
    """The feed's `_since` for this scope; None before a complete download of it."""
    if _meta_value(engine, SCOPE_KEY) != fingerprint:
        return None
    return _meta_value(engine, CHECKPOINT_KEY)


def checkpoint_before(server_time: str | None) -> str | None:
    """The checkpoint for a round whose first answer came at `server_time` (minus the margin).

    Written as FHIR servers write instants (UTC, milliseconds, Z): servers may compare
    `_since` as text.
    """
    if server_time is None:
        return None
    try:
        when = datetime.fromisoformat(server_time.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    moved = (when - COMMIT_MARGIN).astimezone(UTC)
    return moved.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def save_checkpoint(engine: Engine, checkpoint: str, fingerprint: str) -> None:
    """Remember where the next round's feed starts, for this scope."""
    with engine.begin() as connection:
        for key, value in ((CHECKPOINT_KEY, checkpoint), (SCOPE_KEY, fingerprint)):
            statement = sqlite_insert(_META).values(key=key, value=value)
            connection.execute(
                statement.on_conflict_do_update(index_elements=["key"], set_={"value": value})
            )


def _entry_type(entry: dict[str, Any]) -> str | None:
    """The resource type of a system history entry (deletions carry only a URL)."""
    resource = entry.get("resource")
    if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
        return str(resource["resourceType"])
    request = entry.get("request")
    url = request.get("url") if isinstance(request, dict) else None
    url = url or entry.get("fullUrl")
    if not isinstance(url, str):
        return None
    parts = url.split("?", 1)[0].rstrip("/").split("/")
    return parts[-2] if len(parts) >= 2 else None


def _collect(entries: list[dict[str, Any]], kinds: set[str], versions: Versions) -> None:
    for entry in entries:
        kind = _entry_type(entry)
        if kind not in kinds:
            continue
        found = history_entry(kind, entry)
        if found is None:
            continue
        ident, version, is_delete, when = found
        resource = entry.get("resource")
        when = when or last_updated(resource)
        versions.setdefault((kind, ident), []).append(FeedVersion(entry, version, is_delete, when))


def newest(listed: list[FeedVersion]) -> FeedVersion:
    """The newest of a record's versions: by the server's stamps, else by its order."""
    return newest_first(listed, lambda found: found.when)[0]


@dataclass
class FetchedFeed:
    """The changes feed as read, before anything is written."""

    complete: bool
    """The answers held every change since the checkpoint."""
    versions: Versions = field(default_factory=dict)
    first_answer: str | None = None
    body_bytes: int = 0

    @property
    def writes_patients(self) -> bool:
        """True when the feed holds a Patient version to write."""
        return any(kind == "Patient" for kind, _ in self.versions)


def fetch_feed(client: FhirClient, since: str, resource_types: Sequence[str]) -> FetchedFeed:
    """Ask the server what changed since `since` (network only: nothing is written).

    HistoryNotSupported when the answer is not a history Bundle (an empty searchset from a
    server without system history must never read as "nothing changed").
    """
    kinds = set(resource_types) & set(RESOURCE_TABLES)
    url = "_history"
    params: dict[str, str] | None = {"_since": since, "_count": str(FEED_PAGE_SIZE)}
    fetched = FetchedFeed(complete=False)
    for _ in range(FEED_MAX_PAGES):
        try:
            page = client.bundle_page(url, params)
        except FhirNotFoundError as error:
            raise HistoryNotSupported(f"_history: {error}") from error
        if page.bundle_type != "history":
            raise HistoryNotSupported(
                f"_history answered a {page.bundle_type or 'typeless'} Bundle, not a history"
            )
        fetched.first_answer = fetched.first_answer or page.server_time
        fetched.body_bytes = max(fetched.body_bytes, page.body_bytes)
        _collect(page.entries, kinds, fetched.versions)
        if page.next_url is None:
            fetched.complete = True
            break
        url, params = keep_param(page.next_url, "_since", since), None
    return fetched


@dataclass(frozen=True)
class WrittenHere:
    """A write this round's upload made while the feed was being read."""

    version: str | None
    """The version the server answered for our PUT; None for a delete or when it named none."""
    deleted: bool = False


def _news_after_our_write(listed: list[FeedVersion], ours: WrittenHere) -> FeedVersion | None:
    """The version of a record to write when this round's upload also wrote it, if any.

    The feed and the upload crossed on the wire. Versions ids are opaque, so the feed's own
    order tells which side is newer: what it lists before our write (our PUT's version, or
    the deletion) came after it; a feed that does not list our write at all was answered
    before it landed, and all it holds is older than what the cache has now.
    """
    ordered = newest_first(listed, lambda found: found.when)
    for position, found in enumerate(ordered):
        ours_here = (
            found.is_delete
            if ours.deleted
            else (ours.version is not None and found.version == ours.version)
        )
        if ours_here:
            return ordered[0] if position > 0 else None
    return None


def apply_feed(
    engine: Engine,
    fetched: FetchedFeed,
    resource_types: Sequence[str],
    scope: SyncScope,
    result: DownloadResult,
    on_page: ProgressCallback | None = None,
    written_here: Mapping[tuple[str, str], WrittenHere] | None = None,
) -> FeedOutcome:
    """Write a complete feed's changes; name the types a clinic must still search.

    `written_here`: records this round's upload wrote while the feed was read. Only what
    the feed shows to be newer than those writes is applied (see _news_after_our_write).
    """
    if not fetched.complete:
        raise ValueError("an incomplete feed cannot be written: the per-type searches must run")
    outcome = FeedOutcome(next_checkpoint=checkpoint_before(fetched.first_answer))
    ours = written_here or {}
    by_type: dict[str, list[tuple[str, dict[str, Any], bool]]] = {}
    for (kind, ident), listed in fetched.versions.items():
        chosen = (
            _news_after_our_write(listed, ours[(kind, ident)])
            if (kind, ident) in ours
            else newest(listed)
        )
        if chosen is not None:
            by_type.setdefault(kind, []).append((ident, chosen.entry, chosen.is_delete))
    for kind in resource_types:
        if kind in by_type:
            _write_type(
                engine, kind, by_type[kind], scope, result, outcome, fetched.body_bytes, on_page
            )
    return outcome


def _write_type(
    engine: Engine,
    kind: str,
    changes: list[tuple[str, dict[str, Any], bool]],
    scope: SyncScope,
    result: DownloadResult,
    outcome: FeedOutcome,
    body_bytes: int,
    on_page: ProgressCallback | None,
) -> None:
    """Write one type's changes from the feed, or leave new records to its scoped search."""
    writer = TypeWriter(engine, kind)
    if kind in result.types:
        writer.result = result.types[kind]
    result.types[kind] = writer.result
    scoped = scope.clinic_id is not None and kind not in WHOLE
    if scoped:
        changes = _in_scope(engine, kind, changes, scope, outcome)
    entries = [entry for _, entry, is_delete in changes if not is_delete]
    deleted: dict[str, tuple[str | None, str | None]] = {}
    for ident, entry, is_delete in changes:
        found = history_entry(kind, entry)
        if is_delete and found is not None:
            deleted[ident] = (found[1], found[3])
    writer.result.pages += 1
    if entries:
        writer.write_entries(entries, body_bytes)
    if deleted:
        writer.apply_deletes(Deletes(kind, deleted, None))
    if on_page is not None:
        on_page(kind, writer.result)


def _in_scope(
    engine: Engine,
    kind: str,
    changes: list[tuple[str, dict[str, Any], bool]],
    scope: SyncScope,
    outcome: FeedOutcome,
) -> list[tuple[str, dict[str, Any], bool]]:
    """The changes a clinic's cache takes: its own records, and new ones its scope holds.

    A record new to the cache is judged by the scope's rules (scope.in_scope); when they
    cannot tell, the type's searches run instead.
    """
    with engine.connect() as connection:
        held = cached_states(connection, kind, (ident for ident, _, _ in changes))
        patients: set[str] = set()
        if kind in PATIENT_COMPARTMENT or kind == "Encounter":
            wanted = {
                found
                for _, entry, is_delete in changes
                if not is_delete
                for field in ("subject", "patient")
                if (found := referenced_id(entry["resource"].get(field), "Patient"))
            }
            patients = clinic_patients(connection, scope, wanted)
    patients |= outcome.patients_in_scope
    taken: list[tuple[str, dict[str, Any], bool]] = []
    for change in changes:
        ident, entry, is_delete = change
        if ident in held:
            taken.append(change)
            continue
        if is_delete:
            continue
        verdict = in_scope(scope, entry["resource"], patients.__contains__)
        if verdict is None:
            if kind not in outcome.search_types:
                outcome.search_types.append(kind)
        elif verdict:
            taken.append(change)
            if kind == "Patient":
                outcome.patients_in_scope.add(ident)
    return taken


def advance_watermarks(
    engine: Engine, scope: SyncScope, resource_types: Sequence[str], checkpoint: str
) -> None:
    """After a complete feed: every type's searches and deletes scan start at the checkpoint."""
    with engine.begin() as connection:
        for kind in resource_types:
            # The queries' own keys only: a clinic's type row must not get a watermark, or a
            # later unscoped download would start after records it never fetched.
            for key in dict.fromkeys(query.watermark_key for query in scope.queries(kind)):
                current = read_watermarks(connection, key)
                moved = later_instant(current.watermark, checkpoint)
                if moved != current.watermark:
                    save_watermarks(connection, key, watermark=moved)
            since = read_watermarks(connection, kind).history_since
            moved = later_instant(since, checkpoint)
            if moved != since:
                save_watermarks(connection, kind, history_since=moved)
