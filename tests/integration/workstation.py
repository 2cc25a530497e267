"""What the integration tests share: fresh ids on the shared server, today's clock, a sync
that must complete, the outbox's length."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Engine

from clinic_tui.domain.models import Clinic
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.engine import SyncEngine


def unique_id(prefix: str) -> str:
    """An id no other test (nor an earlier run on the same server) has used."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def wall_clock_now() -> datetime:
    """Today's wall clock, to the second: the scoped download takes recent encounters only."""
    return datetime.now().astimezone().replace(microsecond=0)


def sync_completely(engine: Engine, client: FhirClient, clinic: Clinic) -> None:
    """One sync round for `clinic`'s workstation that must finish with no error."""
    report = SyncEngine(engine, client, clinic_id=clinic.id).run()
    assert report.complete, report.errors


def outbox_length(engine: Engine) -> int:
    """Changes the workstation still has to send."""
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM outbox").scalar_one())
