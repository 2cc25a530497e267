"""The flow formulary and terminology share: built-in tables loaded unless the cache is busy,
and a failed write said in one line naming what and where."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from clinic_tui.commands.cache_tables import write_into
from clinic_tui.commands.formulary import load_starter_formulary
from clinic_tui.commands.terminology import load_starter_set
from clinic_tui.errors import CacheError
from clinic_tui.offline_cache.cache_file import prepare_cache


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A prepared, empty cache."""
    path = tmp_path / "clinic.sqlite3"
    prepare_cache(path)
    return path


@pytest.mark.parametrize("load", [load_starter_formulary, load_starter_set])
def test_a_built_in_table_waits_for_the_next_start_while_another_writer_holds_the_cache(
    cache: Path, load: Callable[[Path], bool]
) -> None:
    writer = sqlite3.connect(cache, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # an import running in another process
        assert load(cache) is False
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert load(cache) is True


def test_a_failed_write_names_what_and_where(cache: Path) -> None:
    def broken(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO no_such_table VALUES (1)")

    with pytest.raises(CacheError, match=r"cannot write the formulary into .*no such table"):
        write_into(cache, "the formulary", broken)


def test_other_errors_pass_through(cache: Path) -> None:
    def bad_file(_connection: sqlite3.Connection) -> None:
        raise ValueError("row 3: no strength")

    with pytest.raises(ValueError, match="row 3"):
        write_into(cache, "the formulary", bad_file)
