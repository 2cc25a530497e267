"""Signing, stopping and listing a patient's prescriptions: every change with its outbox entry.

The order screen hands over a checked basket; `sign` turns each line into a
MedicationRequest (medication_request.medication_request_for builds the JSON),
marks the orders it renews or changes as ended, and writes all of it in ONE
transaction with store.write_local_change, so a slip is never saved half-way and
the sync carries it like any other change. Nothing here knows of Textual.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from clinic_tui.domain.fhir import Resource, concept_code, reference_id
from clinic_tui.domain.models import Clinic
from clinic_tui.offline_cache.store import read_resource, write_local_change
from clinic_tui.offline_cache.tables import ConditionRow, MedicationRequestRow, PractitionerRow
from clinic_tui.prescribing.model import Basket, DraftOrder, Override, SafetyWarning

SLIP_TYPE_EXTENSION = "urn:clinic-tui:fhir:extension:prescription-slip-type"
"""valueCode: the slip a line was printed on (ordinary, emergency, paediatric, ...)."""
LONG_TERM_REASON_EXTENSION = "urn:clinic-tui:fhir:extension:long-term-reason"
"""valueString: why a supply goes beyond the slip type's day limit (处方管理办法 第十九条)."""
GROUP_SYSTEM = "urn:clinic-tui:prescription-slip"
"""System of the groupIdentifier that ties the lines of one slip together."""

REPLACED_REASON = {
    "renew": "Renewed: replaced by a new order",
    "change": "Changed: replaced by a new order",
}
"""statusReason.text of an order that a renewal or a change replaced (English, as stored)."""


EXCLUDED_VERIFICATION = ("entered-in-error", "refuted")
"""Conditions never printed as a diagnosis."""


class PrescribingError(ValueError):
    """A prescription change the cache refuses, with a message for the prescriber."""


@dataclass(frozen=True)
class ActiveOrder:
    """A medication the patient is on (MedicationRequest status active), as the screen lists it."""

    id: str
    name: str
    dosage: str
    authored_on: date | None
    group_id: str | None
    pending: bool
    resource: Resource
    """The cached FHIR JSON: what a renewal or a change starts from."""


@dataclass(frozen=True)
class SignedSlip:
    """What one signature wrote: the slip's group and its MedicationRequests."""

    group_id: str
    request_ids: tuple[str, ...]
    kind: str
    signed_at: datetime
    lines: tuple[DraftOrder, ...]
    encounter_id: str | None
    ended: tuple[str, ...] = ()
    """Ids of the earlier orders a renewal or a change ended."""


def _new_id() -> str:
    # Client-assigned UUIDs: the upload PUTs them, so a retried create never duplicates.
    return str(uuid.uuid4())


def _table(model: Any) -> Any:
    return model.__table__


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text and len(text) >= 10 else None
    except ValueError:
        return None


def overrides_of_line(
    index: int, warnings: Sequence[SafetyWarning], overrides: dict[str, Override]
) -> list[Override]:
    """The overrides given for the warnings on basket line `index`."""
    keys = [w.key for w in warnings if w.line == index and w.key in overrides]
    return [overrides[key] for key in dict.fromkeys(keys)]


class Prescriber:
    """Writes one clinic's prescriptions into the cache, each change with its outbox entry."""

    def __init__(
        self,
        engine: Engine,
        clinic: Clinic,
        practitioner_id: str | None = None,
        new_id: Callable[[], str] = _new_id,
        *,
        practitioner_name: str = "",
    ) -> None:
        self.engine = engine
        self.clinic = clinic
        self.practitioner_id = practitioner_id
        """The signed-in clinician ([clinic] practitioner_id); the clinic signs when unknown."""
        self.practitioner_name = practitioner_name.strip()
        """The signed-in clinician's name as they registered it here; '' when none is known."""
        self.new_id = new_id

    def requester(self) -> dict[str, str]:
        """Who orders: the signed-in practitioner (with their name when known), else the clinic."""
        if self.practitioner_id:
            reference = {"reference": f"Practitioner/{self.practitioner_id}"}
            if self.practitioner_name:
                # The name at signing travels with the order, so a slip reprinted on another
                # workstation, or before the Practitioner record is synced, still names them.
                reference["display"] = self.practitioner_name
            return reference
        return {"reference": f"Organization/{self.clinic.id}", "display": self.clinic.name}

    # ----- reading -----------------------------------------------------------------------------

    def active_orders(self, patient_id: str) -> list[ActiveOrder]:
        """The patient's active MedicationRequests, newest first."""
        table = _table(MedicationRequestRow)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table)
                .where(table.c.patient_id == patient_id, table.c.status == "active")
                .order_by(table.c.authored_on.desc(), table.c.medication)
            ).all()
        return [
            ActiveOrder(
                id=row.id,
                name=row.medication,
                dosage=row.dosage_text,
                authored_on=_date(row.authored_on),
                group_id=row.group_id,
                pending=bool(row.pending),
                resource=json.loads(row.resource_json),
            )
            for row in rows
        ]

    def slip_requests(self, group_id: str) -> list[Resource]:
        """The MedicationRequests of one slip (its groupIdentifier), in the order written."""
        table = _table(MedicationRequestRow)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.resource_json).where(table.c.group_id == group_id)
            ).all()
        found = [json.loads(row.resource_json) for row in rows]
        found.sort(key=lambda r: (str(r.get("authoredOn") or ""), _line_number(r)))
        return found

    def practitioner_name_of(self, practitioner_id: str) -> str:
        """The cached Practitioner's name ('' when the record or its name is not here)."""
        table = _table(PractitionerRow)
        with self.engine.connect() as connection:
            name = connection.execute(
                select(table.c.name).where(table.c.id == practitioner_id)
            ).scalar_one_or_none()
        return str(name or "").strip()

    def slip_diagnoses(self, patient_id: str, encounter_id: str | None) -> list[tuple[str, str]]:
        """(ICD-10 code, name) for the slip: the visit's diagnoses, else the active problems."""
        table = _table(ConditionRow)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table).where(table.c.patient_id == patient_id).order_by(table.c.onset)
            ).all()
        visit: list[tuple[str, str]] = []
        active: list[tuple[str, str]] = []
        for row in rows:
            resource = json.loads(row.resource_json)
            if concept_code(resource.get("verificationStatus")) in EXCLUDED_VERIFICATION:
                continue
            pair = (row.code or "", row.display or "")
            linked = reference_id(resource.get("encounter"), "Encounter")
            if encounter_id is not None and linked == encounter_id:
                visit.append(pair)
            elif row.clinical_status in ("active", "recurrence", "relapse"):
                active.append(pair)
        return visit or active

    # ----- writing -----------------------------------------------------------------------------

    def sign(
        self,
        patient_id: str,
        encounter_id: str | None,
        basket: Basket,
        warnings: Sequence[SafetyWarning],
        now: datetime,
        changed: Collection[str] = (),
    ) -> SignedSlip:
        """Write the basket as one slip of active orders; end the orders it replaces.

        A renewed order becomes `completed` (its supply is carried on by the new one), a
        changed one `stopped` with the reason; each new order names it in
        `priorPrescription`. `changed` holds the ids replaced by a changed (not renewed) line.
        """
        from clinic_tui.prescribing.content import content_versions
        from clinic_tui.prescribing.medication_request import medication_request_for

        if not basket.lines:
            raise PrescribingError("The prescription has no lines to sign")
        group_id = self.new_id()
        requester = self.requester()
        resources: list[Resource] = []
        for index, order in enumerate(basket.lines):
            resource = medication_request_for(
                order,
                patient_id,
                encounter_id,
                requester,
                group_id,
                now,
                overrides_of_line(index, warnings, basket.overrides),
                content=content_versions(),
            )
            resources.append(self._completed(resource, order, basket, index))
        ended: list[str] = []
        with self.engine.begin() as connection:
            self._require(connection, "Patient", patient_id)
            for order in basket.lines:
                if order.replaces:
                    mode = "change" if order.replaces in changed else "renew"
                    self._end_replaced(connection, order.replaces, mode)
                    ended.append(order.replaces)
            for resource in resources:
                write_local_change(connection, resource, "create")
        return SignedSlip(
            group_id=group_id,
            request_ids=tuple(r["id"] for r in resources),
            kind=basket.kind,
            signed_at=now,
            lines=tuple(basket.lines),
            encounter_id=encounter_id,
            ended=tuple(ended),
        )

    def _completed(
        self, resource: Resource, order: DraftOrder, basket: Basket, index: int
    ) -> Resource:
        """What signing adds whatever the builder wrote: id, order, slip type, prior order."""
        resource = dict(resource)
        if not resource.get("id"):
            resource["id"] = self.new_id()
        resource["status"] = "active"
        resource["intent"] = "order"
        extensions = [
            e
            for e in resource.get("extension") or []
            if e.get("url") not in (SLIP_TYPE_EXTENSION, LONG_TERM_REASON_EXTENSION)
        ]
        extensions.append({"url": SLIP_TYPE_EXTENSION, "valueCode": basket.kind})
        if basket.long_term_reason.strip():
            extensions.append(
                {"url": LONG_TERM_REASON_EXTENSION, "valueString": basket.long_term_reason.strip()}
            )
        resource["extension"] = extensions
        group = dict(resource.get("groupIdentifier") or {})
        group.setdefault("system", GROUP_SYSTEM)
        resource["groupIdentifier"] = group
        # The line's place on the slip, so the slip reprints in the order it was written.
        identifiers = [
            i for i in resource.get("identifier") or [] if i.get("system") != LINE_SYSTEM
        ]
        identifiers.append({"system": LINE_SYSTEM, "value": str(index + 1)})
        resource["identifier"] = identifiers
        if order.replaces and not resource.get("priorPrescription"):
            resource["priorPrescription"] = {"reference": f"MedicationRequest/{order.replaces}"}
        return resource

    def _end_replaced(self, connection: Connection, request_id: str, mode: str) -> None:
        before = self._require(connection, "MedicationRequest", request_id)
        if before.get("status") != "active":
            raise PrescribingError(
                f"The order being replaced is no longer active ({before.get('status')})"
            )
        after = dict(before)
        if mode == "renew":
            after["status"] = "completed"
        else:
            after["status"] = "stopped"
            after["statusReason"] = {"text": REPLACED_REASON[mode]}
        write_local_change(connection, after, "update")

    def stop(self, request_id: str, reason: str) -> None:
        """Stop an active order (status stopped) with the prescriber's reason in words."""
        reason = reason.strip()
        if not reason:
            raise PrescribingError("Say why the medication is stopped")
        with self.engine.begin() as connection:
            before = self._require(connection, "MedicationRequest", request_id)
            if before.get("status") != "active":
                raise PrescribingError(f"This order is no longer active ({before.get('status')})")
            after = {**before, "status": "stopped", "statusReason": {"text": reason}}
            write_local_change(connection, after, "update")

    @staticmethod
    def _require(connection: Connection, resource_type: str, resource_id: str) -> Resource:
        found = read_resource(connection, resource_type, resource_id)
        if found is None:
            raise PrescribingError(f"{resource_type}/{resource_id} is not in this clinic's records")
        return found


LINE_SYSTEM = "urn:clinic-tui:prescription-slip-line"
"""identifier.system of a line's number on its slip (1, 2, ...)."""


def _line_number(resource: Resource) -> int:
    for identifier in resource.get("identifier") or []:
        if identifier.get("system") == LINE_SYSTEM:
            try:
                return int(identifier.get("value"))
            except (TypeError, ValueError):
                return 0
    return 0


def patient_of(resource: Resource) -> str | None:
    """The patient id a MedicationRequest is for."""
    return reference_id(resource.get("subject"), "Patient")
