"""The audit trail in the cache: every chart opened and every record written here, with who.

A write is audited inside the transaction that makes it (store.write_local_change calls
`audit_write`), so a change and its audit record exist together or not at all, whatever
screen or service made it. Opening a chart is recorded by `AuditTrail.chart_opened`. The
records wait in `audit_event` until the sync sends them (sync/audit_upload.py); offline
they are simply kept. Who acts is registered per open cache (`set_acting_agent`): the
signed-in clinician, else the workstation's user name.
"""

from __future__ import annotations

import getpass
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, func, insert, select, update

from clinic_tui.domain.audit import ACTIONS, AuditAgent, audit_event
from clinic_tui.domain.fhir import COLUMN_EXTRACTORS, Resource
from clinic_tui.offline_cache.tables import AuditEventRow

_TABLE: Any = AuditEventRow.__table__  # type: ignore[attr-defined]

_AGENTS: WeakKeyDictionary[Engine, AuditAgent] = WeakKeyDictionary()
"""Who acts on each open cache; an engine gone away takes its entry with it."""

_OPERATIONS = {"create": "create", "update": "update", "delete": "delete"}


def _workstation_user() -> str:
    # The OS account is the best "who" before anyone signs in; never fails the write.
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in a container: stay anonymous
        return ""


def set_acting_agent(engine: Engine, agent: AuditAgent) -> None:
    """Record that `agent` is who acts on this cache from now on (sign-in, unlock, switch)."""
    _AGENTS[engine] = agent


def acting_agent(engine: Engine) -> AuditAgent:
    """Who acts on this cache: as registered, else the workstation's user, no clinician."""
    agent = _AGENTS.get(engine)
    return agent if agent is not None else AuditAgent(name=_workstation_user())


def _patient_of(resource: Resource) -> str | None:
    if resource.get("resourceType") == "Patient":
        return str(resource["id"])
    extract = COLUMN_EXTRACTORS.get(str(resource.get("resourceType")))
    patient = extract(resource).get("patient_id") if extract else None
    return str(patient) if patient else None


def _store(connection: Connection, event: Resource, agent: AuditAgent, patient: str | None) -> str:
    entity = event["entity"][0]["what"]["reference"]
    connection.execute(
        insert(_TABLE),
        [
            {
                "id": event["id"],
                "recorded": event["recorded"],
                "patient_id": patient,
                "agent": agent.reference,
                "agent_name": agent.name,
                "action": event["action"],
                "entity": entity,
                "resource_json": json.dumps(event, ensure_ascii=False, separators=(",", ":")),
            }
        ],
    )
    return str(event["id"])


def audit_write(connection: Connection, resource: Resource, operation: str) -> str:
    """Record a local create/update/delete of `resource`, in the caller's transaction."""
    agent = acting_agent(connection.engine)
    patient = _patient_of(resource)
    reference = f"{resource['resourceType']}/{resource['id']}"
    event = audit_event(
        str(uuid.uuid4()), _OPERATIONS[operation], reference, patient, agent, datetime.now(UTC)
    )
    return _store(connection, event, agent, patient)


@dataclass(frozen=True)
class AuditRecord:
    """One line of a patient's audit trail, as `clinic-tui audit` lists it."""

    recorded: str
    action: str
    """read, create, update or delete."""
    entity: str
    agent: str | None
    agent_name: str
    sent: bool
    refused: str | None


_INTERACTION_OF = {code: name for name, code in ACTIONS.items()}


class AuditTrail:
    """Records chart openings and reads a patient's trail back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def chart_opened(self, patient_id: str, now: datetime | None = None) -> str:
        """Record that the acting clinician opened this patient's chart; returns the event id."""
        agent = acting_agent(self.engine)
        event = audit_event(
            str(uuid.uuid4()),
            "read",
            f"Patient/{patient_id}",
            patient_id,
            agent,
            now or datetime.now(UTC),
            "chart opened",
        )
        with self.engine.begin() as connection:
            return _store(connection, event, agent, patient_id)

    def for_patient(self, patient_id: str, limit: int | None = None) -> list[AuditRecord]:
        """The patient's audit records, newest first."""
        query = (
            select(_TABLE)
            .where(_TABLE.c.patient_id == patient_id)
            .order_by(_TABLE.c.recorded.desc(), _TABLE.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            AuditRecord(
                recorded=row.recorded,
                action=_INTERACTION_OF.get(row.action, row.action),
                entity=row.entity,
                agent=row.agent,
                agent_name=row.agent_name,
                sent=row.sent_at is not None,
                refused=row.refused,
            )
            for row in rows
        ]

    def waiting(self) -> int:
        """Audit records not yet on the server (and not refused by it)."""
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count())
                    .select_from(_TABLE)
                    .where(_TABLE.c.sent_at.is_(None), _TABLE.c.refused.is_(None))
                ).scalar_one()
            )


def unsent_events(connection: Connection, limit: int) -> list[Resource]:
    """The oldest audit records still to send, as AuditEvent JSON."""
    rows = connection.execute(
        select(_TABLE.c.resource_json)
        .where(_TABLE.c.sent_at.is_(None), _TABLE.c.refused.is_(None))
        .order_by(_TABLE.c.recorded, _TABLE.c.id)
        .limit(limit)
    ).scalars()
    return [json.loads(text) for text in rows]


def mark_sent(connection: Connection, event_ids: list[str], at: datetime) -> None:
    """The server holds these audit records."""
    if event_ids:
        connection.execute(
            update(_TABLE)
            .where(_TABLE.c.id.in_(event_ids))
            .values(sent_at=at.isoformat(timespec="seconds"))
        )


def mark_refused(connection: Connection, event_id: str, reason: str) -> None:
    """The server refused this record for good (a 4xx): kept here, not offered again."""
    connection.execute(update(_TABLE).where(_TABLE.c.id == event_id).values(refused=reason))
