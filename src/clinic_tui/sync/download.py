"""Incremental download from the FHIR server into the cache, one resource type at a time.

Each page is a fresh search from the last checkpoint
(`_lastUpdated=ge<watermark>&_sort=_lastUpdated&_count=N`), written through
store.upsert_resources together with the new watermark in one transaction, so a
cut link resumes where it stopped. Offset paging shifts while the server
changes, so a `next` link is never trusted to carry on: it is followed only to
step over a page of records already seen at the checkpoint instant (more records
than a page share one millisecond). The loop ends when a query from the final
checkpoint brings nothing new. `ge` rather than `gt` because the server's clock
has millisecond precision: a record written in the same millisecond as the
watermark but committed after the read would be skipped by `gt`. Records seen
again are recognised by (id, versionId) and not written twice.

A record with a pending local change is never overwritten: the server version is
kept aside (server_version table) for the merge. Server deletes come from the
type's `_history?_since=`. A resource the cache cannot store is skipped with an
error in the result; the rest goes on.

A type may be fetched by several searches (sync/scope.py: a clinic's scope); each
keeps its own watermark under its query's key, records met twice are written once,
and the deletes scan stays one per type (under the type's own sync_state row).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Connection, Engine

from clinic_tui.offline_cache.store import row_values, upsert_resources
from clinic_tui.offline_cache.tables import RESOURCE_TABLES
from clinic_tui.sync.cache_io import (
    CachedState,
    cached_states,
    keep_server_version,
    now_utc,
    read_watermarks,
    remove_resources,
    save_watermarks,
)
from clinic_tui.sync.client import BundlePage, FhirClient
from clinic_tui.sync.errors import FhirAuthError, FhirError, FhirResponseError, FhirUnreachable
from clinic_tui.sync.scope import ScopedQuery, SyncScope

Resource = dict[str, Any]

DEFAULT_PAGE_SIZE = 100
MAX_RESOURCE_BYTES = 4 * 1024 * 1024
"""A single resource larger than this is skipped (a 10 MB Observation would stall thin links)."""
MAX_PAGES_PER_TYPE = 100_000
"""Safety bound on one type's loop; a busy server cannot keep a sync running for ever."""


@dataclass(frozen=True)
class Skipped:
    """A resource (or entry) that could not be cached, and why."""

    resource_type: str
    resource_id: str | None
    reason: str


@dataclass
class TypeDownload:
    """What the download of one resource type did."""

    resource_type: str
    written: int = 0
    """Records written to the cache (new or newer versions)."""
    removed: int = 0
    """Records removed because the server deleted them."""
    kept_aside: list[str] = field(default_factory=list)
    """Ids whose server version (or deletion) waits beside a pending local change."""
    skipped: list[Skipped] = field(default_factory=list)
    pages: int = 0
    error: str | None = None
    """Why this type stopped early (the pages before it are kept); None when it finished."""


@dataclass
class DownloadResult:
    """What one download round did, per resource type."""

    types: dict[str, TypeDownload] = field(default_factory=dict)

    @property
    def written(self) -> int:
        """Records written in all."""
        return sum(t.written for t in self.types.values())

    @property
    def removed(self) -> int:
        """Records removed in all."""
        return sum(t.removed for t in self.types.values())

    @property
    def kept_aside(self) -> list[tuple[str, str]]:
        """(type, id) of every server version kept beside a pending local change."""
        return [(t.resource_type, i) for t in self.types.values() for i in t.kept_aside]

    @property
    def skipped(self) -> list[Skipped]:
        """Every resource that could not be cached."""
        return [s for t in self.types.values() for s in t.skipped]

    @property
    def errors(self) -> list[str]:
        """Types that stopped early, with the reason."""
        return [f"{t.resource_type}: {t.error}" for t in self.types.values() if t.error]

    @property
    def complete(self) -> bool:
        """True when every type finished and nothing was skipped."""
        return not self.errors and not self.skipped


ProgressCallback = Callable[[str, TypeDownload], None]


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _later(current: str | None, candidate: str | None) -> str | None:
    """The later of two FHIR instants (kept as the server wrote it)."""
    new = _instant(candidate)
    if new is None:
        return current
    old = _instant(current)
    return candidate if old is None or new > old else current


def _version_number(version: str | None) -> int | None:
    return int(version) if version is not None and version.isdigit() else None


def _meta(resource: Resource) -> tuple[str | None, str | None]:
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        return None, None
    version, updated = meta.get("versionId"), meta.get("lastUpdated")
    return (
        version if isinstance(version, str) else None,
        updated if isinstance(updated, str) else None,
    )


def _check_resource(resource_type: str, entry: dict[str, Any]) -> Resource | Skipped | None:
    """The entry's resource if the cache can store it, a Skipped if not, None if not a match."""
    search = entry.get("search")
    if isinstance(search, dict) and search.get("mode") not in (None, "match"):
        return None  # an OperationOutcome or an _include, not a record of this type
    resource = entry.get("resource")
    full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
    if not isinstance(resource, dict):
        return Skipped(resource_type, full_url, "entry without a resource")
    ident = resource.get("id")
    ident = ident if isinstance(ident, str) and ident else None
    if resource.get("resourceType") != resource_type:
        kind = resource.get("resourceType")
        return Skipped(resource_type, ident or full_url, f"expected {resource_type}, got {kind!r}")
    if ident is None:
        return Skipped(resource_type, full_url, "resource without an id")
    size = len(json.dumps(resource, ensure_ascii=False).encode())
    if size > MAX_RESOURCE_BYTES:
        mib = MAX_RESOURCE_BYTES // (1024 * 1024)
        return Skipped(resource_type, ident, f"resource of {size:,} bytes exceeds {mib} MiB")
    try:
        row_values(resource)
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        return Skipped(resource_type, ident, f"cannot be cached: {error}")
    return resource


class _TypeRun:
    """The download of one resource type: state shared by its pages."""

    def __init__(
        self, engine: Engine, client: FhirClient, resource_type: str, page_size: int
    ) -> None:
        self.engine = engine
        self.client = client
        self.resource_type = resource_type
        self.page_size = page_size
        self.result = TypeDownload(resource_type)
        self.seen: dict[str, str | None] = {}
        """id -> versionId written (or kept aside) in this run."""
        self._skip_keys: set[tuple[str | None, str]] = set()

    def _skip(self, skipped: Skipped) -> None:
        key = (skipped.resource_id, skipped.reason)
        if key not in self._skip_keys:
            self._skip_keys.add(key)
            self.result.skipped.append(skipped)

    def _query(self, query: ScopedQuery, watermark: str | None) -> dict[str, str]:
        params = dict(query.params)
        params.update({"_sort": "_lastUpdated", "_count": str(self.page_size)})
        if watermark:
            params["_lastUpdated"] = f"ge{watermark}"
        return params

    def search(self, on_page: ProgressCallback | None, query: ScopedQuery) -> str | None:
        """Download every change since the query's watermark; returns the server time at start."""
        key = query.watermark_key
        with self.engine.connect() as connection:
            watermark = read_watermarks(connection, key).watermark
        url: str = self.resource_type
        params: dict[str, str] | None = self._query(query, watermark)
        started_at: str | None = None
        stuck = _SamePageGuard(self.resource_type)
        for _ in range(MAX_PAGES_PER_TYPE):
            page = self.client.bundle_page(url, params)
            started_at = started_at or page.server_time
            self.result.pages += 1
            fresh, newest = self._fresh(page)
            new_watermark = _later(watermark, newest)
            with self.engine.begin() as connection:
                changed = self._write(connection, fresh)
                if new_watermark != watermark:
                    save_watermarks(connection, key, watermark=new_watermark)
            if on_page is not None:
                on_page(self.resource_type, self.result)
            if changed or new_watermark != watermark:
                # Progress: ask again from the new checkpoint instead of trusting the offset.
                watermark = new_watermark
                url, params = self.resource_type, self._query(query, watermark)
            elif page.next_url:
                # A whole page already seen at the checkpoint instant: step over it.
                stuck.check(page)
                url, params = page.next_url, None
            else:
                return started_at
        raise FhirError(f"{self.resource_type}: more than {MAX_PAGES_PER_TYPE} pages; stopped")

    def _fresh(self, page: BundlePage) -> tuple[list[Resource], str | None]:
        for problem in page.problems:
            self._skip(Skipped(self.resource_type, None, problem))
        _check_order(self.resource_type, page)
        fresh: list[Resource] = []
        newest: str | None = None
        for entry in page.entries:
            checked = _check_resource(self.resource_type, entry)
            if checked is None:
                continue
            if isinstance(checked, Skipped):
                # Skipped, and the watermark moves past it: one bad record never blocks the rest.
                self._skip(checked)
                bad = entry.get("resource")
                newest = _later(newest, _meta(bad)[1] if isinstance(bad, dict) else None)
                continue
            version, updated_at = _meta(checked)
            newest = _later(newest, updated_at)
            ident = checked["id"]
            if ident in self.seen and self.seen[ident] == version:
                continue
            self.seen[ident] = version
            fresh.append(checked)
        return fresh, newest

    def _write(self, connection: Connection, fresh: list[Resource]) -> int:
        """Store what is new to the cache; returns how many records were new."""
        if not fresh:
            return 0
        states = cached_states(connection, self.resource_type, (r["id"] for r in fresh))
        to_store: list[Resource] = []
        kept: list[str] = []
        for resource in fresh:
            state = states.get(resource["id"])
            version, updated_at = _meta(resource)
            if state is not None and state.pending:
                if version is not None and version == state.version_id:
                    continue  # the server still holds the version the local change started from
                kept.append(resource["id"])
                keep_server_version(
                    connection,
                    self.resource_type,
                    resource["id"],
                    resource,
                    version_id=version,
                    last_updated=updated_at,
                )
                if resource["id"] not in self.result.kept_aside:
                    self.result.kept_aside.append(resource["id"])
            elif state is None or (version != state.version_id and not _is_older(version, state)):
                to_store.append(resource)
        self.result.written += upsert_resources(connection, to_store)
        return len(to_store) + len(kept)

    def deletes(self, since: str | None, started_at: str | None) -> None:
        """Apply the server's deletes since the last scan; then move the scan position on."""
        if since is None:
            # First sync of this type: everything cached came from this run, nothing to delete.
            if started_at is not None:
                with self.engine.begin() as connection:
                    save_watermarks(connection, self.resource_type, history_since=started_at)
            return
        deleted = self._deleted_since(since)
        with self.engine.begin() as connection:
            states = cached_states(connection, self.resource_type, deleted)
            gone: list[str] = []
            for ident, (version, when) in deleted.items():
                state = states.get(ident)
                if state is None:
                    continue
                if state.pending:
                    keep_server_version(
                        connection,
                        self.resource_type,
                        ident,
                        None,
                        version_id=version,
                        last_updated=when,
                    )
                    if ident not in self.result.kept_aside:
                        self.result.kept_aside.append(ident)
                elif not _is_older(version, state):
                    gone.append(ident)
            self.result.removed += remove_resources(connection, self.resource_type, gone)
            if started_at is not None:
                save_watermarks(connection, self.resource_type, history_since=started_at)

    def _deleted_since(self, since: str) -> dict[str, tuple[str | None, str | None]]:
        """id -> (version, time) of records whose latest history entry is a deletion."""
        latest: dict[str, tuple[int, bool, str | None, str | None]] = {}
        params: dict[str, str] | None = {"_since": since, "_count": str(self.page_size)}
        url = f"{self.resource_type}/_history"
        stuck = _SamePageGuard(self.resource_type)
        for _ in range(MAX_PAGES_PER_TYPE):
            page = self.client.bundle_page(url, params)
            stuck.check(page)
            for entry in page.entries:
                found = _history_entry(self.resource_type, entry)
                if found is None:
                    continue
                ident, version, is_delete, when = found
                rank = _version_number(version) or 0
                if ident not in latest or rank > latest[ident][0]:
                    latest[ident] = (rank, is_delete, version, when)
            if page.next_url is None:
                break
            url, params = _keep_param(page.next_url, "_since", since), None
        return {i: (v, w) for i, (_, is_delete, v, w) in latest.items() if is_delete}


class _SamePageGuard:
    """Stops a walk whose next link brings the same page again (a server ignoring offsets)."""

    REPEATS = 3
    """Identical pages in a row that mean a loop (one repeat can be writes shifting a page)."""

    def __init__(self, resource_type: str) -> None:
        self.resource_type = resource_type
        self._previous: str | None = None
        self._repeats = 0

    def check(self, page: BundlePage) -> None:
        """Raise FhirResponseError when `page` repeats the pages before it too often."""
        signature = json.dumps(page.entries, sort_keys=True) if page.entries else None
        same = signature is not None and signature == self._previous
        self._repeats = self._repeats + 1 if same else 0
        self._previous = signature
        if self._repeats >= self.REPEATS:
            raise FhirResponseError(
                f"{self.resource_type}: the server's next link keeps returning the same page"
            )


def _check_order(resource_type: str, page: BundlePage) -> None:
    """Refuse a page not sorted by lastUpdated: its watermark would skip records."""
    previous: datetime | None = None
    for entry in page.entries:
        resource = entry.get("resource")
        when = _instant(_meta(resource)[1]) if isinstance(resource, dict) else None
        if when is None:
            continue
        if previous is not None and when < previous:
            raise FhirResponseError(
                f"{resource_type}: the server does not sort by _lastUpdated; "
                "an incremental download would skip records"
            )
        previous = when


def _is_older(version: str | None, state: CachedState | None) -> bool:
    """True when the cache already holds a newer version than `version`."""
    if state is None:
        return False
    incoming, cached = _version_number(version), _version_number(state.version_id)
    return incoming is not None and cached is not None and incoming < cached


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _history_entry(
    resource_type: str, entry: dict[str, Any]
) -> tuple[str, str | None, bool, str | None] | None:
    """(id, version, is_delete, time) of a history entry of this type, None if unusable."""
    request = _object(entry.get("request"))
    response = _object(entry.get("response"))
    resource = entry.get("resource") if isinstance(entry.get("resource"), dict) else None
    is_delete = request.get("method") == "DELETE" or resource is None
    ident: str | None = None
    if resource is not None and isinstance(resource.get("id"), str):
        ident = resource["id"]
    else:
        url = request.get("url") or entry.get("fullUrl")
        if isinstance(url, str):
            kind, _, tail = url.split("?", 1)[0].rstrip("/").rpartition("/")
            if kind.rsplit("/", 1)[-1] == resource_type:
                ident = tail or None
    if ident is None:
        return None
    etag = response.get("etag")
    version = None
    if isinstance(etag, str):
        version = etag.removeprefix("W/").strip('"') or None
    if version is None and resource is not None:
        version = _meta(resource)[0]
    when = response.get("lastModified")
    return ident, version, is_delete, when if isinstance(when, str) else None


def _keep_param(url: str, name: str, value: str) -> str:
    """`url` with `name=value` added when the server dropped it from a next link."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == name for key, _ in query):
        return url
    return urlunsplit(parts._replace(query=urlencode([*query, (name, value)])))


def download_type(
    engine: Engine,
    client: FhirClient,
    resource_type: str,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    on_page: ProgressCallback | None = None,
    queries: Sequence[ScopedQuery] | None = None,
) -> TypeDownload:
    """Download one resource type's changes and deletes since its stored watermarks.

    `queries` are the searches in scope (default: the whole type). FhirAuthError and
    FhirUnreachable propagate (nothing else can work either); any other FhirError stops
    this type only and is reported in the result. Pages already written stay.
    """
    if resource_type not in RESOURCE_TABLES:
        raise ValueError(f"the cache does not keep {resource_type} resources")
    run = _TypeRun(engine, client, resource_type, page_size)
    with engine.connect() as connection:
        before = read_watermarks(connection, resource_type)
    searches = list(queries) if queries else [ScopedQuery(resource_type)]
    try:
        started_at: str | None = None
        for query in searches:
            began = run.search(on_page, query)
            # The earliest start: the deletes scan must not miss anything after it.
            started_at = started_at or began
        run.deletes(before.history_since or before.watermark, started_at)
    except (FhirAuthError, FhirUnreachable):
        raise
    except FhirError as error:
        run.result.error = str(error)
        return run.result
    with engine.begin() as connection:
        save_watermarks(connection, resource_type, last_success=now_utc())
    return run.result


def download(
    engine: Engine,
    client: FhirClient,
    resource_types: Iterable[str] | None = None,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    on_page: ProgressCallback | None = None,
    scope: SyncScope | None = None,
) -> DownloadResult:
    """Download every cached resource type (or those named) in scope into the cache."""
    result = DownloadResult()
    for resource_type in RESOURCE_TABLES if resource_types is None else resource_types:
        result.types[resource_type] = download_type(
            engine,
            client,
            resource_type,
            page_size=page_size,
            on_page=on_page,
            queries=scope.queries(resource_type) if scope is not None else None,
        )
    return result
