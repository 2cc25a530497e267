"""Two conflicts over the queue fixture (tests.factories.queue_day), recorded as a sync would.

王小明 (p-wang): the phone was changed here and on the server. 陈建国 (p-chen): the birth
date was changed on both sides, and the server also changed the gender (that part merges).
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import Engine, text

from clinic_tui.domain.merge import three_way_merge
from clinic_tui.offline_cache.conflicts import ConflictStore
from clinic_tui.offline_cache.store import read_resource, record_local_change

Resource = dict[str, Any]


def _conflict(
    engine: Engine, resource_id: str, mine: dict[str, Any], theirs: dict[str, Any]
) -> int:
    with engine.connect() as connection:
        base = read_resource(connection, "Patient", resource_id)
    assert base is not None
    local = copy.deepcopy(base) | mine
    record_local_change(engine, local, "update")
    remote = copy.deepcopy(base) | theirs
    remote["meta"] = {"versionId": "2", "lastUpdated": "2026-11-24T09:30:00+08:00"}
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts
    with engine.begin() as connection:
        return ConflictStore(engine).record(
            connection, "Patient", resource_id, base, local, remote, outcome.conflicts
        )


def make_conflicts(engine: Engine) -> tuple[int, int]:
    """Record the two conflicts; returns their ids (王小明's first)."""
    wang = _conflict(
        engine,
        "p-wang",
        {"telecom": [{"system": "phone", "value": "13911112222"}]},
        {"telecom": [{"system": "phone", "value": "13733334444"}]},
    )
    chen = _conflict(
        engine,
        "p-chen",
        {"birthDate": "1979-12-21"},
        {"birthDate": "1979-02-12", "gender": "other"},
    )
    with engine.begin() as connection:
        # A fixed discovery time (09:30 in the clinic), so snapshots do not depend on the day.
        connection.execute(text("UPDATE conflict SET created_at = '2026-11-24T01:30:00+00:00'"))
    return wang, chen


def make_delete_conflicts(engine: Engine) -> tuple[int, int]:
    """王小明 changed here and deleted on the server; 陈建国 deleted here, changed there (v2)."""
    from clinic_tui.offline_cache.conflicts import record_deletion_conflict

    with engine.connect() as connection:
        wang = read_resource(connection, "Patient", "p-wang")
        chen = read_resource(connection, "Patient", "p-chen")
    assert wang is not None
    assert chen is not None
    record_local_change(engine, wang | {"gender": "other"}, "update")
    record_local_change(engine, chen, "delete")
    remote = copy.deepcopy(chen) | {"birthDate": "1979-02-12"}
    remote["meta"] = {"versionId": "2", "lastUpdated": "2026-11-24T09:30:00+08:00"}
    with engine.begin() as connection:
        ids = (
            record_deletion_conflict(connection, "Patient", "p-wang", "deleted-on-server", None),
            record_deletion_conflict(connection, "Patient", "p-chen", "deleted-here", remote),
        )
        connection.execute(text("UPDATE conflict SET created_at = '2026-11-24T01:30:00+00:00'"))
    return ids
