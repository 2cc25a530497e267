"""The sync badge: one line that always says whether this workstation's records reached the server.

Each state is stated in words with a text marker, so it reads the same with
NO_COLOR; colour only adds emphasis. Conflicts come first and stand out most,
because they wait for a person. The badge follows the app's `sync_state`
(attributes down); it never reads the cache or the network itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.widgets import Static

from clinic_tui.domain.record_kinds import record_kind
from clinic_tui.domain.untrusted import clean_line
from clinic_tui.i18n import N_, ngettext, tr
from clinic_tui.widgets.queue_table import UNSYNCED_MARK

CONFLICT_MARKER = "!!"
_PHASES = (N_("download"), N_("merge"), N_("upload"))
"""The sync engine's phases (SyncProgress.phase), shown through tr(state.phase)."""
"""Plain-text marker of conflicts waiting for a person (the allergy banner's alarm marker)."""
FAILED_MARKER = "x"
SYNCING_MARKER = "~"
SYNCED_MARKER = "✓"
REASON_WIDTH = 22
"""Cells of a failure reason shown in the badge; more would crowd an 80-column line."""


@dataclass(frozen=True)
class SyncState:
    """What the badge shows: the app keeps one and replaces it as sync and cache reads report."""

    server: bool = False
    """A server is configured and credentials were found (otherwise: local only)."""
    syncing: bool = False
    phase: str | None = None
    percent: int | None = None
    resource_type: str | None = None
    """The FHIR type in hand while no percentage is known (the download)."""
    pending: int = 0
    """Local changes not yet accepted by the server."""
    conflicts: int = 0
    """Conflicts waiting for a person."""
    rejected: int = 0
    """Changes the server refused (quarantined), part of `pending`."""
    error: str | None = None
    """Why the last round failed; None after a good one."""
    busy: bool = False
    """The last round was skipped: another window or process was syncing this cache."""
    last_synced: datetime | None = None
    """End of the last successful round."""
    today: date | None = None
    """The app's 'today', so an old sync shows its date."""


def _short(reason: str) -> str:
    line = reason.strip().splitlines()[0] if reason.strip() else ""
    # A server's error is its words, not ours: controls made visible, bidi removed.
    line = clean_line(line[: 4 * REASON_WIDTH])
    # Cut by terminal cells, not characters: a Chinese reason is twice as wide.
    if cell_len(line) <= REASON_WIDTH:
        return line
    return set_cell_size(line, REASON_WIDTH - 1).rstrip() + "…"


def badge_parts(
    state: SyncState, *, compact: bool = False, conflicts_key: str | None = None
) -> list[tuple[str, str]]:
    """(text, css class) for each part of the badge, most urgent first (only that if compact).

    `conflicts_key` is the key that opens the conflicts screen where the badge is shown.
    """
    parts: list[tuple[str, str]] = []
    if state.conflicts:
        count = ngettext("{count} conflict", "{count} conflicts", state.conflicts)
        words = f"{CONFLICT_MARKER} {count.format(count=state.conflicts)}"
        if conflicts_key:
            words += f" [{conflicts_key}]"
        parts.append((words, "-conflicts"))
    if state.syncing:
        words = f"{SYNCING_MARKER} {tr('Syncing')}"
        if state.percent is not None:
            words += f" {state.percent}%"
        if state.phase:
            words += f" {tr(state.phase)}"
        if state.percent is None and state.resource_type:
            words += f" {record_kind(state.resource_type)}"
        parts.append((words, "-syncing"))
    elif state.busy:
        # Waiting, not failing: the other round brings the shared cache up to date.
        parts.append((f"{SYNCING_MARKER} {tr('Another window is syncing this cache')}", "-syncing"))
    elif state.error:
        parts.append((f"{FAILED_MARKER} {tr('Sync failed')}: {_short(state.error)}", "-failed"))
    if state.rejected:
        parts.append((f"{FAILED_MARKER} {state.rejected} {tr('rejected')}", "-failed"))
    if state.pending and not state.syncing:  # the count moves during a round; shown after it
        parts.append((f"{UNSYNCED_MARK} {state.pending} {tr('unsynced')}", "-unsynced"))
    if not state.server:
        # Alone, the badge says why; beside counts, one word is enough at 80 columns.
        words = tr("Offline") if parts or compact else tr("Offline · no server configured")
        parts.append((words, "-offline"))
    elif not (state.syncing or state.busy or state.error or state.pending or state.conflicts):
        parts.append(_synced(state))
    return parts[:1] if compact else parts


def _synced(state: SyncState) -> tuple[str, str]:
    if state.last_synced is None:
        return (tr("Not synced yet"), "-offline")
    when = state.last_synced
    stamp = f"{when:%H:%M}" if state.today in (None, when.date()) else f"{when:%m-%d %H:%M}"
    return (f"{SYNCED_MARKER} {tr('Synced')} {stamp}", "-synced")


_STYLES = {
    "-conflicts": "bold reverse",
    "-failed": "bold",
    "-unsynced": "bold",
    "-syncing": "",
    "-synced": "",
    "-offline": "",
}


class SyncBadge(Static):
    """Sync state in words: conflicts, syncing with progress, failure, unsynced, synced, offline."""

    DEFAULT_CSS = """
    SyncBadge {
        width: auto;
        height: 1;
        color: $text-success;
    }
    SyncBadge.-offline, SyncBadge.-syncing {
        color: $text-muted;
    }
    SyncBadge.-unsynced {
        color: $text-warning;
    }
    SyncBadge.-failed, SyncBadge.-conflicts {
        color: $text-error;
    }
    """

    def __init__(
        self,
        *,
        compact: bool = False,
        conflicts_key: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.state = SyncState()
        """The state on display."""
        self.compact = compact
        """Show only the most urgent part (where the badge shares a line with the footer)."""
        self.conflicts_key = conflicts_key
        """The key that opens the conflicts screen from here, named beside the count."""

    def on_mount(self) -> None:
        """Follow the app's sync state when it keeps one (test hosts may not)."""
        if hasattr(self.app, "sync_state"):
            self.watch(self.app, "sync_state", self.show, init=True)
        else:
            self.show(self.state)

    def show(self, state: SyncState) -> None:
        """Render `state`; the most urgent part sets the colour class."""
        self.state = state
        parts = badge_parts(state, compact=self.compact, conflicts_key=self.conflicts_key)
        text = Text()
        for index, (words, part_class) in enumerate(parts):
            if index:
                text.append(" · ")
            text.append(words, style=_STYLES[part_class])
        self.update(text)
        self.remove_class(*_STYLES)
        if parts:
            self.add_class(parts[0][1])

    @property
    def words(self) -> str:
        """The badge as plain text (what a screen reader or a test sees)."""
        parts = badge_parts(self.state, compact=self.compact, conflicts_key=self.conflicts_key)
        return " · ".join(words for words, _ in parts)
