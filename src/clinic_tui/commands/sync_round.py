"""`clinic-tui sync`: one headless round, with progress on stderr and a meaningful exit code.

Exit 0: everything synced. 1: the round finished but conflicts or rejected changes
wait for a person (or part of it failed and will be retried). 2: it could not sync at
all (server unreachable, credentials refused), raised as a FhirError.
"""

from __future__ import annotations

import argparse
from typing import Any

from clinic_tui.commands.cli import server_options, server_settings, subcommand
from clinic_tui.commands.connection import open_client
from clinic_tui.commands.encrypt import unlock_for
from clinic_tui.commands.progress import ProgressDisplay
from clinic_tui.config import Settings
from clinic_tui.domain.record_kinds import record_kind
from clinic_tui.domain.untrusted import clean_line
from clinic_tui.i18n import N_, tr

# The sync engine's phase names, as the progress line shows them.
SYNC_PHASES = {"download": N_("download"), "merge": N_("merge"), "upload": N_("upload")}

ERROR_LINE_LIMIT = 500
"""Characters of one error line printed (a server may say much more)."""
SYNCED = 0
NEEDS_ATTENTION = 1


def describe(report: Any) -> str:
    """One line saying what the round did."""
    parts = [
        tr("{count:,} uploaded").format(count=report.uploaded),
        tr("{count:,} downloaded").format(count=report.downloaded),
        tr("{count:,} deleted").format(count=report.deleted),
    ]
    if report.conflicts:
        parts.append(tr("{count:,} conflicts to resolve").format(count=report.conflicts))
    if report.rejected:
        parts.append(tr("{count:,} changes rejected by the server").format(count=report.rejected))
    return tr(", ").join(parts)


def exit_code(report: Any) -> int:
    """0 when everything is synced, 1 when something waits for a person or a retry."""
    if report.conflicts or report.rejected or report.errors or not report.complete:
        return NEEDS_ATTENTION
    return SYNCED


def progress_words(progress: Any) -> tuple[str, str]:
    """The progress line's step (the phase and the kind of record, in a clinician's words in
    the session's language, never a FHIR type name) and its detail."""
    step = tr(SYNC_PHASES.get(progress.phase, progress.phase))
    if progress.resource_type:
        step = f"{step} {record_kind(progress.resource_type)}"
    return step, progress.message


def run_sync(settings: Settings) -> int:
    """One sync round of the cache in settings.data_dir with the configured server."""
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.engine import open_cache
    from clinic_tui.sync.engine import SyncEngine, SyncProgress

    client = open_client(settings)  # first: a missing server or credential creates nothing
    engine = open_cache(cache_path(settings.data_dir))
    try:
        with client, ProgressDisplay() as display:

            def show(progress: SyncProgress) -> None:
                if progress.phase == "done":
                    return  # the summary line says it
                step, detail = progress_words(progress)
                display.update(step, progress.done, progress.total, detail)

            sync = SyncEngine(
                engine,
                client,
                clinic_id=settings.clinic_id,
                encounter_days=settings.sync_encounter_days,
            )
            report = sync.run(progress=show)
    finally:
        engine.dispose()
    for line in report_lines(report):
        print(line)
    return exit_code(report)


def report_lines(report: Any) -> list[str]:
    """What `sync` prints after a round: the summary, then at most ten error lines."""
    code = exit_code(report)
    lines = [tr("Synced: " if code == SYNCED else "Synced with problems: ") + describe(report)]
    # The server's words (OperationOutcome text, ids): one clean line each.
    lines.extend(f"  {clean_line(error, ERROR_LINE_LIMIT)}" for error in report.errors[:10])
    if len(report.errors) > 10:
        lines.append(tr("  ... and {count} more").format(count=len(report.errors) - 10))
    if report.conflicts or report.rejected:
        lines.append(tr("Open clinic-tui to resolve conflicts and review rejected changes."))
    return lines


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `sync` command."""
    subcommand(
        commands,
        "sync",
        parents=[common, server_options()],
        help=tr("one sync round with the server, headless"),
        description=tr(
            "Upload local changes, then download the server's. Exit 0: everything synced; 1: "
            "finished with conflicts or rejected changes to look at; 2: could not sync."
        ),
    )


def run(args: argparse.Namespace) -> int:
    """One sync round on the unlocked cache."""
    unlock_for(args)
    return run_sync(server_settings(args))
