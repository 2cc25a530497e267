"""Sign-ins in the audit trail: each right PIN, each wrong one and each lock-out, never a PIN.

Kept in the cache's `audit_event` table beside the chart openings and writes, so the sync
sends them up as AuditEvents like the rest (sync/audit_upload.py). They are told apart by
their action, E (execute), which no other audit record here uses. Written with plain
sqlite3 (cache_file.connect): the sign-in screen is up before the ORM has loaded.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clinic_tui.domain.audit import EXECUTE, SIGN_IN_OUTCOMES, AuditAgent, sign_in_event
from clinic_tui.offline_cache.cache_file import connect, database_errors

log = logging.getLogger(__name__)

_KIND_OF_OUTCOME = {code: kind for kind, code in SIGN_IN_OUTCOMES.items()}


@dataclass(frozen=True)
class SignInRecord:
    """One sign-in event, as `clinic-tui audit --sign-ins` lists it."""

    recorded: str
    kind: str
    """signed_in, wrong_pin or locked_out."""
    practitioner_id: str
    name: str
    detail: str
    sent: bool
    refused: str | None


class SignInAudit:
    """Writes sign-in events into one cache's audit trail, and reads them back."""

    def __init__(
        self,
        cache_path: Path,
        organization_id: str | None = None,
        organization_name: str = "",
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.cache_path = cache_path
        self.organization_id = organization_id
        self.organization_name = organization_name
        self.clock = clock
        """Wall-clock seconds for `recorded` (None: the real clock)."""

    def record(self, kind: str, practitioner_id: str, name: str, detail: str = "") -> bool:
        """Store one event; False (and a log line) when the cache would not take it.

        A cache that cannot be written must not keep clinicians out, nor put a traceback
        on the sign-in screen: the count of wrong PINs, kept apart, still holds.
        """
        now = (
            datetime.fromtimestamp(self.clock(), UTC)
            if self.clock is not None
            else datetime.now(UTC)
        )
        agent = AuditAgent(practitioner_id, name, self.organization_id, self.organization_name)
        event = sign_in_event(str(uuid.uuid4()), kind, practitioner_id, agent, now, detail)
        signed_in = kind == "signed_in"
        row = (
            event["id"],
            event["recorded"],
            None,
            agent.reference if signed_in else None,
            name,
            EXECUTE,
            f"Practitioner/{practitioner_id}",
            json.dumps(event, ensure_ascii=False, separators=(",", ":")),
        )
        failures: tuple[type[Exception], ...] = (*database_errors(), OSError)
        try:
            with closing(connect(self.cache_path)) as connection, connection:
                connection.execute(
                    "INSERT INTO audit_event (id, recorded, patient_id, agent, agent_name, "
                    "action, entity, resource_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
        except failures as error:
            log.error("sign-in event %s of %s not audited: %s", kind, practitioner_id, error)
            return False
        return True

    def records(self, limit: int | None = None) -> list[SignInRecord]:
        """The sign-in events of this cache, newest first."""
        sql = (
            "SELECT recorded, entity, agent_name, resource_json, sent_at, refused "
            "FROM audit_event WHERE action = ? ORDER BY recorded DESC, rowid DESC"
        )
        parameters: tuple[object, ...] = (EXECUTE,)
        if limit is not None:
            sql += " LIMIT ?"
            parameters += (limit,)
        with closing(connect(self.cache_path)) as connection:
            rows = connection.execute(sql, parameters).fetchall()
        found = []
        for row in rows:
            event = json.loads(row["resource_json"])
            found.append(
                SignInRecord(
                    recorded=row["recorded"],
                    kind=_KIND_OF_OUTCOME.get(str(event.get("outcome")), "unknown"),
                    practitioner_id=str(row["entity"]).removeprefix("Practitioner/"),
                    name=row["agent_name"],
                    detail=str(event.get("outcomeDesc", "")),
                    sent=row["sent_at"] is not None,
                    refused=row["refused"],
                )
            )
        return found
