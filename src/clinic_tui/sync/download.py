"""Incremental download from the FHIR server into the cache, a few resource types at a time.

Each page is a fresh search from the last checkpoint
(`_lastUpdated=ge<watermark>&_sort=_lastUpdated&_count=N`), written through
store.py together with the new watermark in one transaction, so a cut link
resumes where it stopped. Offset paging shifts while the server changes, so a
`next` link is never trusted to carry on: it is followed only to step over a
page of records already seen at the checkpoint instant (more records than a page
share one millisecond). A query ends with the first answer that has no next link:
it held everything from its checkpoint on. `ge` rather than `gt` because the
server's clock has millisecond precision: a record written in the same
millisecond as the watermark but committed after the read would be skipped by
`gt`. Records seen again are recognised by their cached versionId and not
written twice.

On a thin link the wire must never wait: types are fetched on a few threads
(sync/fetch_pipeline.py), each next request is decided from the page alone and
leaves while the calling thread writes that page, and pages are large (a round
trip and the server's query time per page are the cost of small ones).

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
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Connection, Engine

from clinic_tui.domain.untrusted import clean_line
from clinic_tui.offline_cache.store import row_values, upsert_rows
from clinic_tui.offline_cache.tables import RESOURCE_TABLES
from clinic_tui.sync import quarantine
from clinic_tui.sync.cache_io import (
    cached_states,
    keep_server_version,
    now_utc,
    read_watermarks,
    remove_resources,
    save_watermarks,
)
from clinic_tui.sync.client import BundlePage, FhirClient
from clinic_tui.sync.errors import (
    FhirAuthError,
    FhirError,
    FhirNotFoundError,
    FhirResponseError,
    FhirUnreachable,
    HistoryNotSupported,
)
from clinic_tui.sync.fetch_pipeline import Channel, FetchPipeline, JobEnded
from clinic_tui.sync.inbound import RefusedError, admit
from clinic_tui.sync.scope import ScopedQuery, SyncScope
from clinic_tui.sync.unscoped import ignored_parameters, in_clinic_scope, needs_filter
from clinic_tui.sync.versions import etag_version, instant, newest_first, stamped_before

Resource = dict[str, Any]

DEFAULT_PAGE_SIZE = 1000
"""Records per page: on a thin link every page costs a round trip and the server's query
time (sekmet caps _count at 1,000; a server may send fewer and a next link)."""
DOWNLOAD_STREAMS = 3
"""Types fetched at once: one stream's round trip and server time hide behind another's bytes."""
MAX_RESOURCE_BYTES = 4 * 1024 * 1024
"""A single resource larger than this is skipped (a 10 MB Observation would stall thin links)."""
_ID_SHOWN = 80
"""Characters of a refused (perhaps hostile) id kept for the report."""
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
    deletes_unseen: str | None = None
    """Why the server's deletions of this type cannot be seen, when they cannot."""
    left_out: int = 0
    """Records a scoped search brought although outside the clinic's scope: the server said
    it ignored a parameter (sync/unscoped.py), so they were filtered here, not cached."""
    ignored: list[str] = field(default_factory=list)
    """What the server said it ignored in this type's searches (its OperationOutcome)."""


@dataclass
class DownloadResult:
    """What one download round did, per resource type."""

    types: dict[str, TypeDownload] = field(default_factory=dict)
    started_at: str | None = None
    """The server's clock at the first answer: every change after it reached this round."""

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


def earlier_instant(current: str | None, candidate: str | None) -> str | None:
    """The earlier of two FHIR instants (kept as the server wrote it)."""
    new = instant(candidate)
    if new is None:
        return current
    old = instant(current)
    return candidate if old is None or new < old else current


def later_instant(current: str | None, candidate: str | None) -> str | None:
    """The later of two FHIR instants (kept as the server wrote it)."""
    new = instant(candidate)
    if new is None:
        return current
    old = instant(current)
    return candidate if old is None or new > old else current


def _meta(resource: Resource) -> tuple[str | None, str | None]:
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        return None, None
    version, updated = meta.get("versionId"), meta.get("lastUpdated")
    return (
        version if isinstance(version, str) else None,
        updated if isinstance(updated, str) else None,
    )


Checked = tuple[Resource, dict[str, Any]]
"""A resource the cache can store, with its cache row (store.row_values) already made."""


def _check_resource(
    resource_type: str, entry: dict[str, Any], *, check_size: bool = True
) -> Checked | Skipped | None:
    """The resource and its row if the cache can store it, a Skipped if not, None if no match.

    `check_size`: measure the resource (False when the whole page is smaller than the limit).
    """
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
    try:
        # Cleaned, depth-bounded and checked before anything else reads it (sync/inbound.py).
        resource = admit(resource)
    except RefusedError as error:
        return Skipped(resource_type, clean_line(ident, _ID_SHOWN), str(error))
    if check_size:
        size = len(json.dumps(resource, ensure_ascii=False).encode())
        if size > MAX_RESOURCE_BYTES:
            mib = MAX_RESOURCE_BYTES // (1024 * 1024)
            return Skipped(resource_type, ident, f"resource of {size:,} bytes exceeds {mib} MiB")
    try:
        values = row_values(resource)
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        return Skipped(resource_type, ident, f"cannot be cached: {error}")
    return resource, values


# ---- the fetch side: runs on a pipeline thread, touches only the network --------------


@dataclass(frozen=True)
class _Plan:
    """What one type's fetch needs, read from the cache before the threads start."""

    resource_type: str
    queries: list[ScopedQuery]
    watermarks: dict[str, str | None]
    """Watermark of each query (by its key) at the start."""
    deletes_since: str | None
    """_since of the deletes scan; None on the type's first sync (nothing cached to delete)."""


@dataclass(frozen=True)
class _Page:
    """A page fetched for one query, and the query's watermark once it is written."""

    resource_type: str
    key: str
    page: BundlePage
    watermark: str | None


@dataclass(frozen=True)
class Deletes:
    """The end of a type's fetch: deletions found, and where the next scan starts."""

    resource_type: str
    deleted: dict[str, tuple[str | None, str | None]] | None
    """id -> (version, time) of deleted records; None when no scan was needed (or possible)."""
    started_at: str | None
    history_unsupported: str | None = None
    """Why the server's deletions of this type cannot be seen (no type-level _history)."""


def _search_params(query: ScopedQuery, watermark: str | None, page_size: int) -> dict[str, str]:
    params = dict(query.params)
    params.update({"_sort": "_lastUpdated", "_count": str(page_size)})
    if watermark:
        params["_lastUpdated"] = f"ge{watermark}"
    return params


def _newest(resource_type: str, page: BundlePage) -> str | None:
    """The page's latest meta.lastUpdated among its matches (bad records included)."""
    newest: str | None = None
    for entry in page.entries:
        search = entry.get("search")
        if isinstance(search, dict) and search.get("mode") not in (None, "match"):
            continue
        resource = entry.get("resource")
        if isinstance(resource, dict):
            newest = later_instant(newest, _meta(resource)[1])
    return newest


def _fetch_query(
    client: FhirClient,
    resource_type: str,
    query: ScopedQuery,
    watermark: str | None,
    page_size: int,
    channel: Channel,
) -> str | None:
    """Fetch every change since `watermark` for one query; returns the server time at start.

    The next request is decided from the page alone (its newest lastUpdated and its next
    link), so it leaves while the writer is still storing this page.
    """
    key = query.watermark_key
    url: str = resource_type
    params: dict[str, str] | None = _search_params(query, watermark, page_size)
    started_at: str | None = None
    stuck = _SamePageGuard(resource_type)
    for _ in range(MAX_PAGES_PER_TYPE):
        channel.check()
        page = client.bundle_page(url, params)
        started_at = started_at or page.server_time
        _check_order(resource_type, page)
        new_watermark = later_instant(watermark, _newest(resource_type, page))
        channel.put_page(_Page(resource_type, key, page, new_watermark))
        if page.next_url is None:
            # The answer held everything from the checkpoint on: nothing left to ask.
            return started_at
        if new_watermark != watermark:
            # Progress: ask again from the new checkpoint instead of trusting the offset.
            watermark = new_watermark
            url, params = resource_type, _search_params(query, watermark, page_size)
        else:
            # A whole page at the checkpoint instant: step over it.
            stuck.check(page)
            url, params = page.next_url, None
    raise FhirError(f"{resource_type}: more than {MAX_PAGES_PER_TYPE} pages; stopped")


def _deleted_since(
    client: FhirClient, resource_type: str, since: str, page_size: int, channel: Channel
) -> dict[str, tuple[str | None, str | None]]:
    """id -> (version, time) of records whose latest history entry is a deletion.

    HistoryNotSupported when the server answers with something other than a history Bundle.
    """
    seen: dict[str, list[tuple[str, str | None, bool, str | None]]] = {}
    params: dict[str, str] | None = {"_since": since, "_count": str(page_size)}
    url = f"{resource_type}/_history"
    stuck = _SamePageGuard(resource_type)
    for _ in range(MAX_PAGES_PER_TYPE):
        channel.check()
        try:
            page = client.bundle_page(url, params)
        except FhirNotFoundError as error:
            raise HistoryNotSupported(f"{resource_type}/_history: {error}") from error
        if page.bundle_type != "history":
            raise HistoryNotSupported(
                f"{resource_type}/_history answered a {page.bundle_type or 'typeless'} Bundle, "
                "not a history"
            )
        stuck.check(page)
        for entry in page.entries:
            found = history_entry(resource_type, entry)
            if found is not None:
                # Listed newest first; versions are opaque, so only stamps and order rank them.
                seen.setdefault(found[0], []).append(found)
        if page.next_url is None:
            break
        url, params = keep_param(page.next_url, "_since", since), None
    deleted: dict[str, tuple[str | None, str | None]] = {}
    for ident, versions in seen.items():
        _, version, is_delete, when = newest_first(versions, lambda found: found[3])[0]
        if is_delete:
            deleted[ident] = (version, when)
    return deleted


def _fetch_type(client: FhirClient, plan: _Plan, page_size: int, channel: Channel) -> None:
    """A type's searches, then its deletes scan; everything goes to the writer."""
    started_at: str | None = None
    for query in plan.queries:
        began = _fetch_query(
            client,
            plan.resource_type,
            query,
            plan.watermarks[query.watermark_key],
            page_size,
            channel,
        )
        # The earliest start: the deletes scan must not miss anything after it.
        started_at = started_at or began
    deleted = None
    unsupported = None
    if plan.deletes_since is not None:
        try:
            deleted = _deleted_since(
                client, plan.resource_type, plan.deletes_since, page_size, channel
            )
        except HistoryNotSupported as error:
            # The searches still came down; deletions there cannot be seen from here.
            unsupported = str(error)
    channel.put(Deletes(plan.resource_type, deleted, started_at, unsupported))


# ---- the write side: runs on the calling thread, the cache's single writer ------------


class TypeWriter:
    """Stores one type's pages and deletions; keeps what the type's download did."""

    def __init__(
        self,
        engine: Engine,
        resource_type: str,
        watermarks: dict[str, str | None] | None = None,
        *,
        scope: SyncScope | None = None,
        patients_ready: Callable[[], bool] | None = None,
    ) -> None:
        self.engine = engine
        self.resource_type = resource_type
        self.result = TypeDownload(resource_type)
        self.watermarks = dict(watermarks or {})
        """The watermark saved for each query (by key)."""
        self.scope = scope
        """The clinic's scope: a page from a search the server did not honour is filtered."""
        self.patients_ready = patients_ready or (lambda: True)
        """Whether this round's Patients are all cached (an unknown patient is then not ours)."""
        self._held: set[str] = set()
        """Queries whose watermark stays: a record was left for a patient not cached yet."""
        self._skip_keys: set[tuple[str | None, str]] = set()

    def _skip(self, skipped: Skipped) -> None:
        key = (skipped.resource_id, skipped.reason)
        if key not in self._skip_keys:
            self._skip_keys.add(key)
            self.result.skipped.append(skipped)

    def write_page(self, fetched: _Page) -> None:
        """Store what is new in the page and its query's checkpoint, in one transaction."""
        self.result.pages += 1
        for problem in fetched.page.problems:
            self._skip(Skipped(self.resource_type, None, problem))
        skipped_before = len(self.result.skipped)
        fresh = self._fresh(fetched.page.entries, fetched.page.body_bytes)
        with self.engine.begin() as connection:
            if needs_filter(self.scope, self.resource_type, fetched.page):
                fresh = self._in_scope(connection, fresh, fetched)
            self._write(connection, fresh)
            self._remember(connection, fresh, skipped_before)
            held = fetched.key in self._held
            if not held and fetched.watermark != self.watermarks.get(fetched.key):
                save_watermarks(connection, fetched.key, watermark=fetched.watermark)
                self.watermarks[fetched.key] = fetched.watermark

    def _in_scope(
        self, connection: Connection, fresh: list[Checked], fetched: _Page
    ) -> list[Checked]:
        """The records of a page the server did not filter that the clinic's scope holds."""
        assert self.scope is not None  # needs_filter said so
        for said in ignored_parameters(fetched.page):
            if said not in self.result.ignored:
                self.result.ignored.append(said)
        held = set(cached_states(connection, self.resource_type, (r["id"] for r, _ in fresh)))
        kept, unknown = in_clinic_scope(connection, self.scope, [r for r, _ in fresh], held)
        self.result.left_out += kept.count(False)
        if unknown and not self.patients_ready():
            self._held.add(fetched.key)
        return [checked for checked, keep in zip(fresh, kept, strict=True) if keep]

    def write_entries(self, entries: list[dict[str, Any]], body_bytes: int = 0) -> None:
        """Store what is new among entries from elsewhere (the changes feed), no checkpoint."""
        skipped_before = len(self.result.skipped)
        fresh = self._fresh(entries, body_bytes)
        with self.engine.begin() as connection:
            self._write(connection, fresh)
            self._remember(connection, fresh, skipped_before)

    def _remember(self, connection: Connection, fresh: list[Checked], skipped_from: int) -> None:
        """Keep this batch's refusals for `status`; forget those a good version replaced."""
        refused = [
            (skipped.resource_id, skipped.reason)
            for skipped in self.result.skipped[skipped_from:]
            if skipped.resource_id is not None
        ]
        accepted = [resource["id"] for resource, _ in fresh]
        quarantine.update(connection, self.resource_type, refused, accepted, now_utc())

    def _fresh(self, entries: list[dict[str, Any]], body_bytes: int) -> list[Checked]:
        """The entries the cache can store; the others are recorded as skipped.

        `body_bytes`: the size of the answer they came in (0: unknown). A body smaller than
        the limit cannot hold a resource above it, so nothing is measured then.
        """
        check_size = body_bytes == 0 or body_bytes > MAX_RESOURCE_BYTES
        fresh: list[Checked] = []
        for entry in entries:
            checked = _check_resource(self.resource_type, entry, check_size=check_size)
            if checked is None:
                continue
            if isinstance(checked, Skipped):
                # Skipped, and the watermark moves past it: one bad record never blocks the rest.
                self._skip(checked)
                continue
            fresh.append(checked)
        return fresh

    def _write(self, connection: Connection, fresh: list[Checked]) -> int:
        """Store what is new to the cache; returns how many records were new."""
        if not fresh:
            return 0
        states = cached_states(connection, self.resource_type, (r["id"] for r, _ in fresh))
        to_store: list[dict[str, Any]] = []
        kept: list[str] = []
        for resource, values in fresh:
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
            elif state is None or (
                version != state.version_id and not stamped_before(updated_at, state.last_updated)
            ):
                to_store.append(values)
        self.result.written += upsert_rows(connection, self.resource_type, to_store)
        return len(to_store) + len(kept)

    def apply_deletes(self, found: Deletes) -> None:
        """Apply the server's deletes since the last scan; then move the scan position on."""
        if found.history_unsupported is not None:
            self.result.deletes_unseen = found.history_unsupported
        with self.engine.begin() as connection:
            if found.deleted:
                self._remove(connection, found.deleted)
                # A record deleted on the server is no longer refused: nothing left to fix.
                quarantine.update(connection, self.resource_type, [], found.deleted, now_utc())
            if found.started_at is not None:
                save_watermarks(connection, self.resource_type, history_since=found.started_at)

    def _remove(
        self, connection: Connection, deleted: dict[str, tuple[str | None, str | None]]
    ) -> None:
        states = cached_states(connection, self.resource_type, deleted)
        gone: list[str] = []
        for ident, (version, when) in deleted.items():
            state = states.get(ident)
            if state is None:
                continue
            if state.pending and state.version_id is None:
                # A local create, or a record the user chose to keep after this very deletion
                # (a feed may bring a change twice): no server version of it to conflict with.
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
            elif not stamped_before(when, state.last_updated):
                gone.append(ident)
        self.result.removed += remove_resources(connection, self.resource_type, gone)

    def finished(self) -> None:
        """The type came down completely: remember when."""
        with self.engine.begin() as connection:
            save_watermarks(connection, self.resource_type, last_success=now_utc())


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
        try:
            signature = json.dumps(page.entries, sort_keys=True) if page.entries else None
        except RecursionError:
            signature = None  # a hostile entry nested too deep to compare: not a repeat

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
        when = instant(_meta(resource)[1]) if isinstance(resource, dict) else None
        if when is None:
            continue
        if previous is not None and when < previous:
            raise FhirResponseError(
                f"{resource_type}: the server does not sort by _lastUpdated; "
                "an incremental download would skip records"
            )
        previous = when


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def history_entry(
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
    version = etag_version(response.get("etag"))
    if version is None and resource is not None:
        version = _meta(resource)[0]
    when = response.get("lastModified")
    return ident, version, is_delete, when if isinstance(when, str) else None


def keep_param(url: str, name: str, value: str) -> str:
    """`url` with `name=value` added when the server dropped it from a next link."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == name for key, _ in query):
        return url
    return urlunsplit(parts._replace(query=urlencode([*query, (name, value)])))


FETCH_FIRST = ("Observation", "Encounter", "Patient", "MedicationRequest", "Condition")
"""Types that are usually the largest start first, so the longest stream is not the last."""


QueriesFor = Callable[[str], Sequence[ScopedQuery]]
"""The searches that bring one type's records in scope (empty: the whole type)."""


def _plans(engine: Engine, resource_types: Sequence[str], queries_for: QueriesFor) -> list[_Plan]:
    plans = []
    with engine.connect() as connection:
        for resource_type in resource_types:
            if resource_type not in RESOURCE_TABLES:
                raise ValueError(f"the cache does not keep {resource_type} resources")
            queries = list(queries_for(resource_type)) or [ScopedQuery(resource_type)]
            before = read_watermarks(connection, resource_type)
            marks = {
                q.watermark_key: read_watermarks(connection, q.watermark_key).watermark
                for q in queries
            }
            since = before.history_since or before.watermark
            plans.append(_Plan(resource_type, queries, marks, since))
    return plans


def download(
    engine: Engine,
    client: FhirClient,
    resource_types: Iterable[str] | None = None,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    on_page: ProgressCallback | None = None,
    scope: SyncScope | None = None,
    streams: int = DOWNLOAD_STREAMS,
    result: DownloadResult | None = None,
) -> DownloadResult:
    """Download every cached resource type (or those named) in scope into the cache.

    Types come down `streams` at a time, each page written as it arrives. FhirAuthError and
    FhirUnreachable propagate once the pages already fetched are written (nothing else can
    work either), as does whatever `on_page` raises (a cancel); any other FhirError stops
    that type only and is reported in the result. Pages already written stay. Pass `result`
    to keep what was done when an error propagates.
    """
    types = list(RESOURCE_TABLES if resource_types is None else resource_types)
    queries_for: QueriesFor = scope.queries if scope is not None else (lambda _type: ())
    return _download(engine, client, types, queries_for, page_size, on_page, streams, result, scope)


def _download(
    engine: Engine,
    client: FhirClient,
    types: list[str],
    queries_for: QueriesFor,
    page_size: int,
    on_page: ProgressCallback | None,
    streams: int,
    result: DownloadResult | None,
    scope: SyncScope | None = None,
) -> DownloadResult:
    result = result if result is not None else DownloadResult()
    plans = _plans(engine, types, queries_for)
    finished: set[str] = set()
    # Without Patients in this round the cached ones are all there are.
    ready = (lambda: "Patient" in finished) if "Patient" in types else (lambda: True)
    writers = {
        p.resource_type: TypeWriter(
            engine, p.resource_type, p.watermarks, scope=scope, patients_ready=ready
        )
        for p in plans
    }
    for resource_type, writer in writers.items():
        result.types[resource_type] = writer.result
    order = {kind: rank for rank, kind in enumerate(FETCH_FIRST)}
    fatal: FhirError | None = None
    with FetchPipeline(streams) as pipeline:
        for plan in sorted(plans, key=lambda p: order.get(p.resource_type, len(order))):
            pipeline.submit(plan.resource_type, partial(_fetch_type, client, plan, page_size))
        for event in pipeline.events():
            if isinstance(event, _Page):
                result.started_at = earlier_instant(result.started_at, event.page.server_time)
                writer = writers[event.resource_type]
                writer.write_page(event)
                if on_page is not None:
                    on_page(event.resource_type, writer.result)
            elif isinstance(event, Deletes):
                writers[event.resource_type].apply_deletes(event)
            elif isinstance(event, JobEnded):
                writer = writers[event.name]
                if isinstance(event.error, FhirAuthError | FhirUnreachable):
                    fatal = fatal or event.error
                    pipeline.stop()  # the pages already fetched are still written
                elif isinstance(event.error, FhirError):
                    writer.result.error = str(event.error)
                elif event.error is not None:
                    raise event.error  # a bug: never hidden as a sync error
                elif not event.stopped:
                    writer.finished()
                    finished.add(event.name)
    if fatal is not None:
        raise fatal
    return result


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

    `queries` are the searches in scope (default: the whole type). Errors as download().
    """
    fixed = list(queries or ())
    found = _download(
        engine,
        client,
        [resource_type],
        lambda _type: fixed,
        page_size,
        on_page,
        1,
        None,
    )
    return found.types[resource_type]
