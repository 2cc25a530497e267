"""What the cache remembers about the server's `_history`, and says in `status`.

System-level history (`GET [base]/_history`) and type-level history are optional in
FHIR R4 (CapabilityStatement `history-system`, `history-type`). A server without them
may refuse, answer 404, or answer an empty searchset; only a Bundle of type `history`
is read as history (sync/feed.py, sync/download.py). When system history is missing,
rounds use the per-type searches and the feed is not asked again for a day; when
type history is missing, that type's server deletions cannot be seen, and `status`
says so instead of pretending the cache is complete.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clinic_tui.offline_cache.tables import CacheMeta
from clinic_tui.sync.download import DownloadResult
from clinic_tui.sync.versions import instant

NO_SYSTEM_HISTORY_KEY = "server_no_system_history"
"""cache_meta: JSON {"since": instant, "reason": text} while the server lacks system history."""
UNSEEN_DELETES_KEY = "server_unseen_deletes"
"""cache_meta: JSON {type: reason} of types whose server deletions cannot be seen."""
RETRY_AFTER = timedelta(days=1)
"""A server upgrade may add history: ask again after this long."""

_META: Any = CacheMeta.__table__  # type: ignore[attr-defined]


def _read(engine: Engine, key: str) -> Any:
    with engine.connect() as connection:
        found = connection.execute(
            select(_META.c.value).where(_META.c.key == key)
        ).scalar_one_or_none()
    if found is None:
        return None
    try:
        return json.loads(found)
    except ValueError:
        return None


def _write(engine: Engine, key: str, value: Any) -> None:
    with engine.begin() as connection:
        if value is None:
            connection.execute(delete(_META).where(_META.c.key == key))
            return
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        statement = sqlite_insert(_META).values(key=key, value=text)
        connection.execute(
            statement.on_conflict_do_update(index_elements=["key"], set_={"value": text})
        )


def _now() -> datetime:
    return datetime.now(UTC)


def system_history_worth_asking(engine: Engine, now: datetime | None = None) -> bool:
    """False for a day after the server showed it has no system-level history."""
    known = _read(engine, NO_SYSTEM_HISTORY_KEY)
    since = instant(known.get("since")) if isinstance(known, dict) else None
    return since is None or (now or _now()) - since >= RETRY_AFTER


def remember_no_system_history(engine: Engine, reason: str) -> None:
    """The server answered `_history` with something other than history."""
    _write(engine, NO_SYSTEM_HISTORY_KEY, {"since": _now().isoformat(), "reason": reason})


def forget_no_system_history(engine: Engine) -> None:
    """The server answered system history after all (it was upgraded)."""
    if _read(engine, NO_SYSTEM_HISTORY_KEY) is not None:
        _write(engine, NO_SYSTEM_HISTORY_KEY, None)


def remember_unseen_deletes(engine: Engine, result: DownloadResult) -> None:
    """Record which types' deletions the server could not show in this download."""
    scanned = {
        kind: found.deletes_unseen
        for kind, found in result.types.items()
        if found.error is None and found.pages > 0
    }
    if not scanned:
        return
    known = _read(engine, UNSEEN_DELETES_KEY)
    unseen: dict[str, str] = dict(known) if isinstance(known, dict) else {}
    for kind, reason in scanned.items():
        if reason is None:
            unseen.pop(kind, None)
        else:
            unseen[kind] = reason
    if unseen != (known or {}):
        _write(engine, UNSEEN_DELETES_KEY, unseen or None)


def history_notes(engine: Engine) -> list[str]:
    """Plain sentences on what the server's missing history means for this cache."""
    notes = []
    system = _read(engine, NO_SYSTEM_HISTORY_KEY)
    if isinstance(system, dict):
        notes.append(
            "the server has no system-level _history: each round searches every type "
            f"({system.get('reason', '')})"
        )
    unseen = _read(engine, UNSEEN_DELETES_KEY)
    if isinstance(unseen, dict) and unseen:
        kinds = ", ".join(sorted(unseen))
        notes.append(
            f"the server has no _history for {kinds}: records deleted there stay in this cache"
        )
    return notes
