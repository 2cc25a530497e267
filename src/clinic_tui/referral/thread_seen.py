"""Which referral messages the reader of this workstation has not seen yet.

A message is new to this workstation when it came from the other side (its sender is not
this clinic, or for a hospital not the hospital or one of its departments) and arrived
after the thread was last opened here. Opening the thread records how many such messages
it had (a cache_meta row per thread, never synced), so a count is all a list compares:
robust to clocks and time zones, which the messages' own `sent` times are not.

The mark is per workstation cache, shared by the clinicians who sign in on it.
"""

from __future__ import annotations

import sqlite3

SEEN_KEY = "thread-seen:"
"""cache_meta key prefix: SEEN_KEY + Task id -> messages from the other side seen."""


def incoming_sql(task_column: str, ours: str) -> str:
    """SQL for the number of synced messages on the Task `task_column` sent by others.

    `ours` is an SQL expression that is true for a sender organization id of this side,
    written against `c.sender_org`.
    """
    return (
        f"(SELECT count(*) FROM communication AS c WHERE c.task_id = {task_column} "
        f"AND NOT c.pending AND NOT ({ours}))"
    )


def seen_sql(task_column: str) -> str:
    """SQL for how many messages from the other side were seen when the thread was opened."""
    return (
        "COALESCE((SELECT CAST(m.value AS INTEGER) FROM cache_meta AS m "
        f"WHERE m.key = '{SEEN_KEY}' || {task_column}), 0)"
    )


def unread(incoming: object, seen: object) -> int:
    """Messages not seen yet from the two counts a list read (never below 0)."""
    return max(0, int(str(incoming or 0)) - int(str(seen or 0)))


SAVE_SQL = (
    "INSERT INTO cache_meta (key, value) VALUES (:key, :value) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
"""Store the count of seen messages (works through sqlite3 and SQLAlchemy alike)."""


def mark_seen_sqlite(connection: sqlite3.Connection, task_id: str, hospital_id: str) -> None:
    """Mark the thread seen, through the triage inbox's plain sqlite3 connection.

    The hospital and its departments are this side.
    """
    units = (
        "SELECT :hospital UNION SELECT id FROM organization "
        "WHERE part_of = :hospital AND kind IS NOT 'township'"
    )
    ours = f"COALESCE(c.sender_org, '') IN ({units})"
    params = {"task": task_id, "hospital": hospital_id}
    (count,) = connection.execute(f"SELECT {incoming_sql(':task', ours)}", params).fetchone()
    with connection:
        connection.execute(SAVE_SQL, {"key": SEEN_KEY + task_id, "value": str(int(count))})


def count_unread_referrals(connection: sqlite3.Connection, clinic_id: str) -> int:
    """How many of the clinic's referrals (sent or received) hold messages not seen yet.

    Read with plain sqlite3 beside the queue's own read (R lists them, each marked).
    """
    ours = "COALESCE(c.sender_org, '') = :clinic"
    sql = (
        "SELECT count(*) FROM task AS t WHERE (t.kind = 'referral' OR (t.kind IS NULL "
        "AND EXISTS (SELECT 1 FROM service_request AS s WHERE s.id = t.focus_id))) "
        "AND (t.requester_org = :clinic OR t.owner_org = :clinic) "
        f"AND {incoming_sql('t.id', ours)} > {seen_sql('t.id')}"
    )
    try:
        (count,) = connection.execute(sql, {"clinic": clinic_id}).fetchone()
    except sqlite3.OperationalError:
        return 0  # a cache from before the referral schema: no thread to read
    return int(count)
