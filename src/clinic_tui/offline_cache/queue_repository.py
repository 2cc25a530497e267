"""Today's queue of one clinic: read it, call the next patient, change statuses, register walk-ins.

Every change is a local change (record + outbox entry in one transaction) made
from the cached FHIR JSON, so fields this module does not model survive.

Undo: the repository keeps an in-memory stack of the actions made through it in
this session (the app owns one repository per run, so one stack per session).
`undo_last` reverts the most recent one. The stack is not persisted: after a
restart the outbox and the chart's history are the record of what was done.
"""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, delete, func, select, text

from clinic_tui.domain.fhir import QUEUE_NUMBER_SYSTEM, Resource, human_name
from clinic_tui.domain.models import Clinic, Priority, QueueEntry, QueueStatus
from clinic_tui.domain.queue_rules import next_patient
from clinic_tui.domain.registration import NewPatient, PossibleDuplicate, patient_resource
from clinic_tui.offline_cache.patient_search import find_possible_duplicates
from clinic_tui.offline_cache.queue_read import read_queue
from clinic_tui.offline_cache.store import read_resource, write_local_change
from clinic_tui.offline_cache.tables import (
    RESOURCE_TABLES,
    EncounterRow,
    OutboxEntry,
)

LEFT_REASON_URL = "urn:clinic-tui:fhir:extension:left-without-being-seen-reason"
"""Extension on a cancelled Encounter holding why the patient left without being seen."""

REGISTERED_AGAIN_URL = "urn:clinic-tui:fhir:extension:registered-while-queued"
"""Extension on an Encounter registered while the patient was already in today's queue: a
Reference to the registration still open then (the desk confirmed the second one)."""

PRIORITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_PRIORITY_DISPLAY = {"EM": "emergency", "UR": "urgent", "R": "routine"}


class AlreadyInQueueError(ValueError):
    """The patient is waiting or in consultation today; registering again needs `again=True`."""

    def __init__(self, entry: QueueEntry) -> None:
        super().__init__(
            f"{entry.patient_name} is already in today's queue as {entry.number} "
            f"({entry.status.value}); confirm to register again"
        )
        self.entry = entry


class PossibleDuplicateError(ValueError):
    """A new patient matches patients on file that no recorded decision covers."""

    def __init__(self, matches: list[PossibleDuplicate]) -> None:
        names = ", ".join(match.patient.name for match in matches)
        super().__init__(f"already on file: {names}; choose that patient or record why not")
        self.matches = matches


def _table(model: Any) -> Any:
    return model.__table__


@dataclass(frozen=True)
class UndoToken:
    """What one queue action changed, enough to revert it."""

    action: str
    """'status' or 'walk-in'."""
    encounter_id: str
    description: str
    previous: Resource | None = None
    """The Encounter JSON before a status change."""
    created_patient_id: str | None = None
    """The Patient a walk-in registration created (None for an existing patient)."""


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


_Method = TypeVar("_Method", bound=Callable[..., Any])


def hold_writes(connection: Connection) -> None:
    """Take the cache's write lock now, at the start of the transaction.

    The driver begins a transaction only at its first write, so what is read before it
    may be stale by then if another process writes in between. A write that changes no
    row takes the lock (waiting up to busy_timeout for another writer to finish).
    """
    connection.execute(text("UPDATE cache_meta SET key = key WHERE 0"))


def _serialised(method: _Method) -> _Method:
    """Run a write under the repository's lock, one change at a time."""

    @functools.wraps(method)
    def locked(self: QueueRepository, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked  # type: ignore[return-value]


class QueueRepository:
    """Today's queue of `clinic`, read from and written to the cache."""

    def __init__(self, engine: Engine, clinic: Clinic) -> None:
        self.engine = engine
        self.clinic = clinic
        self._undo: list[UndoToken] = []
        # Workers run in threads: two changes must not interleave (two calls of "next"
        # would pick the same patient), nor tear the undo stack.
        self._lock = threading.RLock()

    # ----- reading -------------------------------------------------------------------------

    def today(self, day: date) -> list[QueueEntry]:
        """The clinic's registrations of `day`, by queue number (index ix_encounter_queue)."""
        with self.engine.connect() as connection:
            return self._entries(connection, day)

    def _entries(
        self, connection: Connection, day: date, encounter_id: str | None = None
    ) -> list[QueueEntry]:
        # The same stdlib read the first screen uses, on this transaction's own connection.
        driver_connection = connection.connection.driver_connection
        assert driver_connection is not None  # a checked-out connection always has one
        return read_queue(driver_connection, self.clinic.id, day, encounter_id)

    def entry(self, encounter_id: str, day: date) -> QueueEntry | None:
        """One registration of `day`, or None when it is not (or no longer) in the queue."""
        with self.engine.connect() as connection:
            found = self._entries(connection, day, encounter_id)
        return found[0] if found else None

    # ----- status changes ------------------------------------------------------------------

    @_serialised
    def call_next(self, now: datetime) -> QueueEntry | None:
        """Call the next patient (priority first, then longest wait) into consultation.

        The choice and the status change are one write transaction: another workstation
        process on this cache (a second `serve` session) calling next at the same moment
        gets the patient after, never the same one.
        """
        with self.engine.begin() as connection:
            hold_writes(connection)
            chosen = next_patient(self._entries(connection, now.date()))
            if chosen is None:
                return None
            before = read_resource(connection, "Encounter", chosen.encounter_id)
            assert before is not None  # just read from the queue in this transaction
            after = _with_status(before, QueueStatus.IN_CONSULTATION, now, None)
            write_local_change(connection, after, "update")
        self._push(
            UndoToken(
                action="status",
                encounter_id=chosen.encounter_id,
                description=f"status {QueueStatus.IN_CONSULTATION.value}",
                previous=before,
            )
        )
        return self.entry(chosen.encounter_id, now.date())

    @_serialised
    def set_status(
        self,
        encounter_id: str,
        status: QueueStatus,
        now: datetime,
        reason: str | None = None,
    ) -> UndoToken | None:
        """Move a registration to `status`; None when it already was there.

        'left' (without being seen) is written as cancelled with `reason` kept in an
        extension; 'done' sets period.end. The old status goes into statusHistory.
        """
        if status is QueueStatus.LEFT and not (reason or "").strip():
            raise ValueError("a reason is required when a patient leaves without being seen")
        with self.engine.begin() as connection:
            before = read_resource(connection, "Encounter", encounter_id)
            if before is None:
                raise LookupError(f"Encounter/{encounter_id} is not in the cache")
            if QueueStatus.from_encounter_status(str(before.get("status"))) is status:
                return None
            after = _with_status(before, status, now, reason)
            write_local_change(connection, after, "update")
        token = UndoToken(
            action="status",
            encounter_id=encounter_id,
            description=f"status {status.value}",
            previous=before,
        )
        self._push(token)
        return token

    # ----- walk-ins --------------------------------------------------------------------------

    @_serialised
    def register_walk_in(
        self,
        patient: str | NewPatient,
        chief_complaint: str,
        priority: Priority,
        now: datetime,
        *,
        again: bool = False,
    ) -> QueueEntry:
        """Register a walk-in (an existing patient id, or a new patient) at the end of the queue.

        The Encounter and, for a new patient, the Patient are written with their
        outbox entries in one transaction: both or neither. Checked in that same
        transaction, so a sync in between cannot slip one past: a new patient who
        matches one on file needs a DuplicateDecision covering every match
        (PossibleDuplicateError), and a patient already waiting or in consultation
        today needs `again=True` (AlreadyInQueueError), which the Encounter records.
        """
        complaint = chief_complaint.strip()
        if not complaint:
            raise ValueError("a walk-in needs a chief complaint")
        encounter_id = str(uuid.uuid4())
        created_patient_id: str | None = None
        with self.engine.begin() as connection:
            # The next number is read and used in one write transaction, so two processes
            # on this cache (two `serve` sessions) never hand out the same number.
            hold_writes(connection)
            open_before: QueueEntry | None = None
            if isinstance(patient, NewPatient):
                _check_duplicates(connection, patient)
                created_patient_id = str(uuid.uuid4())
                created = patient_resource(created_patient_id, patient, self.clinic)
                write_local_change(connection, created, "create")
                patient_id, display = created_patient_id, patient.name.strip()
            else:
                existing = read_resource(connection, "Patient", patient)
                if existing is None:
                    raise LookupError(f"Patient/{patient} is not in the cache")
                patient_id = patient
                display = _display_name(existing)
                open_before = self._open_registration(connection, patient_id, now.date())
                if open_before is not None and not again:
                    raise AlreadyInQueueError(open_before)
            number = self._next_number(connection, now.date())
            encounter = self._encounter_resource(
                encounter_id, patient_id, display, number, complaint, priority, now
            )
            if open_before is not None:
                earlier = {
                    "reference": f"Encounter/{open_before.encounter_id}",
                    "display": str(open_before.number),
                }
                encounter["extension"] = [{"url": REGISTERED_AGAIN_URL, "valueReference": earlier}]
            write_local_change(connection, encounter, "create")
        self._push(
            UndoToken(
                action="walk-in",
                encounter_id=encounter_id,
                description=f"walk-in {number}",
                created_patient_id=created_patient_id,
            )
        )
        registered = self.entry(encounter_id, now.date())
        assert registered is not None  # written above, in this clinic, today
        return registered

    def _next_number(self, connection: Connection, day: date) -> int:
        encounter = _table(EncounterRow)
        # Entered-in-error registrations keep their numbers: a number is never given twice.
        highest = connection.execute(
            select(func.max(encounter.c.queue_number)).where(
                encounter.c.organization_id == self.clinic.id,
                encounter.c.queue_date == day.isoformat(),
            )
        ).scalar_one_or_none()
        return int(highest or 0) + 1

    def _open_registration(
        self, connection: Connection, patient_id: str, day: date
    ) -> QueueEntry | None:
        """The patient's registration of `day` still waiting or in consultation, if any."""
        for entry in self._entries(connection, day):
            if entry.patient_id == patient_id and entry.status in (
                QueueStatus.WAITING,
                QueueStatus.IN_CONSULTATION,
            ):
                return entry
        return None

    def _encounter_resource(
        self,
        encounter_id: str,
        patient_id: str,
        patient_name: str,
        number: int,
        complaint: str,
        priority: Priority,
        now: datetime,
    ) -> Resource:
        return {
            "resourceType": "Encounter",
            "id": encounter_id,
            "identifier": [{"system": QUEUE_NUMBER_SYSTEM, "value": str(number)}],
            "status": QueueStatus.WAITING.encounter_status,
            "class": {"system": ACT_CODE_SYSTEM, "code": "AMB", "display": "ambulatory"},
            "priority": {
                "coding": [
                    {
                        "system": PRIORITY_SYSTEM,
                        "code": priority.value,
                        "display": _PRIORITY_DISPLAY[priority.value],
                    }
                ]
            },
            "subject": {"reference": f"Patient/{patient_id}", "display": patient_name},
            "serviceProvider": {
                "reference": f"Organization/{self.clinic.id}",
                "display": self.clinic.name,
            },
            "period": {"start": _stamp(now)},
            "reasonCode": [{"text": complaint}],
        }

    # ----- undo ------------------------------------------------------------------------------

    def _push(self, token: UndoToken) -> None:
        with self._lock:
            self._undo.append(token)

    @property
    def can_undo(self) -> bool:
        """True when this session has an action left to undo."""
        with self._lock:
            return bool(self._undo)

    @_serialised
    def undo_last(self, now: datetime) -> UndoToken | None:
        """Revert the most recent action of this session; returns it, or None if none is left."""
        with self._lock:
            if not self._undo:
                return None
            token = self._undo.pop()
        try:
            if token.action == "status":
                self._undo_status(token)
            else:
                self._undo_walk_in(token, now)
        except BaseException:
            self._push(token)  # still undoable once the failure is fixed
            raise
        return token

    def _undo_status(self, token: UndoToken) -> None:
        """Write the previous Encounter back as a new local change, keeping the current meta."""
        assert token.previous is not None
        with self.engine.begin() as connection:
            current = read_resource(connection, "Encounter", token.encounter_id)
            if current is None:
                raise LookupError(f"Encounter/{token.encounter_id} is no longer in the cache")
            restored = dict(token.previous)
            # The server may have confirmed a newer version since: the upload must be based on it.
            if "meta" in current:
                restored["meta"] = current["meta"]
            else:
                restored.pop("meta", None)
            write_local_change(connection, restored, "update")

    def _undo_walk_in(self, token: UndoToken, now: datetime) -> None:
        """Delete a registration that never left this machine, else mark it entered-in-error."""
        with self.engine.begin() as connection:
            created = [("Encounter", token.encounter_id)]
            if token.created_patient_id is not None:
                created.append(("Patient", token.created_patient_id))
            for resource_type, resource_id in created:
                if _create_pending(connection, resource_type, resource_id):
                    _forget_local(connection, resource_type, resource_id)
                elif resource_type == "Encounter":
                    current = read_resource(connection, "Encounter", resource_id)
                    if current is not None:
                        current["status"] = "entered-in-error"
                        write_local_change(connection, current, "update")
                # A patient the server already holds stays: other records may point to it.


def _check_duplicates(connection: Connection, patient: NewPatient) -> None:
    """Raise PossibleDuplicateError unless every patient on file it matches was decided on."""
    matches = find_possible_duplicates(
        connection, patient.name, patient.birth_date, patient.identifier, patient.phone
    )
    decided = (
        {ident for ident, _ in patient.duplicate_decision.matched}
        if patient.duplicate_decision is not None
        else set()
    )
    undecided = [match for match in matches if match.patient.id not in decided]
    if undecided:
        raise PossibleDuplicateError(undecided)


def _display_name(resource: Resource) -> str:
    return human_name(resource)[0]


def _with_status(
    before: Resource, status: QueueStatus, now: datetime, reason: str | None
) -> Resource:
    """A copy of `before` moved to `status` at `now`, the old status kept in statusHistory."""
    after: Resource = json.loads(json.dumps(before))
    history = after.setdefault("statusHistory", [])
    period = after.setdefault("period", {})
    since = period.get("start")
    if history and isinstance(history[-1], dict):
        since = (history[-1].get("period") or {}).get("end") or since
    entry_period = {"end": _stamp(now)}
    if since:
        entry_period = {"start": since, **entry_period}
    history.append({"status": after.get("status", "unknown"), "period": entry_period})
    after["status"] = status.encounter_status
    extensions = [
        extension
        for extension in after.get("extension") or []
        if not (isinstance(extension, dict) and extension.get("url") == LEFT_REASON_URL)
    ]
    if status is QueueStatus.LEFT:
        extensions.append({"url": LEFT_REASON_URL, "valueString": (reason or "").strip()})
    if extensions:
        after["extension"] = extensions
    else:
        after.pop("extension", None)
    if status in (QueueStatus.DONE, QueueStatus.LEFT):
        period["end"] = _stamp(now)
    else:
        period.pop("end", None)
    return after


def _create_pending(connection: Connection, resource_type: str, resource_id: str) -> bool:
    """True when the record's create still waits in the outbox (the server never saw it)."""
    outbox = _table(OutboxEntry)
    found = connection.execute(
        select(outbox.c.seq).where(
            outbox.c.resource_type == resource_type,
            outbox.c.resource_id == resource_id,
            outbox.c.operation == "create",
        )
    ).first()
    return found is not None


def _forget_local(connection: Connection, resource_type: str, resource_id: str) -> None:
    """Remove a never-uploaded record and every outbox entry about it, in the caller's txn."""
    outbox = _table(OutboxEntry)
    table = _table(RESOURCE_TABLES[resource_type])
    connection.execute(
        delete(outbox).where(
            outbox.c.resource_type == resource_type, outbox.c.resource_id == resource_id
        )
    )
    connection.execute(delete(table).where(table.c.id == resource_id))
