"""One sync round: download, merge what the download kept aside, upload; one at a time per cache.

The download comes first so that the upload's If-Match meets the newest server
versions the merge has seen; versions the upload confirms are written back, so
no second download is needed. A clinic's download ends with the patients other
clinics referred to it that the cache lacks, asked for by id, and (when Patients
did not come through a complete feed) those it holds, asked what changed
(sync/referred_patients.py), before the feed's checkpoint is saved. When the
changes feed (sync/feed.py) can be asked, its one request and the upload go at
the same time instead, and the feed is written after the upload: If-Match keeps
that order safe, and a small round costs one round trip less. Progress goes to a
callback (pages, bundles) and a `cancel` event is honoured between pages and
bundles. Nothing here imports Textual.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, case, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clinic_tui.domain import pinyin
from clinic_tui.domain.models import Clinic
from clinic_tui.i18n import tr
from clinic_tui.offline_cache.cache_file import LAST_SYNC_KEY
from clinic_tui.offline_cache.tables import RESOURCE_TABLES, CacheMeta, OutboxEntry
from clinic_tui.referral.store import ReferralStore
from clinic_tui.sync import feed, history, quarantine, referred_patients
from clinic_tui.sync.audit_upload import SEND_AFTER, audit_due, upload_audit_events
from clinic_tui.sync.cache_io import now_utc
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.download import (
    DEFAULT_PAGE_SIZE,
    DownloadResult,
    ProgressCallback,
    TypeDownload,
    download,
)
from clinic_tui.sync.errors import FhirAuthError, FhirError, FhirUnreachable, HistoryNotSupported
from clinic_tui.sync.scope import SyncScope, remember_clinic, resolve_scope
from clinic_tui.sync.sync_lock import SyncBusyError, SyncLock
from clinic_tui.sync.upload import MergeWithRemote, Uploader, UploadProgress, UploadResult
from clinic_tui.sync.upload_plan import BatchSizer, ResourceKey

__all__ = [
    "SyncBusyError",
    "SyncEngine",
    "SyncProgress",
    "SyncReport",
    "SyncStatus",
    "sync_status",
]


BUNDLE_SIZE_KEY = "upload_bundle_size"
"""cache_meta key: the bundle size the last upload reached, where the next one starts."""
BUNDLE_CAP_KEY = "upload_bundle_cap"
"""cache_meta key prefix (+ " " + server URL): the most entries that server takes in a bundle."""

_META: Any = CacheMeta.__table__  # type: ignore[attr-defined]
_OUTBOX: Any = OutboxEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SyncProgress:
    """A step of a running sync, for a progress bar or the sync badge."""

    phase: str
    """'download', 'merge', 'upload' or 'done'."""
    resource_type: str | None
    done: int
    total: int | None
    message: str


@dataclass(frozen=True)
class SyncReport:
    """What a sync round did, and what still waits for a person."""

    uploaded: int
    """Local creates and updates the server confirmed."""
    downloaded: int
    """Server records written into the cache."""
    deleted: int
    """Records deleted: server deletes applied here plus local deletes the server confirmed."""
    conflicts: int
    """Open conflicts after the round (waiting for a person)."""
    rejected: int
    """Quarantined changes after the round (the server refused them)."""
    errors: list[str]
    finished_at: str
    complete: bool
    """True when everything is in sync: no errors, conflicts or rejected changes left."""


@dataclass(frozen=True)
class SyncStatus:
    """The cache's sync state, for `clinic-tui status` and the badge."""

    last_sync: str | None
    pending: int
    """Records with changes waiting to be uploaded."""
    quarantined: int
    """Records with changes the server refused."""
    conflicts: int
    records: dict[str, int] = field(default_factory=dict)
    """Cached records per FHIR resource type."""
    notes: list[str] = field(default_factory=list)
    """What the server cannot do that the user should know (no _history, ...)."""
    refused: list[quarantine.Refusal] = field(default_factory=list)
    """Server records the download refused (not cached), newest first, with the reason."""


class _Cancelled(Exception):  # noqa: N818  (control flow)
    """The cancel event was set; stop between pages."""


@dataclass(frozen=True)
class ConflictHooks:
    """The merge helper's functions, found at run time (see conflict_hooks)."""

    merge_with_remote: MergeWithRemote | None = None
    merge_kept_aside: Callable[[Engine], object] | None = None
    open_conflicts: Callable[[Engine], Iterable[ResourceKey]] | None = None
    count: Callable[[Engine], int] | None = None


def conflict_hooks() -> ConflictHooks:
    """The merge and conflict functions of offline_cache.conflicts, when that module exists."""
    try:
        conflicts = importlib.import_module("clinic_tui.offline_cache.conflicts")
    except ImportError:
        return ConflictHooks()
    store = getattr(conflicts, "ConflictStore", None)

    def open_conflicts(engine: Engine) -> list[ResourceKey]:
        assert store is not None
        return [(c.resource_type, c.resource_id) for c in store(engine).list()]

    def count(engine: Engine) -> int:
        assert store is not None
        return int(store(engine).count())

    return ConflictHooks(
        merge_with_remote=getattr(conflicts, "merge_with_remote", None),
        merge_kept_aside=getattr(conflicts, "merge_kept_aside", None),
        open_conflicts=open_conflicts if store is not None else None,
        count=count if store is not None else None,
    )


def _save_meta(engine: Engine, key: str, value: str) -> None:
    with engine.begin() as connection:
        statement = sqlite_insert(_META).values(key=key, value=value)
        connection.execute(
            statement.on_conflict_do_update(index_elements=["key"], set_={"value": value})
        )


def _stored_size(engine: Engine, default: int, key: str = BUNDLE_SIZE_KEY) -> int:
    """The bundle size the link carried last time (a new SyncEngine per round keeps it)."""
    with engine.connect() as connection:
        found = connection.execute(
            select(_META.c.value).where(_META.c.key == key)
        ).scalar_one_or_none()
    return int(found) if found is not None and str(found).isdigit() and int(found) > 0 else default


def _quarantined(engine: Engine) -> int:
    with engine.connect() as connection:
        found = connection.execute(
            select(func.count()).select_from(_OUTBOX).where(_OUTBOX.c.state == "quarantined")
        ).scalar_one()
    return int(found)


class SyncEngine:
    """Runs sync rounds between one cache and one FHIR server."""

    def __init__(
        self,
        engine: Engine,
        client: FhirClient,
        *,
        clinic_id: str | None = None,
        encounter_days: int | None = None,
        scope: SyncScope | None = None,
        resource_types: Iterable[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        sizer: BatchSizer | None = None,
        hooks: ConflictHooks | None = None,
        audit_send_after: timedelta = SEND_AFTER,
    ) -> None:
        self.engine = engine
        self.client = client
        self.clinic_id = clinic_id
        """The clinic whose data is in scope; None = the cache's own clinic, else everything."""
        self.encounter_days = encounter_days
        """Days of encounters a clinic downloads (None: scope.DEFAULT_ENCOUNTER_DAYS)."""
        self.scope = scope
        """An explicit scope (overrides clinic_id); None = resolved at each run."""
        self.resource_types = list(resource_types or RESOURCE_TABLES)
        self.page_size = page_size
        self._learn_size = sizer is None
        self.sizer = sizer or BatchSizer()
        """Kept across rounds, so a continuous sync remembers what the link can carry."""
        self.hooks = hooks if hooks is not None else conflict_hooks()
        self.audit_send_after = audit_send_after
        """How long an audit record may wait before a round sends the trail (0: every round)."""

    def run(
        self,
        progress: Callable[[SyncProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> SyncReport:
        """One round; FhirAuthError, FhirUnreachable (nothing done) or SyncBusyError if it can't."""
        with SyncLock(self.engine) as lock:
            scope = self.scope or resolve_scope(self.engine, self.clinic_id, self.encounter_days)
            if scope.clinic_id:
                # The cache downloads this clinic's records from now on: it says so itself,
                # whatever names the clinic when it is next opened (charts, the next round).
                remember_clinic(self.engine, scope.clinic_id)
            return _Round(self, lock, progress, cancel, scope).run()


class _Round:
    """The state of one sync round."""

    def __init__(
        self,
        owner: SyncEngine,
        lock: SyncLock,
        progress: Callable[[SyncProgress], None] | None,
        cancel: threading.Event | None,
        scope: SyncScope,
    ) -> None:
        self.owner = owner
        self.scope = scope
        self.engine = owner.engine
        self.lock = lock
        self.progress = progress
        self.cancel = cancel
        self.errors: list[str] = []
        self.cancelled = False
        self.download_stopped = False
        """The link failed during the download: no upload in this round."""
        self.early_upload: UploadResult | None = None
        """The upload that ran beside the changes feed's request, if one did."""

    def _tell(self, phase: str, kind: str | None, done: int, total: int | None, text: str) -> None:
        self.lock.refresh()
        if self.progress is not None:
            self.progress(SyncProgress(phase, kind, done, total, text))

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise _Cancelled

    def run(self) -> SyncReport:
        fetched = self._download()
        upload = self.early_upload or UploadResult()
        if not self.cancelled and not self.download_stopped and upload.finished:
            self._merge_kept_aside()
            self._receive_arrived_referrals()
            upload = upload.followed_by(self._upload())
            if upload.finished and not self.cancelled:
                self._send_audit_trail()
        self.errors.extend(fetched.errors)
        self.errors.extend(
            f"{s.resource_type}/{s.resource_id}: {s.reason}" for s in fetched.skipped
        )
        self.errors.extend(upload.errors)
        hooks = self.owner.hooks
        conflicts = hooks.count(self.engine) if hooks.count else upload.conflicts
        rejected = _quarantined(self.engine)
        finished_at = now_utc()
        reached_end = not self.cancelled and not self.download_stopped and upload.finished
        if reached_end and not fetched.errors:
            # Every type came down and every change went up (some may wait for a person).
            _save_meta(self.engine, LAST_SYNC_KEY, finished_at)
        report = SyncReport(
            uploaded=upload.uploaded,
            downloaded=fetched.written,
            deleted=fetched.removed + upload.deleted,
            conflicts=conflicts,
            rejected=rejected,
            errors=list(self.errors),
            finished_at=finished_at,
            complete=reached_end and not self.errors and conflicts == 0 and rejected == 0,
        )
        self._tell("done", None, 1, 1, "cancelled" if self.cancelled else "finished")
        return report

    def _send_audit_trail(self) -> None:
        """The audit records kept here go up once the changes they record have."""
        if not audit_due(self.engine, datetime.now(UTC), self.owner.audit_send_after):
            return
        try:
            sent = upload_audit_events(self.engine, self.owner.client)
        except FhirUnreachable as error:
            self.errors.append(f"audit trail not sent: {error}")
            return
        self.errors.extend(sent.errors)

    def _download(self) -> DownloadResult:
        result = DownloadResult()
        pages = 0

        def on_page(resource_type: str, so_far: TypeDownload) -> None:
            nonlocal pages
            pages += 1
            # The kind of record is the progress's own field, shown in words by whoever draws it.
            text = tr("page {page}, {count} new").format(page=so_far.pages, count=so_far.written)
            self._tell("download", resource_type, pages, None, text)
            self._check_cancel()

        try:
            self._check_cancel()
            self._download_changes(result, on_page)
        except _Cancelled:
            self.cancelled = True
        except FhirAuthError:
            raise
        except FhirUnreachable as error:
            went_up = self.early_upload is not None and self.early_upload.round_trips > 0
            if pages == 0 and not went_up:
                raise  # nothing came through at all: the caller says "could not sync"
            self.errors.append(f"download stopped: {error}")
            self.download_stopped = True
        return result

    def _download_changes(self, result: DownloadResult, on_page: ProgressCallback) -> None:
        """The changes feed when it can tell everything, else (or also) per-type searches."""
        types = list(self.owner.resource_types)
        fingerprint = feed.scope_fingerprint(self.scope, types)
        since = feed.read_checkpoint(self.engine, fingerprint)
        outcome = None
        if since is not None and history.system_history_worth_asking(self.engine):
            fetched = self._fetch_feed_beside_upload(since, types)
            if fetched is not None:
                history.forget_no_system_history(self.engine)
            if fetched is not None and fetched.complete:
                outcome = feed.apply_feed(
                    self.engine,
                    fetched,
                    types,
                    self.scope,
                    result,
                    on_page,
                    _written_by(self.early_upload),
                )
        to_search = types if outcome is None else outcome.search_types
        if to_search:
            download(
                self.engine,
                self.owner.client,
                to_search,
                page_size=self.owner.page_size,
                on_page=on_page,
                scope=self.scope,
                result=result,
            )
        # Patients not brought by a complete feed: the referred ones held here are refreshed.
        self._fetch_referred_patients(result, on_page, refresh="Patient" in to_search)
        history.remember_unseen_deletes(self.engine, result)
        if result.errors:
            return  # the old checkpoint stays true; the next round searches again
        if outcome is not None:
            checkpoint = outcome.next_checkpoint
            if checkpoint is not None:
                feed.advance_watermarks(self.engine, self.scope, types, checkpoint)
        else:
            checkpoint = feed.checkpoint_before(result.started_at)
        if checkpoint is not None:
            feed.save_checkpoint(self.engine, checkpoint, fingerprint)

    def _fetch_referred_patients(
        self, result: DownloadResult, on_page: ProgressCallback, *, refresh: bool
    ) -> None:
        """Patients another clinic referred here: the scope's searches leave them out."""
        clinic = self.scope.clinic_id
        if clinic is None or "Patient" not in self.owner.resource_types:
            return  # an unscoped cache already holds every patient
        fetched = referred_patients.fetch_referred_patients(
            self.engine, self.owner.client, clinic, result, on_page, refresh=refresh
        )
        # Reported, but no reason to search every type again: the checkpoint still holds.
        self.errors.extend(fetched.errors)

    def _fetch_feed_beside_upload(self, since: str, types: list[str]) -> feed.FetchedFeed | None:
        """The feed's request, with the pending changes going up at the same time.

        Safe in either order: every update carries If-Match, so a change the feed is about
        to bring makes the server refuse (412) and the uploader merges as it always does;
        the feed is written only after the upload, and a version older than the one the
        upload wrote back never replaces it. One round trip less than download-then-upload,
        which on a thin link is most of a small round. None when the feed cannot be read.
        """
        upload = self._start_upload() if _fresh_changes_only(self.engine) else None
        fetched: feed.FetchedFeed | None = None
        try:
            fetched = feed.fetch_feed(self.owner.client, since, types)
            if upload is not None and not upload.done() and fetched.writes_patients:
                # Writing a Patient first loads the pinyin tables; do it while the bundle
                # is still on the wire rather than after.
                threading.Thread(target=pinyin.warm_up, name="pinyin-warm-up", daemon=True).start()
        except (FhirAuthError, FhirUnreachable):
            raise
        except HistoryNotSupported as error:
            # Said once in `status`, and not asked again for a while: per-type searches.
            history.remember_no_system_history(self.engine, str(error))
            fetched = None
        except FhirError:
            # A server without system history, or a broken answer: nothing was written, and
            # the per-type searches bring everything; not an error of the round.
            fetched = None
        finally:
            failure = self._await_upload(upload)
        if failure is not None:
            raise failure
        return fetched

    def _start_upload(self) -> Future[UploadResult]:
        pool = ThreadPoolExecutor(1, thread_name_prefix="fhir-upload")
        try:
            return pool.submit(self._upload)
        finally:
            pool.shutdown(wait=False)

    def _await_upload(self, upload: Future[UploadResult] | None) -> BaseException | None:
        """Wait for the early upload; what it raised is returned, for after the feed."""
        if upload is None:
            return None
        try:
            self.early_upload = upload.result()
        except BaseException as error:  # re-raised by the caller once the feed is done
            return error
        return None

    def _receive_arrived_referrals(self) -> None:
        """Referrals that reached this clinic become "received", and go up in this round."""
        clinic = self.scope.clinic_id
        if clinic is None:
            return  # an unscoped cache is nobody's inbox
        store = ReferralStore(self.engine, Clinic(id=clinic, name=""))
        received = store.receive_arrived(datetime.now(UTC))
        if received:
            self._tell(
                "merge",
                "Task",
                received,
                received,
                tr("{count} referrals received").format(count=received),
            )

    def _merge_kept_aside(self) -> None:
        merge = self.owner.hooks.merge_kept_aside
        if merge is None:
            return
        self._tell("merge", None, 0, None, tr("merging server versions kept aside"))
        summary = merge(self.engine)
        self.errors.extend(str(error) for error in getattr(summary, "errors", None) or [])

    def _upload(self) -> UploadResult:
        hooks = self.owner.hooks

        def on_bundle(step: UploadProgress) -> None:
            text = tr("{done} of {total} changes, {bundles} bundles").format(
                done=step.done, total=step.total, bundles=step.bundles
            )
            self._tell("upload", None, step.done, step.total, text)

        open_conflicts = None
        if hooks.open_conflicts is not None:
            finder = hooks.open_conflicts

            def open_conflicts() -> Iterable[ResourceKey]:
                return finder(self.engine)

        sizer = self.owner.sizer
        cap_key = f"{BUNDLE_CAP_KEY} {self.owner.client.base_url}"
        cap = _stored_size(self.engine, sizer.maximum, cap_key)
        if cap < sizer.maximum:
            sizer.capped(cap * 2)  # what this server refused before is never sent again
        if self.owner._learn_size:
            sizer.size = min(_stored_size(self.engine, sizer.size), sizer.maximum)
        uploader = Uploader(
            self.engine,
            self.owner.client,
            merge=hooks.merge_with_remote,
            open_conflicts=open_conflicts,
            sizer=self.owner.sizer,
            progress=on_bundle,
            cancel=self.cancel,
        )
        result = uploader.run()
        if self.owner._learn_size and result.round_trips:
            _save_meta(self.engine, BUNDLE_SIZE_KEY, str(self.owner.sizer.size))
        if sizer.maximum < cap:
            _save_meta(self.engine, cap_key, str(sizer.maximum))
        self.cancelled = self.cancelled or result.cancelled
        return result


def _written_by(upload: UploadResult | None) -> dict[ResourceKey, feed.WrittenHere]:
    """What an upload that ran beside the feed wrote: the feed must not undo it."""
    if upload is None:
        return {}
    written = {key: feed.WrittenHere(version) for key, version in upload.confirmed.items()}
    written.update({key: feed.WrittenHere(None, deleted=True) for key in upload.gone})
    return written


def _fresh_changes_only(engine: Engine) -> bool:
    """True when changes wait and none was sent before without a definite answer.

    A change whose answer was lost may already be on the server: the feed, written and
    merged first, settles it without a request, where an early upload would spend a
    bundle on a 412 (and on a flaky link every bundle is another chance to fail).
    """
    with engine.connect() as connection:
        pending, in_doubt = connection.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((_OUTBOX.c.attempts > 0, 1), else_=0)), 0),
            ).where(_OUTBOX.c.state == "pending")
        ).one()
    return bool(pending) and not in_doubt


def sync_status(engine: Engine, hooks: ConflictHooks | None = None) -> SyncStatus:
    """Last successful sync, outbox counts, conflicts and cached records per type."""
    hooks = hooks if hooks is not None else conflict_hooks()
    with engine.connect() as connection:
        last = connection.execute(
            select(_META.c.value).where(_META.c.key == LAST_SYNC_KEY)
        ).scalar_one_or_none()
        # Records, not entries: one record changed five times is one change to upload.
        records_by_state = select(
            _OUTBOX.c.state, _OUTBOX.c.resource_type, _OUTBOX.c.resource_id
        ).distinct()
        per_state = records_by_state.subquery()
        states: dict[str, int] = dict(
            connection.execute(
                select(per_state.c.state, func.count()).group_by(per_state.c.state)
            ).all()
        )
        records = {}
        for resource_type, row in RESOURCE_TABLES.items():
            table = row.__table__  # type: ignore[attr-defined]
            records[resource_type] = int(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
    return SyncStatus(
        last_sync=last,
        pending=int(states.get("pending", 0)),
        quarantined=int(states.get("quarantined", 0)),
        conflicts=hooks.count(engine) if hooks.count else 0,
        records=records,
        notes=history.history_notes(engine),
        refused=quarantine.refusals(engine),
    )
