"""Fill an empty cache with a demo township clinic, deterministically for (patients, seed, now).

Each patient draws from a Random seeded by the master Random(seed), so a patient's
records never depend on which process builds them: a large clinic is built by worker
processes in chunks, a small one in process, and both write identical rows.
Demo data goes only into an empty cache: a second run on the same cache is refused
(CacheError, nothing changed) rather than mixing two clinics, or duplicating one, in
a clinician's queue. `make demo` only runs it when the cache file does not exist.
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import pickle
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clinic_tui.demo.context import DemoContext, DemoRandom, reference
from clinic_tui.demo.follow_ups import build_follow_ups, enrols, programmes_of
from clinic_tui.demo.history_years import (
    DEFAULT_HISTORY_YEARS,
    MAX_PATIENTS,
    history_years_problem,
)
from clinic_tui.demo.people import (
    PatientFacts,
    build_organizations,
    build_patient,
    build_practitioners,
)
from clinic_tui.demo.queue import QueueCandidate, build_queue, queue_size
from clinic_tui.demo.records import build_history
from clinic_tui.demo.referral_summary import referral_summary
from clinic_tui.demo.referrals import build_hospital_side, inbox_size
from clinic_tui.domain.fhir import Resource
from clinic_tui.errors import CacheError
from clinic_tui.followup.model import Programme
from clinic_tui.i18n import tr
from clinic_tui.offline_cache.store import (
    BulkRows,
    bulk_insert_resources,
    bulk_load,
    bulk_rows,
    indexes_built_after,
    insert_bulk_rows,
)
from clinic_tui.offline_cache.tables import RESOURCE_TABLES, CacheMeta


@dataclass(frozen=True)
class DemoSummary:
    """What was written: reads like '2,000 patients, 31 in today's queue, 48,210 records'."""

    patients: int
    queue: int
    records: int
    clinic_id: str
    clinic_name: str

    def __str__(self) -> str:
        return (
            f"{self.patients:,} patients, {self.queue} in today's queue, {self.records:,} records"
        )


def _with_meta(resource: Resource, meta: dict[str, str]) -> Resource:
    return {
        "resourceType": resource["resourceType"],
        "id": resource["id"],
        "meta": meta,
        **resource,
    }


class DemoClinic:
    """The demo township clinic for one (patients, seed, now); resources() streams its records.

    `history_years`: how many years of past visits each patient has (default 2); from 2 up the
    last two years are the same records, so more years only add older ones. `registries`:
    enrol the patients with hypertension or diabetes and give them a year of 随访
    (demo/follow_ups.py); their records come from Randoms of their own, so without them every
    other record is the same.
    """

    def __init__(
        self,
        *,
        patients: int,
        seed: int,
        now: datetime,
        id_stamp: int | None = None,
        history_years: int = DEFAULT_HISTORY_YEARS,
        registries: bool = True,
    ) -> None:
        if patients < 1:
            raise ValueError("a demo clinic needs at least one patient")
        problem = history_years_problem(history_years)
        if problem is not None:
            raise ValueError(f"history_years: {problem}")
        self.history_years = history_years
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be an aware datetime (local time with its offset)")
        # Ids carry a rising stamp: the clinic's first, then one per patient, then the queue.
        # A fixed id_stamp makes ids independent of `now` (seeding a server twice updates).
        self._stamp = int(now.timestamp() * 1000) - patients - 2 if id_stamp is None else id_stamp
        master = DemoRandom(seed, self._stamp)
        self.township, self.county, self.city = build_organizations(master)
        self.staff, self.specialists = build_practitioners(master)
        # As if the county's server had sent every record: version 1, not pending upload.
        meta = {"versionId": "1", "lastUpdated": now.isoformat(timespec="seconds")}
        self.township, self.county, self.city = (
            _with_meta(org, meta) for org in (self.township, self.county, self.city)
        )
        self.staff = [_with_meta(person, meta) for person in self.staff]
        self.specialists = [_with_meta(person, meta) for person in self.specialists]
        self.context = DemoContext(
            now=now,
            township=reference(self.township, self.township["name"]),
            county=reference(self.county, self.county["name"]),
            city=reference(self.city, self.city["name"]),
            doctors=tuple(
                reference(doctor, doctor["name"][0]["text"]) for doctor in self.staff[:4]
            ),
            meta=meta,
        )
        self.patients = patients
        self._patient_seeds = [master.getrandbits(64) for _ in range(patients)]
        self._queue_seed = master.getrandbits(64)
        self.queue_size = queue_size(master, patients)
        self._queue_order = master.sample(range(patients), self.queue_size)
        self._in_queue = frozenset(self._queue_order)
        self.registries = registries
        """Whether patients are enrolled in the chronic-disease programmes (demo/follow_ups)."""
        self.urgent_index = self._first_enrolled_with_hypertension() if registries else None
        # The hospital's side has a Random of its own: the township's records stay as they were.
        hospital_rng = DemoRandom(seed ^ _HOSPITAL_SEED, self._stamp)
        referred = [
            self._patient_with_history(index)
            for index in range(min(patients, inbox_size(patients) // 2))
        ]
        self.hospital_side = build_hospital_side(
            hospital_rng,
            self.context,
            self.county,
            referred,
            patients,
            history_years=history_years,
        )

    def _follow_up_rng(self, index: int) -> DemoRandom:
        """The patient's follow-up Random: a stream of its own, so the registries change no
        other record of the demo clinic."""
        return DemoRandom(self._patient_seeds[index] ^ _FOLLOW_UP_SEED, self._stamp + 1 + index)

    def _first_enrolled_with_hypertension(self) -> int | None:
        """The patient whose last 随访 shows an urgent sign: the first enrolled in the
        hypertension programme (None if none of the first few hundred is)."""
        for index in range(min(self.patients, 400)):
            rng = DemoRandom(self._patient_seeds[index], self._stamp + 1 + index)
            _patient, facts = build_patient(rng, self.context)
            chronic = build_history(rng, self.context, facts, self.history_years).chronic
            if Programme.HYPERTENSION in programmes_of(facts, chronic) and enrols(
                self._follow_up_rng(index), facts, chronic
            ):
                return index
        return None

    def _patient_with_history(self, index: int) -> tuple[PatientFacts, list[Resource]]:
        """Patient `index`'s facts and records, drawn as patient_resources draws them."""
        rng = DemoRandom(self._patient_seeds[index], self._stamp + 1 + index)
        _patient, facts = build_patient(rng, self.context)
        history = build_history(rng, self.context, facts, self.history_years)
        if not self.registries:
            return facts, history.resources
        # The chart a referral's summary is written from includes the chronic follow-ups.
        registry = build_follow_ups(
            self._follow_up_rng(index),
            self.context,
            facts,
            history.resources,
            history.chronic,
            urgent=index == self.urgent_index,
        )
        extra = registry.resources if registry is not None else []
        return facts, [*history.resources, *extra]

    def _township_fixed(self) -> list[Resource]:
        """The organizations and their staff, the hospital's departments, experts and inbox."""
        return [
            self.township,
            self.county,
            self.city,
            *self.staff,
            *self.specialists,
            *self.hospital_side.fixed(),
            *self.hospital_side.records,
        ]

    def fixed_resources(self) -> list[Resource]:
        """Every record besides the township's patients: _township_fixed, and the records
        the other townships keep of the patients they referred (a server holds those)."""
        return [*self._township_fixed(), *self.hospital_side.elsewhere]

    def cached_fixed_resources(self) -> list[Resource]:
        """What the township's cache holds of fixed_resources: not the other townships'
        records (its sync never downloads them), only the types the cache keeps."""
        return [r for r in self._township_fixed() if r["resourceType"] in RESOURCE_TABLES]

    def patient_resources(
        self, start: int, stop: int, candidates: dict[int, QueueCandidate]
    ) -> Iterator[Resource]:
        """Patients start..stop-1 with their records; notes those in today's queue in
        `candidates`."""
        context = self.context
        for index in range(start, stop):
            rng = DemoRandom(self._patient_seeds[index], self._stamp + 1 + index)
            patient, facts = build_patient(rng, context)
            history = build_history(rng, context, facts, self.history_years)
            follow_ups: list[Resource] = []
            if self.registries:
                registry = build_follow_ups(
                    self._follow_up_rng(index),
                    context,
                    facts,
                    history.resources,
                    history.chronic,
                    urgent=index == self.urgent_index,
                )
                if registry is not None:
                    follow_ups = registry.resources
                    # Before anything is yielded: a consumer turns each record into a row
                    # as it comes, so a summary restated later would be lost.
                    _restate_referral_summaries(history.resources, follow_ups)
            yield patient
            yield from history.resources
            yield from follow_ups
            if index in self._in_queue:
                candidates[index] = QueueCandidate(facts.ref, facts.age, history.chronic)

    def queue_resources(self, candidates: dict[int, QueueCandidate]) -> list[Resource]:
        """Today's registrations, given the queue candidates noted by patient_resources."""
        ordered = [candidates[index] for index in self._queue_order]
        queue_rng = DemoRandom(self._queue_seed, self._stamp + self.patients + 1)
        return build_queue(queue_rng, self.context, ordered)

    def resources(self) -> Iterator[Resource]:
        """Every resource: organizations, staff, each patient with their records, today's queue."""
        candidates: dict[int, QueueCandidate] = {}
        yield from self.fixed_resources()
        yield from self.patient_resources(0, self.patients, candidates)
        yield from self.queue_resources(candidates)

    def row_batches(self, workers: int) -> Iterator[BulkRows]:
        """The same records as resources(), as cache rows built by `workers` processes."""
        for rows, _done in self.row_batches_with_progress(workers):
            yield rows

    def row_batches_with_progress(self, workers: int) -> Iterator[tuple[BulkRows, int]]:
        """row_batches, each with the number of patients whose rows have come so far."""
        yield bulk_rows(self.cached_fixed_resources()), 0
        candidates: dict[int, QueueCandidate] = {}
        chunks = [
            (start, min(start + _CHUNK, self.patients)) for start in range(0, self.patients, _CHUNK)
        ]
        # fork starts workers in milliseconds with the clinic already in memory; elsewhere
        # (macOS, Windows) fork is unsafe or absent and spawn re-imports then unpickles it.
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        with ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_start_worker,
            initargs=(self,),
        ) as pool:
            # A bounded window of chunks in flight keeps memory flat when inserting lags;
            # a worker that dies raises BrokenProcessPool here instead of hanging.
            pending: deque[tuple[int, Future[bytes]]] = deque()
            for start, stop in chunks:
                pending.append((stop, pool.submit(_chunk_rows, start, stop)))
                if len(pending) > 2 * workers:
                    done, future = pending.popleft()
                    rows, found = _unpickle_chunk(future.result())
                    candidates.update(found)
                    yield rows, done
            while pending:
                done, future = pending.popleft()
                rows, found = _unpickle_chunk(future.result())
                candidates.update(found)
                yield rows, done
        yield bulk_rows(self.queue_resources(candidates)), self.patients


SERVER_ID_STAMP = 1_704_067_200_000
"""Id stamp of a seeded server's clinic (2024-01-01 in ms): the same seed gives the same ids
on any day, so seeding again updates records instead of adding a second clinic."""


def _restate_referral_summaries(history: list[Resource], follow_ups: list[Resource]) -> None:
    """A referral's summary states the chart as it stood on the referral's day: once the
    chronic follow-ups (their own vital signs) join the chart, a summary written from the
    history alone could state older vitals than the chart shows for that day."""
    records = [*history, *follow_ups]
    for resource in history:
        if resource.get("resourceType") != "ServiceRequest" or not resource.get("note"):
            continue
        authored = resource.get("authoredOn")
        if isinstance(authored, str):
            resource["note"] = [{"text": referral_summary(records, authored), "time": authored}]


def iter_demo_resources(
    patients: int, seed: int, now: datetime, history_years: int = DEFAULT_HISTORY_YEARS
) -> Iterator[Resource]:
    """The demo clinic's resources one by one (for a server), with ids that depend only on
    (patients, seed): organizations, staff, each patient with their records, today's queue."""
    clinic = DemoClinic(
        patients=patients,
        seed=seed,
        now=now,
        id_stamp=SERVER_ID_STAMP,
        history_years=history_years,
    )
    yield from clinic.resources()


_HOSPITAL_SEED = 0x484F5350
"""Mixed into the seed for the hospital side's own Random ('HOSP')."""
_FOLLOW_UP_SEED = 0x43485246
"""Mixed into a patient's seed for their registry records' own Random ('CHRF')."""
_CHUNK = 1000
"""Patients per unit of work handed to a worker process."""
_worker_clinic: DemoClinic | None = None


def _start_worker(clinic: DemoClinic) -> None:
    # One clinic per worker process, set once when the pool starts it.
    global _worker_clinic
    _worker_clinic = clinic
    # What the worker holds now lives as long as it does: out of the collector's sight.
    gc.freeze()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a while (turned back on after, if it was on).

    Building rows makes millions of dicts and tuples and no reference cycles: the collector's
    passes over them found nothing and cost about 15% of the workers' time. Whatever cycle
    some library makes meanwhile is collected once it is back on.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _chunk_rows(start: int, stop: int) -> bytes:
    """Patients start..stop-1 as (rows, queue candidates), pickled for _unpickle_chunk.

    Pickled here without the pickler's memo (the rows hold no shared or cyclic objects to
    remember) in a fraction of the time the pool's own pickling took; the pool then hands
    over one bytes object. The JSON travels as UTF-8 bytes (bulk_rows(utf8=True)).
    """
    assert _worker_clinic is not None, "worker started without its clinic"
    candidates: dict[int, QueueCandidate] = {}
    with _collector_paused():
        rows = bulk_rows(_worker_clinic.patient_resources(start, stop, candidates), utf8=True)
        out = io.BytesIO()
        pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo: nothing in the rows is shared or refers back
        pickler.dump((rows, candidates))
    return out.getvalue()


def _unpickle_chunk(payload: bytes) -> tuple[BulkRows, dict[int, QueueCandidate]]:
    # Our own worker's pickle of _chunk_rows, never data from outside the process tree.
    rows, candidates = pickle.loads(payload)
    return rows, candidates


def default_workers(patients: int) -> int:
    """Worker processes worth starting: none for a small clinic, else one per core (up to 4)."""
    cores = os.cpu_count() or 1
    return 0 if patients < PARALLEL_FROM or cores < 2 else min(cores, 4)


PARALLEL_FROM = 5000
"""Below this many patients, starting processes costs more than it saves."""


def _records_in(connection: Connection) -> int:
    total = 0
    for table in RESOURCE_TABLES.values():
        total += connection.execute(
            select(func.count()).select_from(table.__table__)  # type: ignore[attr-defined]
        ).scalar_one()
    return total


def _refuse_unless_empty(connection: Connection) -> None:
    meta = CacheMeta.__table__  # type: ignore[attr-defined]
    clinic = connection.execute(
        select(meta.c.value).where(meta.c.key == "clinic_id")
    ).scalar_one_or_none()
    records = _records_in(connection)
    if records or clinic is not None:
        where = connection.engine.url.database or tr("this cache")
        held = (
            tr("{where} already holds {count:,} records for clinic {clinic}")
            if clinic
            else tr("{where} already holds {count:,} records")
        ).format(where=where, count=records, clinic=clinic)
        raise CacheError(
            held
            + tr(
                "; demo data is only written into an empty cache "
                "(choose another --data-dir, or delete that file first)"
            )
        )


def _set_meta(connection: Connection, values: dict[str, str]) -> None:
    table = CacheMeta.__table__  # type: ignore[attr-defined]
    statement = sqlite_insert(table)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["key"], set_={"value": statement.excluded.value}
        ),
        [{"key": key, "value": value} for key, value in values.items()],
    )


def _load(
    connection: Connection,
    clinic: DemoClinic,
    workers: int,
    tell: Callable[[int, int], None],
) -> int:
    """Insert every record of `clinic` (rows built by `workers` processes); returns the count."""
    patients = clinic.patients
    if workers > 0:
        records = 0
        for rows, done in clinic.row_batches_with_progress(workers):
            records += insert_bulk_rows(connection, rows)
            tell(done, patients)
    else:
        candidates: dict[int, QueueCandidate] = {}
        records = bulk_insert_resources(connection, clinic.cached_fixed_resources())
        for start in range(0, patients, _CHUNK):
            stop = min(start + _CHUNK, patients)
            chunk = clinic.patient_resources(start, stop, candidates)
            records += bulk_insert_resources(connection, chunk)
            tell(stop, patients)
        records += bulk_insert_resources(connection, clinic.queue_resources(candidates))
    return records


def generate_demo_clinic(
    engine: Engine,
    *,
    patients: int,
    seed: int,
    now: datetime | None = None,
    workers: int | None = None,
    history_years: int = DEFAULT_HISTORY_YEARS,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write a demo township clinic into an empty cache in one transaction (CacheError if the
    cache holds anything). `now` (default: the local time) dates today's queue and every record;
    `workers` processes build the rows (default: default_workers(patients); 0 = in process);
    `history_years` of past visits per patient (see DemoClinic); `progress(patients_written,
    patients)` after each chunk of patients."""
    if patients > MAX_PATIENTS:
        raise ValueError(f"a demo clinic has at most {MAX_PATIENTS:,} patients")
    tell = progress if progress is not None else (lambda _done, _total: None)
    clinic = DemoClinic(
        patients=patients,
        seed=seed,
        now=now if now is not None else datetime.now().astimezone(),
        history_years=history_years,
    )
    workers = default_workers(patients) if workers is None else workers
    with bulk_load(engine, empty=True) as connection:
        _refuse_unless_empty(connection)
        tell(0, patients)
        with indexes_built_after(connection), _collector_paused():
            records = _load(connection, clinic, workers, tell)
        _set_meta(
            connection,
            {
                "clinic_id": clinic.township["id"],
                "demo_seed": str(seed),
                "demo_patients": str(patients),
                "demo_created": clinic.context.now.isoformat(timespec="seconds"),
                "demo_history_years": str(history_years),
            },
        )
    return DemoSummary(
        patients=patients,
        queue=clinic.queue_size,
        records=records,
        clinic_id=clinic.township["id"],
        clinic_name=clinic.township["name"],
    )
