"""`clinic-tui status` reads the cache without writing; bad paths are errors, not exit 0."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine

from clinic_tui.offline_cache.migrations import LATEST_VERSION, migrate
from clinic_tui.offline_cache.store import record_local_change
from tests.conftest import Cli


@contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """Make `folder` unwritable for this process: mode 0555, or for root the immutable flag."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    # Root ignores permission bits; the immutable attribute binds root too.
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], check=False).returncode:
        pytest.skip("cannot make a folder read-only for root here (no chattr +i)")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_status_reads_a_cache_in_a_read_only_folder(
    engine: Engine, cache_file: Path, cli: Cli
) -> None:
    patient = {"resourceType": "Patient", "id": "p-1", "name": [{"text": "王芳"}]}
    record_local_change(engine, patient, "create")
    engine.dispose()
    folder = cache_file.parent
    before = _snapshot(folder)
    with read_only_folder(folder):
        assert not os.access(folder, os.W_OK)
        code, out, err = cli("status", "--json", "--data-dir", str(folder))
    assert (code, err) == (0, "")
    found = json.loads(out)
    assert found["pending"] == 1
    assert found["records"]["Patient"] == 1
    assert _snapshot(folder) == before


def test_status_changes_nothing_in_a_writable_folder(
    engine: Engine, cache_file: Path, cli: Cli
) -> None:
    engine.dispose()
    before = cache_file.read_bytes()
    code, _, _ = cli("status", "--data-dir", str(cache_file.parent))
    assert code == 0
    # (A read-only SQLite connection may leave an empty -wal and its -shm index behind.)
    assert cache_file.read_bytes() == before


def test_status_upgrades_an_older_cache_where_it_may_write(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "clinic.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, target=1)
    connection.close()
    code, out, _ = cli("status", "--json", "--data-dir", str(tmp_path))
    assert code == 0
    assert json.loads(out)["pending"] == 0
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    connection.close()


def test_status_of_an_older_cache_in_a_read_only_folder_says_why_not(
    tmp_path: Path, cli: Cli
) -> None:
    path = tmp_path / "data" / "clinic.sqlite3"
    path.parent.mkdir()
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, target=1)
    connection.close()
    with read_only_folder(path.parent):
        code, out, err = cli("status", "--data-dir", str(path.parent))
    assert code == 3
    assert out == ""
    assert "written by an older clinic-tui (schema 1" in err
    assert err.count("\n") == 1


def test_status_of_an_empty_cache_file_counts_nothing(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "clinic.sqlite3").write_bytes(b"")
    code, out, _ = cli("status", "--json", "--data-dir", str(tmp_path))
    assert code == 0
    assert json.loads(out)["cache_exists"] is True
    assert (tmp_path / "clinic.sqlite3").read_bytes() == b""


@pytest.mark.parametrize("command", ["status", "sync", "demo-data", "run"])
def test_a_data_dir_that_is_a_file_is_an_error(command: str, tmp_path: Path, cli: Cli) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    code, out, err = cli(command, "--data-dir", str(a_file))
    assert code == 2
    assert out == ""
    assert err == (
        f"clinic-tui: {a_file} is a file, not a folder: the cache needs a folder (--data-dir)\n"
    )
    assert a_file.read_text() == "not a folder"


@pytest.mark.parametrize("command", ["status", "sync", "demo-data", "run"])
def test_a_missing_settings_file_named_on_the_command_line_is_an_error(
    command: str, tmp_path: Path, cli: Cli
) -> None:
    missing = tmp_path / "typo.toml"
    code, out, err = cli(command, "--config", str(missing), "--data-dir", str(tmp_path))
    assert code == 2
    assert out == ""
    assert err.startswith(f"clinic-tui: settings file {missing} (given with --config) does not")
    assert not missing.exists()


@pytest.mark.parametrize(
    ("language", "words", "fhir_name"),
    [("en", ("Patients", "Visits"), "Encounter"), ("zh", ("患者", "就诊记录"), "Encounter")],
)
def test_status_counts_records_in_a_clinicians_words(
    engine: Engine,
    cache_file: Path,
    cli: Cli,
    language: str,
    words: tuple[str, str],
    fhir_name: str,
) -> None:
    patient = {"resourceType": "Patient", "id": "p-1", "name": [{"text": "王芳"}]}
    visit = {
        "resourceType": "Encounter",
        "id": "e-1",
        "status": "arrived",
        "subject": {"reference": "Patient/p-1"},
    }
    record_local_change(engine, patient, "create")
    record_local_change(engine, visit, "create")
    engine.dispose()
    code, out, err = cli("--lang", language, "status", "--data-dir", str(cache_file.parent))
    assert (code, err) == (0, "")
    table = out[out.index(words[0]) - 40 :]  # the counts, after the summary
    assert all(word in table for word in words), out
    # The FHIR type names are for --json (IT, scripts), not the table a doctor reads.
    assert fhir_name not in out, out
    assert "Patient " not in table, out
    code, out, _ = cli("--lang", language, "status", "--json", "--data-dir", str(cache_file.parent))
    records = json.loads(out)["records"]
    assert (records["Encounter"], records["Patient"]) == (1, 1)
