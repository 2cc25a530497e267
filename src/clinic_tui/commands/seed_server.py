"""`clinic-tui seed-server`: put the demo township clinic and its hospitals on a FHIR server.

Resources go up in transaction bundles of PUTs with the generator's own ids, so a
second run with the same --patients and --seed updates the same records instead of
adding a second clinic. meta is left to the server (it assigns versions and times).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clinic_tui.demo.history_years import DEFAULT_HISTORY_YEARS
from clinic_tui.domain.fhir import Resource
from clinic_tui.errors import ClinicError
from clinic_tui.sync.client import FhirClient
from clinic_tui.sync.errors import FhirRequestError

BATCH = 250
"""Resources per transaction: a few hundred keeps each request well under a second."""
_SERVER_META = ("versionId", "lastUpdated")


@dataclass(frozen=True)
class SeedResult:
    """What seed-server sent."""

    patients: int
    resources: int
    created: int
    updated: int
    transactions: int

    def __str__(self) -> str:
        return (
            f"{self.patients:,} patients, {self.resources:,} resources "
            f"({self.created:,} created, {self.updated:,} updated) "
            f"in {self.transactions:,} transactions"
        )


def for_server(resource: Resource) -> Resource:
    """The resource as a client sends it: meta without the server's versionId/lastUpdated."""
    sent = dict(resource)
    meta = {k: v for k, v in (sent.pop("meta", None) or {}).items() if k not in _SERVER_META}
    if meta:
        sent["meta"] = meta
    return sent


def transaction(base_url: str, resources: Iterable[Resource]) -> dict[str, Any]:
    """A transaction Bundle that PUTs each resource at its own id."""
    entries = []
    for resource in resources:
        path = f"{resource['resourceType']}/{resource['id']}"
        entries.append(
            {
                "fullUrl": f"{base_url}/{path}",
                "resource": for_server(resource),
                "request": {"method": "PUT", "url": path},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _batches(resources: Iterator[Resource], size: int) -> Iterator[list[Resource]]:
    batch: list[Resource] = []
    for resource in resources:
        batch.append(resource)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _statuses(answer: bytes) -> list[str]:
    try:
        body = json.loads(answer)
    except ValueError:
        return []
    entries = body.get("entry") if isinstance(body, dict) else None
    statuses = []
    for entry in entries if isinstance(entries, list) else []:
        response = entry.get("response") if isinstance(entry, dict) else None
        if isinstance(response, dict):
            statuses.append(str(response.get("status", "")))
    return statuses


def seed_server(
    client: FhirClient,
    *,
    patients: int,
    seed: int,
    now: datetime | None = None,
    batch_size: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
    history_years: int = DEFAULT_HISTORY_YEARS,
) -> SeedResult:
    """Upload the demo clinic; `progress(patients_sent, patients)` after each transaction;
    `history_years` of past visits per patient."""
    from clinic_tui.demo.generator import iter_demo_resources

    moment = now if now is not None else datetime.now().astimezone()
    sent = created = updated = transactions = patients_sent = 0
    resources = iter_demo_resources(patients, seed, moment, history_years)
    for batch in _batches(resources, batch_size):
        try:
            _response, answer = client.request(
                "POST", client.base_url, body=transaction(client.base_url, batch)
            )
        except FhirRequestError as error:
            first = f"{batch[0]['resourceType']}/{batch[0]['id']}"
            raise ClinicError(
                f"the server rejected the transaction starting at {first} "
                f"({sent:,} resources were stored before it): {error}"
            ) from error
        statuses = _statuses(answer)
        created += sum(status.startswith("201") for status in statuses)
        updated += sum(status.startswith("200") for status in statuses)
        sent += len(batch)
        transactions += 1
        patients_sent += sum(resource["resourceType"] == "Patient" for resource in batch)
        if progress is not None:
            progress(patients_sent, patients)
    return SeedResult(patients, sent, created, updated, transactions)
