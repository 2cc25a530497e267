"""The cache keeps FHIR JSON losslessly and writes each local change with its outbox entry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_tui.offline_cache import store
from clinic_tui.offline_cache.store import (
    UnknownResourceTypeError,
    read_resource,
    record_local_change,
    upsert_resources,
)


def _patient(**overrides: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": "p-1",
        "meta": {"versionId": "4", "lastUpdated": "2026-11-20T08:00:00+08:00"},
        "extension": [
            {"url": "http://example.org/fhir/StructureDefinition/ethnicity", "valueString": "汉族"}
        ],
        "modifierExtension": [{"url": "http://example.org/unknown-modifier", "valueBoolean": True}],
        "identifier": [{"system": "urn:oid:1.2.156.112604.1.2.1", "value": "11010519491231002X"}],
        "name": [{"family": "张", "given": ["三"]}],
        "gender": "male",
        "birthDate": "1949-12-31",
        "_birthDate": {
            "extension": [{"url": "http://example.org/birth-time", "valueTime": "08:30"}]
        },
        "contact": [{"relationship": [{"text": "女儿"}], "name": {"text": "张小红"}}],
        "someFutureElement": {"nested": [1, 2.5, None, "文字"]},
    }
    resource.update(overrides)
    return resource


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def test_fhir_json_round_trip_keeps_unknown_elements_and_extensions(engine: Engine) -> None:
    original = _patient()
    with engine.begin() as connection:
        upsert_resources(connection, [original])
    with engine.connect() as connection:
        assert read_resource(connection, "Patient", "p-1") == original


def test_local_update_keeps_elements_the_app_does_not_model(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, [_patient()])
    with engine.connect() as connection:
        edited = read_resource(connection, "Patient", "p-1")
    assert edited is not None
    edited["telecom"] = [{"system": "phone", "value": "13800138000"}]
    record_local_change(engine, edited, "update")
    with engine.connect() as connection:
        stored = read_resource(connection, "Patient", "p-1")
    assert stored == edited
    assert stored is not None
    assert stored["someFutureElement"] == {"nested": [1, 2.5, None, "文字"]}
    assert stored["_birthDate"]["extension"][0]["valueTime"] == "08:30"


def test_indexed_columns_come_from_the_json(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, [_patient()])
        row = connection.execute(
            text("SELECT name, pinyin_full, pinyin_initials, identifier, version_id FROM patient")
        ).one()
    assert tuple(row) == ("张三", "zhangsan", "zs", "11010519491231002X", "4")


def test_local_change_writes_record_and_outbox_entry_together(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, [_patient()])
    changed = _patient(gender="female")
    record_local_change(engine, changed, "update")
    with engine.connect() as connection:
        entry = connection.execute(text("SELECT * FROM outbox")).mappings().one()
        pending = connection.execute(text("SELECT pending FROM patient")).scalar_one()
    assert entry["operation"] == "update"
    assert entry["base_version"] == "4"
    assert json.loads(entry["base_json"])["gender"] == "male"
    assert entry["state"] == "pending"
    assert pending == 1


def test_failed_outbox_write_leaves_neither_record_nor_entry(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_clock() -> str:
        raise OSError("disk full")

    monkeypatch.setattr(store, "_now", broken_clock)
    new_patient = _patient(id="p-new")
    with pytest.raises(OSError, match="disk full"):
        record_local_change(engine, new_patient, "create")
    assert _count(engine, "SELECT count(*) FROM patient") == 0
    assert _count(engine, "SELECT count(*) FROM outbox") == 0


def test_failed_update_keeps_the_previous_version(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, [_patient()])

    def broken_clock() -> str:
        raise OSError("disk full")

    monkeypatch.setattr(store, "_now", broken_clock)
    with pytest.raises(OSError, match="disk full"):
        record_local_change(engine, _patient(gender="female"), "update")
    with engine.connect() as connection:
        assert read_resource(connection, "Patient", "p-1") == _patient()
    assert _count(engine, "SELECT count(*) FROM outbox") == 0


def test_create_of_an_existing_record_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, [_patient()])
    with pytest.raises(ValueError, match="already exists"):
        record_local_change(engine, _patient(), "create")
    assert _count(engine, "SELECT count(*) FROM outbox") == 0


def test_unknown_resource_type_is_refused(engine: Engine) -> None:
    with engine.begin() as connection, pytest.raises(UnknownResourceTypeError):
        upsert_resources(connection, [{"resourceType": "Basic", "id": "b"}])


def test_upsert_replaces_a_record_with_the_newer_server_version(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_resources(connection, [_patient()])
        newer = _patient(meta={"versionId": "5"}, name=[{"family": "李", "given": ["四"]}])
        upsert_resources(connection, [newer])
        assert read_resource(connection, "Patient", "p-1") == newer
    assert _count(engine, "SELECT count(*) FROM patient") == 1
