"""A bulk load into a new cache: indexes built after the rows, the journal kept in memory
meanwhile, and everything back as it was after the commit or the rollback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine

from clinic_tui.demo.generator import generate_demo_clinic
from clinic_tui.errors import CacheError
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import (
    bulk_insert_resources,
    bulk_load,
    indexes_built_after,
)

INDEXES_SQL = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"


def _schema(path: Path) -> tuple[list[tuple[str, str | None]], str]:
    """Every index with its definition, and the journal mode, as a new connection sees them."""
    connection = sqlite3.connect(path)
    try:
        indexes = connection.execute(INDEXES_SQL).fetchall()
        (journal,) = connection.execute("PRAGMA journal_mode").fetchone()
        return indexes, str(journal)
    finally:
        connection.close()


@pytest.fixture
def cache(tmp_path: Path) -> Engine:
    """A new, empty cache."""
    return open_cache(tmp_path / "clinic.sqlite3")


def _path(engine: Engine) -> Path:
    return Path(str(engine.url.database))


def test_a_demo_load_leaves_every_index_as_it_was_and_in_use(cache: Engine) -> None:
    before = _schema(_path(cache))
    assert before[1] == "wal"
    generate_demo_clinic(cache, patients=40, seed=3, workers=0)
    assert _schema(_path(cache)) == before
    connection = sqlite3.connect(_path(cache))
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        plan = connection.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM patient WHERE pinyin_initials = 'zs'"
        ).fetchall()
        assert "ix_patient_pinyin_initials" in str(plan)
        (found,) = connection.execute(
            "SELECT count(*) FROM patient INDEXED BY ix_patient_name WHERE name > ''"
        ).fetchone()
        (total,) = connection.execute("SELECT count(*) FROM patient").fetchone()
        assert found == total >= 40  # the index built after the load holds every row
    finally:
        connection.close()


def test_a_failed_load_is_rolled_back_with_its_indexes(cache: Engine) -> None:
    before = _schema(_path(cache))
    patient = {"resourceType": "Patient", "id": "p-1", "name": [{"text": "张三"}]}

    def load_then_fail() -> None:
        with bulk_load(cache, empty=True) as connection, indexes_built_after(connection):
            bulk_insert_resources(connection, [patient])
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        load_then_fail()
    assert _schema(_path(cache)) == before
    connection = sqlite3.connect(_path(cache))
    try:
        assert connection.execute("SELECT count(*) FROM patient").fetchone() == (0,)
    finally:
        connection.close()


def test_a_refused_second_load_changes_neither_rows_nor_indexes(cache: Engine) -> None:
    generate_demo_clinic(cache, patients=5, seed=1, workers=0)
    before = _schema(_path(cache))
    with pytest.raises(CacheError, match="only written into an empty cache"):
        generate_demo_clinic(cache, patients=5, seed=2, workers=0)
    assert _schema(_path(cache)) == before


@pytest.mark.parametrize(("empty", "during"), [(True, "memory"), (False, "wal")])
def test_only_a_load_into_an_empty_cache_leaves_the_write_ahead_log(
    cache: Engine, empty: bool, during: str
) -> None:
    with bulk_load(cache, empty=empty) as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        assert raw.execute("PRAGMA journal_mode").fetchone() == (during,)
    assert _schema(_path(cache))[1] == "wal"
