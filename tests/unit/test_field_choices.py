"""Field-by-field resolution: each disputed field takes the side a person chose, on top of the
three-way merge; a field without a choice refuses the whole resolution (nothing guessed)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.domain.merge import UnchosenFieldsError, merge_choosing, three_way_merge
from clinic_tui.offline_cache.conflicts import ConflictStore
from clinic_tui.offline_cache.store import read_resource, record_local_change, upsert_resources

Resource = dict[str, Any]


def _patient(version: str) -> Resource:
    return {
        "resourceType": "Patient",
        "id": "p-1",
        "meta": {"versionId": version},
        "name": [{"text": "王小明"}],
        "gender": "male",
        "birthDate": "1990-03-07",
        "telecom": [{"system": "phone", "value": "13800000000"}],
    }


BASE = _patient("1")
LOCAL = BASE | {"birthDate": "1990-03-08", "telecom": [{"system": "phone", "value": "139"}]}
REMOTE = _patient("2") | {
    "birthDate": "1991-01-01",
    "telecom": [{"system": "phone", "value": "137"}],
    "maritalStatus": {"text": "married"},
}
PATHS = {"birthDate", "telecom[system=phone].value"}


def test_each_disputed_field_takes_the_chosen_side_and_the_rest_merges() -> None:
    assert {c.path for c in three_way_merge(BASE, LOCAL, REMOTE).conflicts} == PATHS
    merged = merge_choosing(
        BASE, LOCAL, REMOTE, {"birthDate": "theirs", "telecom[system=phone].value": "mine"}
    )
    assert merged["birthDate"] == "1991-01-01"
    assert merged["telecom"] == [{"system": "phone", "value": "139"}]
    assert merged["maritalStatus"] == {"text": "married"}  # changed only on the server
    assert merged["meta"] == {"versionId": "2"}


def test_a_field_without_a_choice_refuses_the_merge() -> None:
    with pytest.raises(UnchosenFieldsError) as refused:
        merge_choosing(BASE, LOCAL, REMOTE, {"birthDate": "mine"})
    assert refused.value.paths == ["telecom[system=phone].value"]


@pytest.fixture
def in_conflict(engine: Engine) -> tuple[ConflictStore, int]:
    with engine.begin() as connection:
        upsert_resources(connection, [copy.deepcopy(BASE)])
    record_local_change(engine, copy.deepcopy(LOCAL), "update")
    outcome = three_way_merge(BASE, LOCAL, REMOTE)
    store = ConflictStore(engine)
    with engine.begin() as connection:
        conflict_id = store.record(
            connection, "Patient", "p-1", BASE, LOCAL, REMOTE, outcome.conflicts
        )
    return store, conflict_id


def _outbox(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT operation, base_version FROM outbox")).all()
    return [tuple(row) for row in rows]


def test_store_resolves_field_by_field_as_one_update_on_the_server_version(
    engine: Engine, in_conflict: tuple[ConflictStore, int]
) -> None:
    store, conflict_id = in_conflict
    store.resolve(
        conflict_id,
        "fields",
        choices={"birthDate": "theirs", "telecom[system=phone].value": "mine"},
    )
    with engine.connect() as connection:
        resource = read_resource(connection, "Patient", "p-1")
    assert resource is not None
    assert (resource["birthDate"], resource["telecom"][0]["value"]) == ("1991-01-01", "139")
    assert _outbox(engine) == [("update", "2")]
    assert store.count() == 0


def test_store_refuses_missing_choices_and_changes_nothing(
    engine: Engine, in_conflict: tuple[ConflictStore, int]
) -> None:
    store, conflict_id = in_conflict
    with pytest.raises(ValueError, match="choice"):
        store.resolve(conflict_id, "fields")
    with pytest.raises(UnchosenFieldsError):
        store.resolve(conflict_id, "fields", choices={"birthDate": "mine"})
    assert store.count() == 1
    assert _outbox(engine) == [("update", "1")]
