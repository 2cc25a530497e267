"""The short crash harness: 3 killed-and-restarted syncs and 2 killed workstations (`make crash`
runs the full one). The checker itself is shown to catch a change that never went up."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic_tui.locations import cache_path
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import read_resource, write_local_change
from tests.crash import harness
from tests.crash.tui_kill import _check as check_tui_cache
from tests.crash.tui_kill import _rows, run_tui_trials

SEED = 7


@pytest.fixture(scope="module")
def crash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.Server]:
    """A seeded server of this module's own: the checks compare everything on it."""
    workdir = tmp_path_factory.mktemp("crash-server")
    with harness.fhir_server(workdir) as server:
        harness.seed_server(server, workdir)
        yield server


def test_killed_syncs_lose_and_duplicate_nothing(
    crash_server: harness.Server, tmp_path: Path
) -> None:
    results = harness.run_sync_trials(3, SEED, 3.0, tmp_path, crash_server)
    assert [r.violations for r in results] == [[], [], []]
    assert sum(r.kills for r in results) >= 1, "no kill landed: the trials proved nothing"

    # The checker catches a local edit that was never uploaded.
    data = tmp_path / "trial-000"
    engine = open_cache(cache_path(data))
    try:
        with engine.begin() as connection:
            patient_id = connection.exec_driver_sql("SELECT id FROM patient LIMIT 1").scalar_one()
            resource = read_resource(connection, "Patient", patient_id)
            assert resource is not None
            resource["gender"] = "other" if resource.get("gender") != "other" else "male"
            write_local_change(connection, resource, "update")
    finally:
        engine.dispose()
    expected = harness.Expected(edits=[("Patient", patient_id, "gender", resource["gender"])])
    with crash_server.client() as http:
        problems = harness.check(cache_path(data), http, expected)
    assert f"Patient/{patient_id}: local gender reached the server 0 times" in problems
    assert any(p.startswith(f"outbox still holds Patient/{patient_id}") for p in problems)
    assert f"Patient/{patient_id}: cache differs from the server" in problems


def test_a_killed_workstation_leaves_whole_edits(tmp_path: Path) -> None:
    results = run_tui_trials(2, SEED, tmp_path, None)
    assert [r.violations for r in results] == [[], []]

    # The checker catches a record changed without its outbox entry.
    path = cache_path(tmp_path / "tui-000")
    before = _rows(path)
    engine = open_cache(path)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE encounter SET resource_json = json_set(resource_json, '$.status', ?) "
                "WHERE id = (SELECT id FROM encounter WHERE pending = 0 LIMIT 1)",
                (random.Random(SEED).choice(["finished", "cancelled"]),),
            )
    finally:
        engine.dispose()
    problems = check_tui_cache(path, before)
    assert any("changed without its unsynced mark and outbox entry" in p for p in problems)
