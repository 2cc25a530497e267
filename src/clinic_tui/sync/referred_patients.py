"""Patients referred to a clinic by another one, fetched by id after each round's download.

A clinic downloads its own patients (`Patient?organization=`: managingOrganization is the
clinic). A referral to it names a patient another clinic manages: the ServiceRequest
(performer = this clinic) and its Task (owner = this clinic) come down, the Patient does
not, and the triage inbox could not say the patient's sex or age. So after each download a
clinic's round looks for patients those records name that the cache lacks, and asks for
them by id: `Patient?_id=a,b,c` (FHIR R4 search: a comma is OR), BATCH_SIZE ids a request,
written like every downloaded page (sync/download.py TypeWriter).

Coded to the specification, not to one server:
- a server that ignores `_id` answers with patients it was not asked for: that answer is
  dropped (never written, never paged through) and the batch, like the rest of the round's
  batches, is read one id at a time (`GET Patient/<id>`); a server that refuses the search
  (a 4xx) is read one by one too;
- an asked id the search does not return is read on its own (a server may not know the
  comma); a 404 or 410 is remembered in cache_meta with the date and not asked again for
  a day (ASK_AGAIN_AFTER);
- any other refusal of an id is a line in the round's errors; the rest of the round goes on.

The patients once cached are kept current too. Their later edits (a corrected birth
date, a new phone) come down with the changes feed (sync/feed.py), which takes records
the cache holds; the per-type search (`Patient?organization=`) never covers them. So in a
round whose Patients did not come through a complete feed (Patient was searched per
type: no system `_history`, too many changes, a changed scope), the cached referred
patients another clinic manages are asked for what changed since the last complete
refresh: `Patient?_id=<batch>&_lastUpdated=gt<REFRESHED_KEY>`, the same batches, and an
id the answer lacks simply did not change (none is read on its own). The watermark is
the round's first server answer (DownloadResult.started_at) less the feed's
COMMIT_MARGIN, saved only when every batch finished; the first refresh has none and
asks for all of them once. A round whose feed ran complete asks nothing and leaves the
watermark where it was: the next refresh then re-asks the few patients changed since,
which the feed already wrote, and the writer (versions compared) leaves them as they
are. A server that ignores or refuses `_id` here is not read one patient at a time
every round: the refresh stops, one line in the errors says so, and it is tried again
after ASK_AGAIN_AFTER (NO_ID_SEARCH_KEY).

Only the referred patient comes down: its conditions, observations and the rest stay with
its own clinic, in the per-type searches (`patient.organization=`) and in the changes feed
(sync/feed.py) alike. sekmet-fhir 0.1.1 honours `_id=a,b` (and its `next` links when
`_count` is smaller); a deleted patient's read answers 410.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, or_, select, union
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clinic_tui.offline_cache.tables import CacheMeta, PatientRow, ServiceRequestRow, TaskRow
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.download import DownloadResult, ProgressCallback, TypeWriter
from clinic_tui.sync.errors import (
    FhirAuthError,
    FhirError,
    FhirGoneError,
    FhirNotFoundError,
    FhirRequestError,
    FhirUnreachable,
)
from clinic_tui.sync.feed import checkpoint_before
from clinic_tui.sync.versions import instant

BATCH_SIZE = 40
"""Ids per search: 40 ids of up to 64 characters keep the URL under a proxy's 4 KB limit."""
NOT_FOUND_KEY = "referred_patients_not_found"
"""cache_meta: JSON {patient id: when the server last said it has no such patient}."""
ASK_AGAIN_AFTER = timedelta(days=1)
"""A patient the server did not have may be created later (a referral sent before it)."""
REFRESHED_KEY = "referred_patients_refreshed"
"""cache_meta: the server instant the last complete refresh of cached referred patients
started from (their changes after it are asked for)."""
NO_ID_SEARCH_KEY = "referred_patients_no_id_search"
"""cache_meta: JSON {"since": instant, "reason": text} while the server cannot search
patients by id: the refresh is not tried again for ASK_AGAIN_AFTER."""

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
"""FHIR R4 id syntax: anything else cannot be put in a search or a read URL safely."""

_META: Any = CacheMeta.__table__  # type: ignore[attr-defined]
_PATIENT: Any = PatientRow.__table__  # type: ignore[attr-defined]
_REQUEST: Any = ServiceRequestRow.__table__  # type: ignore[attr-defined]
_TASK: Any = TaskRow.__table__  # type: ignore[attr-defined]

Entry = dict[str, Any]


@dataclass
class ReferredFetch:
    """What one round's fetch of referred patients did."""

    asked: list[str] = field(default_factory=list)
    """Patient ids the clinic's referrals name that the cache lacked."""
    written: int = 0
    """Patients written into the cache."""
    not_found: list[str] = field(default_factory=list)
    """Ids the server answered 404 or 410 for (remembered for ASK_AGAIN_AFTER)."""
    read_one_by_one: bool = False
    """The server ignored or refused `_id`: the ids were read one at a time."""
    refreshed: list[str] = field(default_factory=list)
    """Cached referred patients asked for their changes (none when the feed brought them)."""
    refresh_complete: bool = False
    """Every batch of the refresh finished: the watermark moved."""
    no_id_search: bool = False
    """The server cannot search patients by id (now or within the day): no refresh."""
    requests: int = 0
    """Requests made: searches (one per batch) and reads."""
    errors: list[str] = field(default_factory=list)


def _named(clinic_id: str) -> Any:
    """Patient ids the referrals to the clinic name (request performer, Task owner)."""
    return union(
        select(_REQUEST.c.patient_id.label("id")).where(_REQUEST.c.performer_org == clinic_id),
        select(_TASK.c.patient_id.label("id")).where(_TASK.c.owner_org == clinic_id),
    ).subquery()


def referenced_missing(connection: Connection, clinic_id: str) -> list[str]:
    """Patients that referrals to the clinic name (request performer, Task owner), not cached."""
    named = _named(clinic_id)
    rows = connection.execute(
        select(named.c.id)
        .where(named.c.id.is_not(None), named.c.id.not_in(select(_PATIENT.c.id)))
        .order_by(named.c.id)
    )
    return [str(ident) for (ident,) in rows]


def referenced_cached(connection: Connection, clinic_id: str) -> list[str]:
    """Cached patients that referrals to the clinic name and that it does not manage."""
    named = _named(clinic_id)
    organization = _PATIENT.c.organization_id
    rows = connection.execute(
        select(_PATIENT.c.id)
        .where(
            _PATIENT.c.id.in_(select(named.c.id)),
            # The clinic's own come with `Patient?organization=`; one of no clinic does not.
            or_(organization.is_(None), organization != clinic_id),
        )
        .order_by(_PATIENT.c.id)
    )
    return [str(ident) for (ident,) in rows if _FHIR_ID.fullmatch(str(ident))]


def _read_meta(connection: Connection, key: str) -> str | None:
    found = connection.execute(select(_META.c.value).where(_META.c.key == key)).scalar_one_or_none()
    return None if found is None else str(found)


def _save_meta(engine: Engine, key: str, text: str | None) -> None:
    with engine.begin() as connection:
        if text is None:
            connection.execute(delete(_META).where(_META.c.key == key))
            return
        statement = sqlite_insert(_META).values(key=key, value=text)
        connection.execute(
            statement.on_conflict_do_update(index_elements=["key"], set_={"value": text})
        )


def _no_id_search_since(connection: Connection) -> datetime | None:
    """When the server last showed it cannot search patients by id, if it did."""
    text = _read_meta(connection, NO_ID_SEARCH_KEY)
    try:
        value = json.loads(text) if text is not None else None
    except ValueError:
        return None  # a damaged note only costs asking again
    return instant(value.get("since")) if isinstance(value, dict) else None


def _read_not_found(connection: Connection) -> dict[str, str]:
    found = _read_meta(connection, NOT_FOUND_KEY)
    try:
        value = json.loads(found) if found is not None else {}
    except ValueError:
        return {}  # a damaged note only costs asking again
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}


def _save_not_found(engine: Engine, memory: dict[str, str]) -> None:
    _save_meta(engine, NOT_FOUND_KEY, json.dumps(memory, sort_keys=True))


def _recently_not_found(memory: dict[str, str], now: datetime) -> set[str]:
    recent = set()
    for ident, when in memory.items():
        told = instant(when)
        if told is not None and now - told < ASK_AGAIN_AFTER:
            recent.add(ident)
    return recent


def _batches(ids: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _is_match(entry: Entry) -> bool:
    search = entry.get("search")
    return not isinstance(search, dict) or search.get("mode") in (None, "match")


def _patient_id(entry: Entry) -> str | None:
    resource = entry.get("resource")
    if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
        return None
    ident = resource.get("id")
    return ident if isinstance(ident, str) and ident else None


@dataclass
class _Answer:
    """What a batch's search brought: entries to write, and the asked ids among them."""

    entries: list[Entry] = field(default_factory=list)
    returned: set[str] = field(default_factory=set)
    body_bytes: int = 0
    server_time: str | None = None
    """The server's clock at the first page."""


def search_batch(
    client: FhirClient, batch: Sequence[str], changed_after: str | None = None
) -> _Answer | None:
    """`Patient?_id=<batch>`, following next links; None when the server ignored `_id`.

    With `changed_after`, only those changed since (`_lastUpdated=gt<instant>`).
    A page holding a patient that was not asked for means the server ignored the
    parameter (it would page through every patient): nothing of that answer is kept.
    Each page must bring an asked patient not seen yet, so at most len(batch) pages.
    """
    asked = set(batch)
    answer = _Answer()
    url = "Patient"
    params: dict[str, str] | None = {"_id": ",".join(batch), "_count": str(len(batch))}
    if changed_after is not None and params is not None:
        params["_lastUpdated"] = f"gt{changed_after}"
    for _ in range(len(batch)):
        page = client.bundle_page(url, params)
        answer.server_time = answer.server_time or page.server_time
        fresh = False
        for entry in page.entries:
            if not _is_match(entry):
                continue  # an OperationOutcome or an _include
            ident = _patient_id(entry)
            if ident is not None and ident not in asked:
                return None
            if ident is not None and ident not in answer.returned:
                answer.returned.add(ident)
                fresh = True
            answer.entries.append(entry)  # the writer records what it cannot store
        answer.body_bytes = max(answer.body_bytes, page.body_bytes)
        if page.next_url is None or not fresh:
            break
        url, params = page.next_url, None
    return answer


class _BatchWaits(Exception):  # noqa: N818  (control flow)
    """The server failed on a batch's search (5xx, a broken answer): leave it for next round."""


class _Fetcher:
    """One round's fetch: batches, the fall-back to reads, and what each id came to."""

    def __init__(self, client: FhirClient, writer: TypeWriter) -> None:
        self.client = client
        self.writer = writer
        self.done = ReferredFetch()

    def batch(self, batch: list[str]) -> None:
        """Search the batch (unless the server ignores `_id`), then read what it left out."""
        returned: set[str] = set()
        if not self.done.read_one_by_one:
            try:
                answer = self._search(batch)
            except _BatchWaits:
                return  # asked again next round: the ids are still missing then
            if answer is None:
                self.done.read_one_by_one = True
            else:
                self._write(answer.entries, answer.body_bytes)
                returned = answer.returned
        read = [self._read(ident) for ident in batch if ident not in returned]
        self._write([entry for entry in read if entry is not None], 0)

    def refresh(self, batch: list[str], changed_after: str | None) -> _Answer | None:
        """Write the batch's changes; None when the server cannot search patients by id.

        An id the answer lacks did not change: unlike `batch`, nothing is read on its own.
        """
        answer = self._search(batch, changed_after)
        if answer is not None:
            self._write(answer.entries, answer.body_bytes)
        return answer

    def _search(self, batch: list[str], changed_after: str | None = None) -> _Answer | None:
        """The search's answer; None to read one by one; _BatchWaits on a server failure."""
        self.done.requests += 1
        try:
            return search_batch(self.client, batch, changed_after)
        except FhirAuthError as error:
            if error.status == 401:
                raise  # the credentials, not this search: the round cannot go on
            return None  # a server may let a clinic read a patient but not search them
        except FhirRequestError:
            return None  # `_id` refused: plain reads are the part of FHIR every server has
        except FhirUnreachable:
            raise
        except FhirError as error:
            ids = ", ".join(batch)
            self.done.errors.append(f"referred patients {ids} not downloaded: {error}")
            raise _BatchWaits from error

    def _read(self, ident: str) -> Entry | None:
        self.done.requests += 1
        try:
            resource = self.client.read("Patient", ident)
        except (FhirNotFoundError, FhirGoneError):
            self.done.not_found.append(ident)
            return None
        except FhirAuthError as error:
            if error.status == 401:
                raise
            self.done.errors.append(f"referred patient {ident} not downloaded: {error}")
            return None
        except FhirUnreachable:
            raise
        except FhirError as error:
            self.done.errors.append(f"referred patient {ident} not downloaded: {error}")
            return None
        if resource.get("resourceType") != "Patient" or resource.get("id") != ident:
            kind, other = resource.get("resourceType"), resource.get("id")
            self.done.errors.append(
                f"referred patient {ident} not downloaded: the server answered {kind}/{other}"
            )
            return None
        return {"resource": resource}

    def _write(self, entries: list[Entry], body_bytes: int) -> None:
        if entries:
            before = self.writer.result.written
            self.writer.write_entries(entries, body_bytes)
            self.done.written += self.writer.result.written - before


def fetch_referred_patients(
    engine: Engine,
    client: FhirClient,
    clinic_id: str,
    result: DownloadResult | None = None,
    on_page: ProgressCallback | None = None,
    *,
    refresh: bool = False,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> ReferredFetch:
    """Download the patients referred to the clinic that the cache lacks (see the module).

    With `refresh` (the round's Patients did not come through a complete feed), the
    referred patients already cached are asked for their changes too. What is written
    counts in `result`'s Patient download; FhirAuthError (401) and FhirUnreachable
    propagate as the download's do, every other refusal is in `errors`. `on_page` is
    called after each batch (progress, and where a cancel is honoured).
    """
    now = now or datetime.now(UTC)
    with engine.connect() as connection:
        referenced = referenced_missing(connection, clinic_id)
        known = _read_not_found(connection)
        cached = referenced_cached(connection, clinic_id) if refresh else []
    recent = _recently_not_found(known, now)
    writer = TypeWriter(engine, "Patient")
    if result is not None and "Patient" in result.types:
        writer.result = result.types["Patient"]
    fetcher = _Fetcher(client, writer)
    done = fetcher.done
    for ident in referenced:
        if ident in recent:
            continue
        if _FHIR_ID.fullmatch(ident):
            done.asked.append(ident)
        else:
            done.errors.append(f"a referral names the patient {ident!r}, which is not a FHIR id")
    try:
        for batch in _batches(done.asked, batch_size):
            fetcher.batch(batch)
            if on_page is not None:
                on_page("Patient", writer.result)
        if cached:
            started = result.started_at if result is not None else None
            _refresh(engine, fetcher, cached, started, batch_size, on_page, now)
    finally:
        # Whatever came through before a cut link is remembered all the same.
        memory = {**known, **dict.fromkeys(done.not_found, now.isoformat())}
        with engine.connect() as connection:
            still_missing = set(referenced_missing(connection, clinic_id))
        # Only ids still named and missing are kept: the note never grows without bound.
        memory = {ident: when for ident, when in memory.items() if ident in still_missing}
        if memory != known:
            _save_not_found(engine, memory)
        if result is not None and (writer.result.written or writer.result.skipped):
            # Pages stay 0: this is no scan of the type (its deletes note must not change).
            result.types.setdefault("Patient", writer.result)
    return done


def _refresh(
    engine: Engine,
    fetcher: _Fetcher,
    cached: list[str],
    started: str | None,
    batch_size: int,
    on_page: ProgressCallback | None,
    now: datetime,
) -> None:
    """Ask the cached referred patients for their changes since the last complete refresh."""
    done = fetcher.done
    with engine.connect() as connection:
        changed_after = _read_meta(connection, REFRESHED_KEY)
        told = _no_id_search_since(connection)
    if told is not None and now - told < ASK_AGAIN_AFTER:
        done.no_id_search = True  # said in the round it was found out; asked again tomorrow
        return
    if done.read_one_by_one:
        # This round's fetch already found it out: no search of the refresh would do better.
        _cannot_search_by_id(engine, done, now)
        return
    done.refreshed = list(cached)
    finished = True
    for batch in _batches(cached, batch_size):
        try:
            answer = fetcher.refresh(batch, changed_after)
        except _BatchWaits:
            finished = False  # in the errors; the watermark stays, so it is asked again
            continue
        if answer is None:
            _cannot_search_by_id(engine, done, now)
            return
        # A server without a Date header: this refresh's own first answer is as good.
        started = started or answer.server_time
        if on_page is not None:
            on_page("Patient", fetcher.writer.result)
    if told is not None:
        _save_meta(engine, NO_ID_SEARCH_KEY, None)  # the server was upgraded
    watermark = checkpoint_before(started)
    if finished and watermark is not None:
        _save_meta(engine, REFRESHED_KEY, watermark)
        done.refresh_complete = True


def _cannot_search_by_id(engine: Engine, done: ReferredFetch, now: datetime) -> None:
    """Stop the refresh for the day: reading each cached patient every round costs too much."""
    done.no_id_search = True
    reason = "the server cannot search patients by id (Patient?_id=)"
    note = json.dumps({"since": now.isoformat(), "reason": reason}, sort_keys=True)
    _save_meta(engine, NO_ID_SEARCH_KEY, note)
    done.errors.append(f"referred patients' changes not downloaded: {reason}; asked again in a day")
