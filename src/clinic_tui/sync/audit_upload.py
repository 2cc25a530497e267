"""Send the audit trail up: AuditEvents kept in the cache go to the server after each upload.

Each record goes as a PUT of its own id inside a `batch` Bundle: a batch runs every entry on
its own (R4 http.html#transaction), so one refused record never holds back the rest, and a
PUT of a client-chosen id is safe to repeat after a lost answer (the server keeps one). A
record the server refuses for good (4xx) is marked and kept here, still listed by
`clinic-tui audit`; a 5xx or a dropped link leaves the rest for the next round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from clinic_tui.offline_cache.audit import mark_refused, mark_sent, unsent_events
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.errors import FhirAuthError, FhirError, FhirRequestError
from clinic_tui.sync.transaction_answer import entry_answers

BUNDLE_SIZE = 50
"""AuditEvents per batch: small records, and below the caps servers are known to set."""

SEND_AFTER = timedelta(minutes=10)
"""A round sends the trail once its oldest record waited this long (or a batch is full):
on a thin link the trail costs one request per ten minutes, not one per round."""


def audit_due(engine: Engine, now: datetime, send_after: timedelta = SEND_AFTER) -> bool:
    """True when the waiting audit records should go up in this round."""
    with engine.connect() as connection:
        oldest = unsent_events(connection, BUNDLE_SIZE)
    if not oldest:
        return False
    if len(oldest) >= BUNDLE_SIZE:
        return True
    recorded = datetime.fromisoformat(str(oldest[0]["recorded"]))
    return now - recorded >= send_after


@dataclass
class AuditUpload:
    """What one round did with the audit trail."""

    sent: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)


def _bundle(client: FhirClient, events: list[dict[str, object]]) -> dict[str, object]:
    return {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {
                "fullUrl": f"{client.base_url}/AuditEvent/{event['id']}",
                "resource": event,
                "request": {"method": "PUT", "url": f"AuditEvent/{event['id']}"},
            }
            for event in events
        ],
    }


def upload_audit_events(
    engine: Engine, client: FhirClient, bundle_size: int = BUNDLE_SIZE
) -> AuditUpload:
    """Send every waiting audit record; stops at the first failure of the link or server."""
    result = AuditUpload()
    size = bundle_size
    while True:
        with engine.connect() as connection:
            events = unsent_events(connection, size)
        if not events:
            return result
        try:
            _response, data = client.request("POST", client.base_url, body=_bundle(client, events))
        except FhirAuthError:
            raise
        except FhirRequestError as error:
            if len(events) > 1:
                size = max(1, len(events) // 2)  # a size cap, or one bad record: narrow it down
                continue
            with engine.begin() as connection:
                mark_refused(connection, str(events[0]["id"]), str(error))
            result.refused += 1
            continue
        except FhirError as error:
            result.errors.append(f"audit trail not sent: {error}")
            return result
        try:
            answers = entry_answers(data, len(events))
        except FhirError as error:
            result.errors.append(f"audit trail not sent: {error}")
            return result
        confirmed: list[str] = []
        stop = False
        with engine.begin() as connection:
            for event, answer in zip(events, answers, strict=True):
                if 200 <= answer.status < 300:
                    confirmed.append(str(event["id"]))
                elif 400 <= answer.status < 500:
                    reason = answer.outcome or f"refused with {answer.status}"
                    mark_refused(connection, str(event["id"]), reason)
                    result.refused += 1
                else:
                    stop = True
            mark_sent(connection, confirmed, datetime.now(UTC))
        result.sent += len(confirmed)
        if stop:
            result.errors.append("audit trail: the server could not store some records now")
            return result
