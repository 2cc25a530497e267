"""The demo generator's fast paths (demo-data speed) write exactly what the general ones do."""

from __future__ import annotations

import copy
import gc
import hashlib
import json
import math
import sqlite3
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from clinic_tui.demo import follow_ups, generator
from clinic_tui.demo.context import DemoRandom
from clinic_tui.demo.generator import DemoClinic
from clinic_tui.domain.fhir import COLUMN_EXTRACTORS, Resource
from clinic_tui.followup import fhir_shapes as shapes
from clinic_tui.followup.model import Programme
from clinic_tui.offline_cache import store
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import (
    UnknownResourceTypeError,
    bulk_load,
    bulk_rows,
    insert_bulk_rows,
    row_values,
    to_json,
)
from clinic_tui.offline_cache.tables import RESOURCE_TABLES

NOW = datetime(2026, 11, 24, 10, 30, 15, tzinfo=timezone(timedelta(hours=8)))
REGISTRIES_60_SEED_7 = "54049403cffd588fd46370cc376f3df064debc34ff635dc8f27378f92499dddc"
"""sha256 of the cache JSON of DemoClinic(patients=60, seed=7, now=NOW)'s registry records,
as generated before the demo-data speed work: the fast paths changed no byte."""


def _clinic() -> list[Resource]:
    return list(DemoClinic(patients=60, seed=7, now=NOW).resources())


def test_bulk_rows_are_row_values_of_every_resource() -> None:
    resources = [r for r in _clinic() if r["resourceType"] in COLUMN_EXTRACTORS]
    grouped = bulk_rows(resources)
    expected: dict[str, list[tuple[object, ...]]] = {}
    names: dict[str, tuple[str, ...]] = {}
    for resource in resources:
        values = row_values(resource)
        names.setdefault(resource["resourceType"], tuple(values))
        expected.setdefault(resource["resourceType"], []).append(tuple(values.values()))
    assert len(grouped) >= 10  # every kind of record a demo clinic has, not one or two
    assert {kind: (names[kind], rows) for kind, rows in expected.items()} == grouped


def test_bulk_rows_refuse_what_row_values_refuses() -> None:
    patient = next(r for r in _clinic() if r["resourceType"] == "Patient")
    without_id = {k: v for k, v in patient.items() if k != "id"}
    # The fast path is taken after the first Patient: the second is still checked.
    with pytest.raises(ValueError, match="without an id"):
        bulk_rows([patient, without_id])
    with pytest.raises(UnknownResourceTypeError):
        bulk_rows([patient, {"resourceType": "Basic", "id": "x"}])


@pytest.mark.parametrize("c_encoder", [True, False])
def test_to_json_is_compact_json_with_text_kept(
    c_encoder: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not c_encoder:
        monkeypatch.setattr(store, "_C_ENCODE", None)
    value = {
        "name": '张三 "q" \\ \n\u2028',
        "n": [1, 2.5, 1e-7, 10**20, True, None, math.inf],
        "nested": {"a": {"b": []}, "c": {}},
    }
    assert to_json(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    with pytest.raises(TypeError):
        to_json({"when": date(2026, 1, 1)})


def test_a_completed_task_is_what_the_registry_writes_and_the_open_one_is_kept() -> None:
    when = NOW
    before = shapes.next_visit_task(
        "t1", "p1", "e1", Programme.DIABETES, "enc0", date(2026, 12, 1), "org1", when
    )
    before["executionPeriod"] = {"start": "2026-11-01T08:00:00+08:00"}
    kept = copy.deepcopy(before)
    done = follow_ups._done_task(before, "enc1", when + timedelta(days=30))
    assert to_json(done) == to_json(shapes.done_task(kept, "enc1", when + timedelta(days=30)))
    assert before == kept


def test_the_registry_records_are_byte_identical_to_before() -> None:
    kinds = {"EpisodeOfCare", "QuestionnaireResponse"}
    clinic = DemoClinic(patients=60, seed=7, now=NOW)
    without = {
        r["id"] for r in DemoClinic(patients=60, seed=7, now=NOW, registries=False).resources()
    }
    added = [r for r in clinic.resources() if r["id"] not in without]
    assert kinds <= {r["resourceType"] for r in added}
    assert len(added) == 637
    digest = hashlib.sha256("".join(to_json(r) + "\n" for r in added).encode()).hexdigest()
    assert digest == REGISTRIES_60_SEED_7


def _cached(path: Path) -> dict[str, list[tuple[object, ...]]]:
    connection = sqlite3.connect(path)
    try:
        tables = [table.__table__.name for table in RESOURCE_TABLES.values()]  # type: ignore[attr-defined]
        return {
            name: connection.execute(
                f"SELECT *, typeof(resource_json) FROM {name} ORDER BY id"
            ).fetchall()
            for name in tables
        }
    finally:
        connection.close()


def test_rows_with_utf8_json_are_stored_as_the_same_text(tmp_path: Path) -> None:
    resources = [r for r in _clinic() if r["resourceType"] in COLUMN_EXTRACTORS]
    text, utf8 = bulk_rows(resources), bulk_rows(resources, utf8=True)
    assert utf8 == {
        kind: (names, [(row[0], row[1].encode(), *row[2:]) for row in rows])
        for kind, (names, rows) in text.items()
    }
    for name, rows in (("text", text), ("utf8", utf8)):
        engine = open_cache(tmp_path / name / "clinic.sqlite3")
        with bulk_load(engine, empty=True) as connection:
            assert insert_bulk_rows(connection, rows) == len(resources)
        engine.dispose()
    stored = _cached(tmp_path / "utf8" / "clinic.sqlite3")
    assert stored == _cached(tmp_path / "text" / "clinic.sqlite3")
    assert {kind for rows in stored.values() for *_, kind in rows} == {"text"}
    assert sum(len(rows) for rows in stored.values()) == len(resources)


def test_a_chunk_crosses_from_its_worker_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    clinic = DemoClinic(patients=60, seed=7, now=NOW)
    monkeypatch.setattr(generator, "_worker_clinic", clinic)
    payload = generator._chunk_rows(0, 60)
    assert isinstance(payload, bytes)
    rows, candidates = generator._unpickle_chunk(payload)
    expected: dict[int, object] = {}
    assert rows == bulk_rows(clinic.patient_resources(0, 60, expected), utf8=True)  # type: ignore[arg-type]
    assert candidates == expected
    assert candidates, "some of the 60 patients are in today's queue"


@pytest.mark.parametrize("on_before", [True, False])
def test_the_collector_pause_restores_the_collector_even_after_an_error(on_before: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if on_before else gc.disable)()
        seen: list[bool] = []

        def failing_chunk() -> None:
            with generator._collector_paused():
                seen.append(gc.isenabled())
                raise RuntimeError("a chunk failed")

        with pytest.raises(RuntimeError):
            failing_chunk()
        assert seen == [False]
        assert gc.isenabled() is on_before
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("stamp", [0, 1, generator.SERVER_ID_STAMP, (1 << 48) - 1, 1 << 48])
def test_ids_with_the_stamp_written_once_are_the_ids_spelled_out(stamp: int) -> None:
    fast, spelled = DemoRandom(42, stamp), DemoRandom(42, stamp)
    spelled._head = None  # the general spelling, digit by digit
    for _ in range(200):
        ident = fast.new_id()
        assert ident == spelled.new_id()
    if stamp < 1 << 48:
        assert str(uuid.UUID(ident)) == ident
        assert uuid.UUID(ident).version == 7
