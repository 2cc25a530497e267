"""`clinic-tui seed-server`: put the demo township clinic and its hospitals on a FHIR server.

Resources go up in transaction bundles of PUTs with the generator's own ids, so a
second run with the same --patients and --seed updates the same records instead of
adding a second clinic. meta is left to the server (it assigns versions and times).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from clinic_tui.commands.cli import (
    add_demo_clinic_options,
    server_options,
    server_settings,
    subcommand,
)
from clinic_tui.demo.history_years import DEFAULT_HISTORY_YEARS
from clinic_tui.domain.fhir import Resource
from clinic_tui.errors import ClinicError
from clinic_tui.i18n import tr
from clinic_tui.sync.errors import FhirRequestError, FhirResponseError
from clinic_tui.sync.transaction_answer import EntryAnswer, entry_answers, names_size_limit

if TYPE_CHECKING:
    from clinic_tui.sync.client import FhirClient

BATCH = 250
"""Resources per transaction: a few hundred keeps each request well under a second. A server
that caps transactions (Medplum: 50 updates) says so, and the batches halve until it takes them."""
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
        return tr(
            "{patients} patients, {resources} resources ({created} created, {updated} updated) "
            "in {transactions} transactions"
        ).format(
            patients=f"{self.patients:,}",
            resources=f"{self.resources:,}",
            created=f"{self.created:,}",
            updated=f"{self.updated:,}",
            transactions=f"{self.transactions:,}",
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


@dataclass
class _Cap:
    """The transaction size the server takes, lowered when it says a bundle is too large."""

    limit: int

    def size(self) -> int:
        """The current limit."""
        return self.limit


def _batches(resources: Iterator[Resource], size: Callable[[], int]) -> Iterator[list[Resource]]:
    """Resources in batches of `size()` (asked per batch: a capped server shrinks it)."""
    batch: list[Resource] = []
    for resource in resources:
        batch.append(resource)
        if len(batch) >= size():
            yield batch
            batch = []
    if batch:
        yield batch


def _post(client: FhirClient, batch: list[Resource], sent: int) -> list[EntryAnswer]:
    """Send one transaction; every entry's own status is checked (a server may run it
    entry by entry and answer HTTP 200 over a refused entry)."""
    _response, answer = client.request(
        "POST", client.base_url, body=transaction(client.base_url, batch)
    )
    try:
        answers = entry_answers(answer, len(batch))
    except FhirResponseError as error:
        raise ClinicError(
            f"the server's answer to a transaction was not understood: {error}"
        ) from error
    for resource, found in zip(batch, answers, strict=True):
        if not 200 <= found.status < 300:
            raise ClinicError(
                f"the server refused {resource['resourceType']}/{resource['id']} "
                f"({sent:,} resources were stored before its transaction): "
                f"{found.status} {found.outcome or ''}".rstrip()
            )
    return answers


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
    cap = _Cap(batch_size)
    resources = iter_demo_resources(patients, seed, moment, history_years)
    for batch in _batches(resources, cap.size):
        waiting = [batch]
        while waiting:
            part = waiting.pop(0)
            try:
                answers = _post(client, part, sent)
            except FhirRequestError as error:
                if names_size_limit(error) and len(part) > 1:
                    # The server caps transactions (Medplum: 50 updates): halve and go on.
                    cap.limit = max(1, len(part) // 2)
                    waiting[:0] = [part[: cap.limit], part[cap.limit :]]
                    continue
                first = f"{part[0]['resourceType']}/{part[0]['id']}"
                raise ClinicError(
                    f"the server rejected the transaction starting at {first} "
                    f"({sent:,} resources were stored before it): {error}"
                ) from error
            created += sum(found.status == 201 for found in answers)
            updated += sum(found.status == 200 for found in answers)
            sent += len(part)
            transactions += 1
            patients_sent += sum(resource["resourceType"] == "Patient" for resource in part)
            if progress is not None:
                # The referrals bring patients of the other townships too: never "218/200".
                progress(min(patients_sent, patients), patients)
    return SeedResult(patients, sent, created, updated, transactions)


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `seed-server` command."""
    seed = subcommand(
        commands,
        "seed-server",
        parents=[common, server_options()],
        help=tr("fill a FHIR server with a demo township clinic and its hospitals"),
        description=tr(
            "PUT a demo clinic (organizations, staff, patients and their records, today's "
            "queue, referrals) on the server in transactions. Running it again with the same "
            "--patients and --seed updates the same records; nothing is duplicated."
        ),
    )
    add_demo_clinic_options(seed, default=200)


def run(args: argparse.Namespace) -> int:
    """Seed the server, showing the patients sent."""
    from clinic_tui.commands.connection import open_client
    from clinic_tui.commands.progress import ProgressDisplay

    with open_client(server_settings(args)) as client, ProgressDisplay() as display:
        result = seed_server(
            client,
            patients=args.patients,
            seed=args.seed,
            history_years=args.history_years,
            progress=lambda done, total: display.update(tr("patients sent"), done, total),
        )
    print(tr("Seeded {server}: {result}.").format(server=client.base_url, result=result))
    return 0
