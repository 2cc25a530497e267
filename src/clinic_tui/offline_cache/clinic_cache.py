"""The services the app owns and hands to its screens, all over one cache file.

Opening it costs only the standard library: the clinic, today's queue and the
unsynced count are read with sqlite3, so the first screen fills before the ORM
loads. The SQLAlchemy engine and the repositories are built on first use (or by
`warm_up`, which the app runs in the background once the queue is on screen).
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_tui.domain.models import Clinic, QueueEntry
from clinic_tui.offline_cache.cache_file import LAST_SYNC_KEY, connect
from clinic_tui.offline_cache.queue_read import read_queue

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from clinic_tui.domain.models import PatientSummary
    from clinic_tui.domain.registration import PossibleDuplicate
    from clinic_tui.offline_cache.audit import AuditTrail
    from clinic_tui.offline_cache.chart_edits import ChartEditor
    from clinic_tui.offline_cache.chart_repository import ChartRepository
    from clinic_tui.offline_cache.patient_search import PatientSearch
    from clinic_tui.offline_cache.queue_repository import QueueRepository

_CLINIC_SQL = """
SELECT id, name FROM organization
WHERE (:clinic IS NULL OR id = :clinic)
ORDER BY kind IS NOT 'township', id
LIMIT 1
"""


class PatientFinder:
    """ClinicCache.patients, reached only when a search runs: in the worker's thread.

    A screen may be handed this at once; building PatientSearch loads the ORM (a
    second or more on an old PC before the background warm-up is done), and doing
    that on the UI thread froze the walk-in dialog and lost the keys typed meanwhile.
    """

    def __init__(self, cache: ClinicCache) -> None:
        self._cache = cache

    def search(self, query: str, limit: int = 50) -> list[PatientSummary]:
        """PatientSearch.search."""
        return self._cache.patients.search(query, limit)

    def possible_duplicates(
        self, name: str, birth_date: date | None, identifier: str | None, phone: str | None
    ) -> list[PossibleDuplicate]:
        """PatientSearch.possible_duplicates."""
        return self._cache.patients.possible_duplicates(name, birth_date, identifier, phone)


class ClinicCache:
    """One object per open cache: queue, patient search and charts for one clinic.

    `source` is the path of a prepared cache (see cache_file.prepare_cache), or an
    engine already open on one (tests and tools that made their own).
    """

    def __init__(
        self,
        source: Path | Engine,
        clinic_id: str | None = None,
        practitioner_id: str | None = None,
    ) -> None:
        if isinstance(source, Path):
            self.path = source
            self._engine: Engine | None = None
        else:
            self.path = Path(str(source.url.database))
            self._engine = source
        self._lock = threading.Lock()
        self.scope_clinic_id: str | None = None
        """The clinic whose patients' records this cache downloads (configured, else the
        cache's own, as sync/scope.py resolves it); None = an unscoped cache, which holds
        every record. Set by _resolve_clinic."""
        self.clinic = self._resolve_clinic(clinic_id)
        self.practitioner_id = practitioner_id
        """The clinician at this workstation ([clinic] practitioner_id), author of notes."""
        self._clinician_name = ""
        if self._engine is not None:
            self._register_agent(self._engine)
        self.finder = PatientFinder(self)
        """Patient search for screens: free to hold, loads the ORM on first search."""

    def sign_in(self, practitioner_id: str, name: str = "") -> None:
        """From now on, what is written here is by `practitioner_id` (a clinician unlocked)."""
        self.set_clinician(practitioner_id, name)

    def _resolve_clinic(self, clinic_id: str | None) -> Clinic:
        """The configured clinic, else the one the cache was made for, else its first township."""
        with connect(self.path) as connection:
            if clinic_id is None:
                found = connection.execute(
                    "SELECT value FROM cache_meta WHERE key = 'clinic_id'"
                ).fetchone()
                clinic_id = found["value"] if found is not None else None
            self.scope_clinic_id = clinic_id or None
            row = connection.execute(_CLINIC_SQL, {"clinic": clinic_id}).fetchone()
        if row is not None:
            return Clinic(id=row["id"], name=row["name"])
        # An empty cache (nothing synced yet) still opens: the queue is simply empty.
        return Clinic(id=clinic_id or "", name=clinic_id or "—")

    def queue_today(self, day: date) -> list[QueueEntry]:
        """Today's registrations, read without the ORM (the first screen's read)."""
        with connect(self.path) as connection:
            return read_queue(connection, self.clinic.id, day)

    def pending_changes(self) -> int:
        """Records with local changes the server has not accepted (pending or quarantined)."""
        with connect(self.path) as connection:
            found = connection.execute(
                "SELECT count(*) FROM (SELECT DISTINCT resource_type, resource_id FROM outbox)"
            )
            return int(found.fetchone()[0])

    def last_sync(self) -> datetime | None:
        """When a sync (here, or a scheduled `clinic-tui sync`) last completed; no ORM needed."""
        with connect(self.path) as connection:
            row = connection.execute(
                "SELECT value FROM cache_meta WHERE key = ?", (LAST_SYNC_KEY,)
            ).fetchone()
        if row is None:
            return None
        try:
            when = datetime.fromisoformat(str(row[0]).replace("Z", "+00:00"))
        except ValueError:
            return None  # not ours to judge here: the badge then says "not synced yet"
        return when if when.tzinfo is not None else None

    def open_conflicts(self) -> int:
        """Conflicts waiting for a person (ConflictStore.count, read without the ORM)."""
        with connect(self.path) as connection:
            return int(connection.execute("SELECT count(*) FROM conflict").fetchone()[0])

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created on first use."""
        with self._lock:
            if self._engine is None:
                from clinic_tui.offline_cache.engine import create_cache_engine

                self._engine = create_cache_engine(self.path)
            self._register_agent(self._engine)
            return self._engine

    def _register_agent(self, engine: Engine) -> None:
        from clinic_tui.domain.audit import AuditAgent
        from clinic_tui.offline_cache.audit import acting_agent, set_acting_agent

        clinician = self.practitioner_id
        name = self._clinician_name or ("" if clinician else acting_agent(engine).name)
        agent = AuditAgent(clinician, name, self.clinic.id or None, self.clinic.name)
        set_acting_agent(engine, agent)

    def set_clinician(self, practitioner_id: str | None, name: str = "") -> None:
        """Who works at the workstation from now on: the author and the audited agent."""
        self.practitioner_id = practitioner_id
        self._clinician_name = name
        editor = self.__dict__.get("chart_edits")  # only if built: building loads the ORM
        if editor is not None:
            editor.practitioner_id = practitioner_id
        if self._engine is not None:  # else the engine registers them when it is made
            self._register_agent(self._engine)

    @cached_property
    def queue(self) -> QueueRepository:
        """Today's queue and its changes (call next, statuses, walk-ins, undo)."""
        from clinic_tui.offline_cache.queue_repository import QueueRepository

        return QueueRepository(self.engine, self.clinic)

    @cached_property
    def patients(self) -> PatientSearch:
        """Patient search by name, pinyin, identity number or phone."""
        from clinic_tui.offline_cache.patient_search import PatientSearch

        return PatientSearch(self.engine)

    @cached_property
    def charts(self) -> ChartRepository:
        """Read-only charts."""
        from clinic_tui.offline_cache.chart_repository import ChartRepository

        return ChartRepository(self.engine, self.scope_clinic_id)

    @cached_property
    def audit(self) -> AuditTrail:
        """Charts opened and records written here, with who (offline_cache/audit.py)."""
        from clinic_tui.offline_cache.audit import AuditTrail

        return AuditTrail(self.engine)

    @cached_property
    def chart_edits(self) -> ChartEditor:
        """Chart changes: diagnoses, allergies, vitals, notes, contact details."""
        from clinic_tui.offline_cache.chart_edits import ChartEditor

        return ChartEditor(self.engine, self.clinic, self.practitioner_id)

    def warm_up(self) -> None:
        """Load the ORM and build every repository now, so the first keypress does not wait."""
        _ = (self.queue, self.patients, self.charts, self.chart_edits)
