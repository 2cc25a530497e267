"""Referral reads the screens make without the ORM, each over its own short sqlite3 connection.

Screens never open the cache themselves (an import-linter contract keeps sqlite3 and
SQLAlchemy out of screens/ and widgets/): they are handed one of these services, built on
the cache file's path, and call it from their workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_tui.offline_cache.cache_file import connect
from clinic_tui.referral.follow_up_read import read_follow_ups_due
from clinic_tui.referral.inbox import (
    Department,
    InboxRow,
    Preview,
    read_departments,
    read_inbox,
    read_preview,
)
from clinic_tui.referral.thread_seen import count_unread_referrals, mark_seen_sqlite

if TYPE_CHECKING:
    import sqlite3

    from clinic_tui.referral.model import FollowUpItem


@contextmanager
def _reading(path: Path) -> Iterator[sqlite3.Connection]:
    # Closed on exit: a `with connection` block alone only ends a transaction.
    with closing(connect(path)) as connection:
        yield connection


class InboxReader:
    """The triage inbox of one hospital (and its departments) over one cache file."""

    def __init__(self, cache_path: Path, hospital_id: str) -> None:
        self.cache_path = cache_path
        self.hospital_id = hospital_id

    def inbox(self) -> tuple[list[InboxRow], list[Department]]:
        """The inbox's rows (one query) and the hospital's departments."""
        with _reading(self.cache_path) as connection:
            return (
                read_inbox(connection, self.hospital_id),
                read_departments(connection, self.hospital_id),
            )

    def preview(self, task_id: str) -> Preview | None:
        """The summary of one referral (see inbox.read_preview)."""
        return read_previews(self.cache_path, [task_id]).get(task_id)

    def mark_seen(self, task_id: str) -> None:
        """The expert has read the thread of `task_id`: its messages so far are seen."""
        with _reading(self.cache_path) as connection:
            mark_seen_sqlite(connection, task_id, self.hospital_id)


def read_previews(cache_path: Path, task_ids: Iterable[str]) -> dict[str, Preview]:
    """The summaries of the referrals `task_ids` that have one, by task id."""
    found: dict[str, Preview] = {}
    with _reading(cache_path) as connection:
        for task_id in task_ids:
            preview = read_preview(connection, task_id)
            if preview is not None:
                found[task_id] = preview
    return found


def queue_referral_counts(
    cache_path: Path, clinic_id: str, day: date
) -> tuple[list[FollowUpItem], int]:
    """Beside the queue's own read: follow-ups due by `day` and referrals with unread messages."""
    with _reading(cache_path) as connection:
        return (
            read_follow_ups_due(connection, clinic_id, day),
            count_unread_referrals(connection, clinic_id),
        )
