"""`clinic-tui status`: the cache's sync state, offline (no network, no credentials).

`--json` prints one object with stable keys: server, cache, last_sync, pending,
conflicts, rejected, records (resource type -> count), server_notes (what the server
cannot do that limits the sync, e.g. no _history), refused_downloads (server records the
download refused, newest first: {resource, reason, at}), clinical_content (rule table -> the
content version in force, which each signed MedicationRequest also records).

Every text that came from the server is cleaned (domain.untrusted) and printed as Rich
Text, never as markup.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from clinic_tui.commands.cli import server_options, server_settings, subcommand
from clinic_tui.commands.encrypt import unlock_for
from clinic_tui.config import Settings
from clinic_tui.domain.untrusted import clean_line
from clinic_tui.i18n import tr


def collect_status(settings: Settings) -> dict[str, Any]:
    """The status as plain values, read without writing; an absent cache is not created."""
    from clinic_tui.locations import cache_path
    from clinic_tui.prescribing.content import content_versions

    path = cache_path(settings.data_dir)
    found: dict[str, Any] = {
        "clinical_content": content_versions(),
        "server": settings.server_url,
        "cache": str(path),
        "cache_exists": path.exists(),
        "last_sync": None,
        "pending": 0,
        "conflicts": 0,
        "rejected": 0,
        "records": {},
        "server_notes": [],
        "refused_downloads": [],
    }
    if not path.exists():
        return found
    from clinic_tui.offline_cache.cache_file import (
        CacheUpgradeError,
        is_empty_cache,
        prepare_cache,
    )
    from clinic_tui.offline_cache.engine import open_cache_read_only
    from clinic_tui.sync.engine import sync_status

    # Read-only, so a look at the cache works where the folder or file cannot be written.
    try:
        engine = open_cache_read_only(path)
    except CacheUpgradeError:
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise
        prepare_cache(path)  # upgraded in place, as any clinic-tui command opening it would
        engine = open_cache_read_only(path)
    if is_empty_cache(path):
        engine.dispose()
        return found  # made but never filled (nor migrated): nothing to count
    try:
        status = sync_status(engine)
    finally:
        engine.dispose()
    found.update(
        last_sync=status.last_sync,
        pending=status.pending,
        conflicts=status.conflicts,
        rejected=status.quarantined,
        records=dict(sorted(status.records.items())),
        server_notes=[clean_line(note) for note in status.notes],
        refused_downloads=[
            {"resource": r.resource, "reason": r.reason, "at": r.at} for r in status.refused
        ],
    )
    return found


def _human(found: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    def cell(value: str) -> Text:
        # Data, never markup: a path or a server's words may hold "[" and "]".
        return Text(clean_line(value))

    console = Console()
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row(tr("Server"), cell(found["server"] or tr("(none: run clinic-tui login)")))
    cache = found["cache"] + ("" if found["cache_exists"] else tr(" (not created yet)"))
    summary.add_row(tr("Cache"), cell(cache))
    summary.add_row(tr("Last successful sync"), cell(found["last_sync"] or tr("never")))
    summary.add_row(tr("Changes waiting to upload"), f"{found['pending']:,}")
    summary.add_row(tr("Conflicts to resolve"), f"{found['conflicts']:,}")
    summary.add_row(tr("Changes the server rejected"), f"{found['rejected']:,}")
    summary.add_row(tr("Server records refused"), f"{len(found['refused_downloads']):,}")
    for note in found["server_notes"]:
        summary.add_row(tr("Note"), cell(note))
    from clinic_tui.prescribing.content import content_version_text

    summary.add_row(tr("Clinical content"), content_version_text(found["clinical_content"]))
    console.print(summary)
    refused = found["refused_downloads"]
    if refused:
        table = Table(title=tr("Refused from the server (not cached)"))
        table.add_column(tr("Record"), overflow="fold")
        table.add_column(tr("Why"), overflow="fold")
        for entry in refused[:_REFUSED_SHOWN]:
            table.add_row(cell(entry["resource"]), cell(entry["reason"]))
        console.print(table)
        if len(refused) > _REFUSED_SHOWN:
            more = len(refused) - _REFUSED_SHOWN
            console.print(
                Text(tr("  ... and {count} more (clinic-tui status --json lists them all)")
                     .format(count=more))
            )  # fmt: skip
    if found["records"]:
        counts = Table(title=tr("Cached records"))
        counts.add_column(tr("Kind of record"))
        counts.add_column(tr("Records"), justify="right")
        from clinic_tui.domain.record_kinds import record_kind, record_order

        # In the clinician's words ('Visits', '就诊记录'), patients first; --json keeps the
        # FHIR type names.
        for resource_type, count in sorted(found["records"].items(), key=record_order):
            counts.add_row(cell(record_kind(resource_type)), f"{count:,}")
        console.print(counts)


_REFUSED_SHOWN = 20
"""Refusals listed by the human status; --json has them all."""


def show_status(settings: Settings, *, as_json: bool = False) -> int:
    """Print the status; exit 0 (status is informational, whatever it shows)."""
    found = collect_status(settings)
    if as_json:
        print(json.dumps(found, indent=2, sort_keys=True))
    else:
        _human(found)
    return 0


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `status` command."""
    status = subcommand(
        commands,
        "status",
        parents=[common, server_options()],
        help=tr("what waits to sync, conflicts and record counts (offline)"),
        description=tr(
            "Show the cache's sync state without the network: last successful sync, changes "
            "waiting to upload, conflicts, rejected changes and records per type. Only reads "
            "the cache, so it works on a cache in a read-only folder."
        ),
    )
    status.add_argument("--json", action="store_true", help=tr("machine-readable output"))


def run(args: argparse.Namespace) -> int:
    """Show the status of the unlocked cache."""
    unlock_for(args)
    return show_status(server_settings(args), as_json=args.json)
