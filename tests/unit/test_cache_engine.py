"""Opening a cache: migrations, and refusing files that are not ours without touching them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from clinic_tui.errors import CacheError
from clinic_tui.offline_cache import tables  # noqa: F401  (registers the tables' metadata)
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.migrations import APPLICATION_ID, LATEST_VERSION, migrate


def _v1_cache_with_a_patient(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, target=1)
    connection.execute(
        "INSERT INTO patient (id, resource_json, name, family, given) VALUES (?, ?, ?, ?, ?)",
        ("p-1", '{"resourceType":"Patient","id":"p-1"}', "王小明", "王", "小明"),
    )
    connection.execute(
        "INSERT INTO outbox (resource_type, resource_id, operation, created_at)"
        " VALUES ('Patient', 'p-1', 'create', '2026-01-01T00:00:00+00:00')"
    )
    connection.close()


def test_new_cache_is_at_the_latest_schema_in_wal_mode(cache_file: Path) -> None:
    engine = open_cache(cache_file)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA user_version")).scalar_one() == LATEST_VERSION
        assert connection.execute(text("PRAGMA application_id")).scalar_one() == APPLICATION_ID
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


# Expression indexes (lower(family)) cannot be reflected; the SQLModel side has none of them.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")
def test_migrated_schema_matches_the_sqlmodel_tables(cache_file: Path) -> None:
    engine = open_cache(cache_file)
    inspector = inspect(engine)
    for table in SQLModel.metadata.sorted_tables:
        migrated = {column["name"] for column in inspector.get_columns(table.name)}
        assert migrated == set(table.columns.keys()), table.name
        indexed = {tuple(index["column_names"]) for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            assert tuple(column.name for column in index.columns) in indexed, index.name


def test_previous_schema_migrates_and_keeps_every_record(cache_file: Path) -> None:
    _v1_cache_with_a_patient(cache_file)
    engine = open_cache(cache_file)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT name, pinyin_full, pinyin_initials, resource_json FROM patient")
        ).one()
        outbox = connection.execute(text("SELECT count(*) FROM outbox")).scalar_one()
        version = connection.execute(text("PRAGMA user_version")).scalar_one()
    assert tuple(row) == ("王小明", "wangxiaoming", "wxm", '{"resourceType":"Patient","id":"p-1"}')
    assert outbox == 1
    assert version == LATEST_VERSION


def test_the_given_name_pinyin_is_filled_in_on_upgrade(cache_file: Path) -> None:
    _v1_cache_with_a_patient(cache_file)  # 王小明, written before the column existed
    engine = open_cache(cache_file)
    with engine.connect() as connection:
        given = connection.execute(text("SELECT pinyin_given FROM patient")).scalar_one()
    assert given == "xiaoming"


def test_reopening_a_current_cache_changes_nothing(cache_file: Path) -> None:
    open_cache(cache_file).dispose()
    engine = open_cache(cache_file)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA user_version")).scalar_one() == LATEST_VERSION


def test_a_failing_migration_leaves_the_old_schema(
    cache_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinic_tui.offline_cache import migrations

    _v1_cache_with_a_patient(cache_file)

    def broken_step(connection: sqlite3.Connection) -> None:
        connection.execute("ALTER TABLE patient ADD COLUMN half_done TEXT")
        raise sqlite3.OperationalError("simulated failure half way")

    monkeypatch.setattr(migrations, "MIGRATIONS", [migrations.MIGRATIONS[0], broken_step])
    with pytest.raises(CacheError, match="simulated failure"):
        open_cache(cache_file)
    connection = sqlite3.connect(cache_file)
    columns = {row[1] for row in connection.execute("PRAGMA table_info(patient)")}
    assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
    connection.close()
    assert "half_done" not in columns


def test_a_file_that_is_not_a_database_is_refused_and_untouched(cache_file: Path) -> None:
    cache_file.parent.mkdir(parents=True)
    cache_file.write_bytes(b"these are somebody's notes, not a cache\n" * 100)
    before = cache_file.read_bytes()
    with pytest.raises(CacheError, match="not a clinic-tui cache"):
        open_cache(cache_file)
    assert cache_file.read_bytes() == before


def test_a_damaged_database_is_refused_and_untouched(cache_file: Path) -> None:
    cache_file.parent.mkdir(parents=True)
    cache_file.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    before = cache_file.read_bytes()
    with pytest.raises(CacheError, match="damaged"):
        open_cache(cache_file)
    assert cache_file.read_bytes() == before


def test_another_programs_database_is_refused_and_untouched(cache_file: Path) -> None:
    cache_file.parent.mkdir(parents=True)
    connection = sqlite3.connect(cache_file)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    connection.commit()
    connection.close()
    before = cache_file.read_bytes()
    with pytest.raises(CacheError, match="another program"):
        open_cache(cache_file)
    assert cache_file.read_bytes() == before


def test_a_cache_from_a_newer_version_is_refused_and_untouched(cache_file: Path) -> None:
    open_cache(cache_file).dispose()
    connection = sqlite3.connect(cache_file)
    connection.execute(f"PRAGMA user_version = {LATEST_VERSION + 7}")
    connection.commit()
    connection.close()
    before = cache_file.read_bytes()
    with pytest.raises(CacheError, match="newer clinic-tui"):
        open_cache(cache_file)
    assert cache_file.read_bytes() == before


def test_a_data_directory_that_cannot_be_created_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data directory should be")
    with pytest.raises(CacheError, match="cannot create data directory"):
        open_cache(blocker / "clinic.sqlite3")
    assert blocker.read_text() == "a file where the data directory should be"
