"""One sync round for a running workstation: settings -> client -> SyncEngine, no exceptions.

The TUI's background worker calls `sync_round` with a client factory (the CLI's
commands.connection.open_client: settings + stored credentials). The expected
failures (no server, no credentials, unreachable, refused token) come back as a short
reason in `RoundResult.error`, for the badge to show. A sync already running on the same
cache (another window of `clinic-tui serve`, a scheduled `clinic-tui sync`) is no
failure: that round is skipped and says so in `RoundResult.busy`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clinic_tui.errors import ClinicError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from clinic_tui.config import Settings
    from clinic_tui.sync.client import FhirClient


@dataclass(frozen=True)
class RoundResult:
    """What one round did, in plain values the UI can show."""

    error: str | None = None
    """Why the round could not sync at all; None when it ran."""
    busy: bool = False
    """Skipped: another process holds this cache's sync lock and is syncing it now."""
    changed: bool = False
    """Records were uploaded, downloaded or deleted."""
    complete: bool = True
    conflicts: int = 0
    rejected: int = 0
    problems: tuple[str, ...] = ()
    """Per-page or per-resource errors of a round that otherwise ran."""


def short_reason(error: BaseException) -> str:
    """The first line of an error, as the badge shows it."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def sync_round(
    engine: Engine,
    settings: Settings,
    *,
    clinic_id: str | None,
    client_factory: Callable[[Settings], FhirClient],
    progress: Callable[[Any], None] | None = None,
    cancel: threading.Event | None = None,
) -> RoundResult:
    """Download, merge, then upload, once; failures to sync at all become `RoundResult.error`."""
    from clinic_tui.sync.engine import SyncEngine
    from clinic_tui.sync.sync_lock import SyncBusyError

    try:
        client = client_factory(settings)
    except ClinicError as error:
        return RoundResult(error=short_reason(error))
    try:
        report = SyncEngine(
            engine, client, clinic_id=clinic_id, encounter_days=settings.sync_encounter_days
        ).run(progress=progress, cancel=cancel)
    except SyncBusyError:
        # That process's round brings this cache up to date: nothing failed here.
        return RoundResult(busy=True)
    except ClinicError as error:  # unreachable, refused credentials
        return RoundResult(error=short_reason(error))
    finally:
        client.close()
    return RoundResult(
        changed=bool(report.uploaded or report.downloaded or report.deleted),
        complete=report.complete,
        conflicts=report.conflicts,
        rejected=report.rejected,
        problems=tuple(report.errors),
    )
