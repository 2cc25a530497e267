"""Folders 0700 and files 0600 whatever the umask: the cache with its -wal and -shm, slips,
crash.log, settings, the clinicians file, an encrypted cache and its marker (issue #18, 7).
What an earlier version left readable is tightened when the data folder is next opened."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic_tui.locations import cache_path
from clinic_tui.offline_cache.cache_file import connect, prepare_cache
from clinic_tui.offline_cache.local_users import add_user, users_path
from clinic_tui.private_files import make_private
from clinic_tui.settings_file import update_section
from tests.unit import slip_samples as samples

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process umask set for one test (a shared PC's 022, or none at all), then restored."""
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def mode(path: Path) -> int:
    """The permission bits of `path`."""
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_cache_and_the_wal_and_shm_sqlite_makes_beside_it_are_private(
    tmp_path: Path, umask: int
) -> None:
    data = tmp_path / "home" / "clinic-data"
    path = cache_path(data)
    prepare_cache(path)
    writer = connect(path)
    try:
        writer.execute("INSERT OR REPLACE INTO cache_meta (key, value) VALUES ('probe', 'x')")
        writer.commit()
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        # The connection is open: SQLite keeps both.
        assert wal.exists()
        assert shm.exists()
        assert {p.name: mode(p) for p in (path, wal, shm)} == {
            path.name: 0o600,
            wal.name: 0o600,
            shm.name: 0o600,
        }
    finally:
        writer.close()
    assert mode(data) == 0o700
    assert mode(data.parent) == 0o700  # a parent it had to make is private too


def test_a_rollback_journal_is_private_too(tmp_path: Path, umask: int) -> None:
    path = cache_path(tmp_path / "data")
    prepare_cache(path)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("PRAGMA locking_mode = EXCLUSIVE")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT OR REPLACE INTO cache_meta (key, value) VALUES ('j', 'x')")
        journal = Path(f"{path}-journal")
        assert journal.exists()
        assert mode(journal) == 0o600
        connection.execute("COMMIT")
    finally:
        connection.close()


def test_a_slip_pdf_and_the_folders_made_for_it_are_private(tmp_path: Path, umask: int) -> None:
    from clinic_tui.prescribing.slip import render_slip_pdf

    slips = tmp_path / "slips"
    path = render_slip_pdf(samples.rare_name_slip(), slips / "2026-11-30" / "0930-abc.pdf")
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert mode(slips) == 0o700


def test_the_crash_log_and_its_folder_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask: int
) -> None:
    from clinic_tui.crash_report import write_crash_report

    log = tmp_path / "state" / "log" / "crash.log"
    monkeypatch.setattr("clinic_tui.locations.crash_log_path", lambda: log)
    assert write_crash_report(RuntimeError("boom")) == str(log)
    assert mode(log) == 0o600
    assert mode(log.parent) == 0o700


def test_a_crash_log_left_readable_is_tightened_at_the_next_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask: int
) -> None:
    from clinic_tui.crash_report import write_crash_report

    log = tmp_path / "log" / "crash.log"
    log.parent.mkdir(mode=0o755)
    log.write_text("old report\n")
    os.chmod(log.parent, 0o755)
    os.chmod(log, 0o644)
    monkeypatch.setattr("clinic_tui.locations.crash_log_path", lambda: log)
    write_crash_report(RuntimeError("boom"))
    assert (mode(log), mode(log.parent)) == (0o600, 0o700)
    assert log.read_text().startswith("old report\n")


def test_settings_the_app_writes_are_private(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "config" / "clinic-tui" / "config.toml"
    update_section(path, "sync", {"server": "https://fhir.example/fhir"})
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_settings_rewritten_lose_the_bits_others_had(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[ui]\nlanguage = "zh"\n')
    os.chmod(path, 0o644)
    update_section(path, "sync", {"server": "https://fhir.example/fhir"})
    assert mode(path) == 0o600


def test_the_clinicians_file_and_a_new_data_folder_are_private(tmp_path: Path, umask: int) -> None:
    data = tmp_path / "fresh"
    add_user(data, "pr-1", "王医生", "482913")
    assert mode(users_path(data)) == 0o600
    assert mode(data) == 0o700


def test_what_an_earlier_version_left_readable_is_tightened_and_named_once(
    tmp_path: Path, umask: int
) -> None:
    data = tmp_path / "data"
    path = cache_path(data)
    prepare_cache(path)
    old_slip = data / "slips" / "2026-01-05" / "0900-old.pdf"
    old_slip.parent.mkdir(parents=True)
    old_slip.write_bytes(b"%PDF-1.4\n")
    loose = [data, path, data / "slips", old_slip.parent, old_slip]
    for item in loose:
        os.chmod(item, 0o755 if item.is_dir() else 0o644)

    tightened = prepare_cache(path)

    assert sorted(tightened) == sorted(loose)
    for item in loose:
        assert mode(item) == (0o700 if item.is_dir() else 0o600), item
    assert prepare_cache(path) == []  # said once: the next start finds nothing to do


def test_the_command_line_says_once_what_it_made_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from clinic_tui.workstation import make_data_private as _make_data_private

    data = tmp_path / "data"
    prepare_cache(cache_path(data))
    os.chmod(data, 0o755)
    os.chmod(cache_path(data), 0o644)
    _make_data_private(data)
    said = capsys.readouterr().err
    assert str(data) in said
    assert "2" in said
    _make_data_private(data)
    assert capsys.readouterr().err == ""


def test_make_private_leaves_a_private_folder_unwalked(tmp_path: Path) -> None:
    folder = tmp_path / "slips"
    inner = folder / "2026-01-05"
    inner.mkdir(parents=True, mode=0o700)
    os.chmod(folder, 0o700)
    os.chmod(inner, 0o700)
    slip = inner / "a.pdf"
    slip.write_bytes(b"x")
    os.chmod(slip, 0o644)
    # Inside a folder only its owner can enter, the file's own bits give nobody access.
    assert make_private(folder) == []


def test_an_encrypted_cache_and_its_marker_are_private(tmp_path: Path, umask: int) -> None:
    pytest.importorskip("sqlcipher3")
    from clinic_tui.commands.encrypt import encrypt_cache
    from clinic_tui.offline_cache.cache_key import Encryption, forget_key, marker_path

    path = cache_path(tmp_path / "data")
    prepare_cache(path)
    encryption = Encryption(source="passphrase", salt=bytes(range(16)), n=2**10)
    try:
        encrypt_cache(path, encryption, encryption.derive("correct horse battery"))
        assert mode(path) == 0o600
        assert mode(marker_path(path)) == 0o600
    finally:
        forget_key(path)
