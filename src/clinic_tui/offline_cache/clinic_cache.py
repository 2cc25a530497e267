"""The services the app owns and hands to its screens, all over one cache engine."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from clinic_tui.domain.models import Clinic
from clinic_tui.offline_cache.chart_repository import ChartRepository
from clinic_tui.offline_cache.patient_search import PatientSearch
from clinic_tui.offline_cache.queue_repository import QueueRepository
from clinic_tui.offline_cache.tables import CacheMeta, OrganizationRow, OutboxEntry


class ClinicCache:
    """One object per open cache: queue, patient search and charts for one clinic."""

    def __init__(self, engine: Engine, clinic_id: str | None = None) -> None:
        self.engine = engine
        self.clinic = self._resolve_clinic(clinic_id)
        self.patients = PatientSearch(engine)
        self.queue = QueueRepository(engine, self.clinic)
        self.charts = ChartRepository(engine)

    def _resolve_clinic(self, clinic_id: str | None) -> Clinic:
        """The configured clinic, else the one the cache was made for, else its first township."""
        organization = OrganizationRow.__table__  # type: ignore[attr-defined]
        meta = CacheMeta.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as connection:
            if clinic_id is None:
                clinic_id = connection.execute(
                    select(meta.c.value).where(meta.c.key == "clinic_id")
                ).scalar_one_or_none()
            query = select(organization.c.id, organization.c.name)
            if clinic_id is not None:
                query = query.where(organization.c.id == clinic_id)
            else:
                query = query.order_by(organization.c.kind != "township", organization.c.id)
            row = connection.execute(query.limit(1)).first()
        if row is not None:
            return Clinic(id=row.id, name=row.name)
        # An empty cache (nothing synced yet) still opens: the queue is simply empty.
        return Clinic(id=clinic_id or "", name=clinic_id or "—")

    def pending_changes(self) -> int:
        """Local changes not yet accepted by the server (pending or quarantined)."""
        outbox = OutboxEntry.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(outbox)).scalar_one())
