"""An encrypted cache opens with its key (keyring or passphrase) and says so plainly without."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import keyring
import pytest

from clinic_tui.commands.encrypt import encrypt_cache, plain_counts
from clinic_tui.credentials import CACHE_KEY_SERVICE
from clinic_tui.domain.chart_entry import NoteEntry
from clinic_tui.errors import CacheError
from clinic_tui.offline_cache.cache_file import SQLITE_HEADER, connect
from clinic_tui.offline_cache.cache_key import (
    CacheKey,
    CacheLockedError,
    forget_key,
    marker_path,
    new_passphrase_encryption,
)
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from tests.conftest import Cli
from tests.encryption_fixtures import PASSPHRASE, demo_cache, encrypted_demo_cache
from tests.unit.test_credentials import MemoryKeyring


@pytest.fixture
def memory_keyring() -> Any:
    """An in-memory keyring for one test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_encrypt_with_a_passphrase_then_status_opens_it_only_with_that_passphrase(
    tmp_path: Path, cli: Cli
) -> None:
    data = tmp_path / "data"
    path = demo_cache(cli, data)
    before = plain_counts(path)
    code, out, err = cli(
        "encrypt", "--passphrase-prompt", "--data-dir", str(data), stdin=PASSPHRASE + "\n"
    )
    assert code == 0, err
    assert "records checked" in out
    assert path.read_bytes()[:16] != SQLITE_HEADER
    assert marker_path(path).exists()
    forget_key(path)

    code, out, err = cli("status", "--data-dir", str(data), stdin=PASSPHRASE + "\n")
    assert code == 0, err
    assert str(before["patient"]) in out
    forget_key(path)

    code, out, err = cli("status", "--data-dir", str(data), stdin="not the passphrase\n")
    assert code == 3
    assert "the key does not open this cache" in err
    assert "Traceback" not in err
    assert "file is not a database" not in err
    assert "ERROR CORE" not in err  # SQLCipher's own log stays quiet

    code, out, err = cli("status", "--data-dir", str(data), stdin="")
    assert code == 2
    assert "no passphrase given" in err


def test_the_locked_message_comes_in_chinese(tmp_path: Path, cli: Cli) -> None:
    path, _key = encrypted_demo_cache(cli, tmp_path / "data")
    forget_key(path)
    code, _out, err = cli("--lang", "zh", "status", "--data-dir", str(path.parent), stdin="wrong\n")
    assert code == 3
    assert "此密钥打不开这个缓存" in err


def test_encrypt_with_the_keyring_keeps_a_random_key_there(
    tmp_path: Path, cli: Cli, memory_keyring: MemoryKeyring
) -> None:
    data = tmp_path / "data"
    path = demo_cache(cli, data)
    code, _out, err = cli("encrypt", "--keyring", "--data-dir", str(data))
    assert code == 0, err
    [(service, entry)] = memory_keyring.entries
    assert service == CACHE_KEY_SERVICE
    key_hex = memory_keyring.entries[(service, entry)]
    assert key_hex not in marker_path(path).read_text()
    forget_key(path)
    code, _out, err = cli("status", "--data-dir", str(data))
    assert code == 0, err

    forget_key(path)
    memory_keyring.entries.clear()
    code, _out, err = cli("status", "--data-dir", str(data))
    assert code == 3
    assert "its key is not in this user's keyring" in err
    assert "rebuilt from the server" in err


def test_the_workstation_services_read_and_write_an_encrypted_cache(
    tmp_path: Path, cli: Cli
) -> None:
    path, _key = encrypted_demo_cache(cli, tmp_path / "data")
    cache = ClinicCache(path, practitioner_id="dr-li")
    assert cache.clinic.id
    [first, *_] = cache.queue_today(date.today())
    hits = cache.patients.search(first.patient_name, limit=5)
    assert first.patient_id in [hit.id for hit in hits]
    cache.chart_edits.save_note(
        first.patient_id, first.encounter_id, NoteEntry(free_text="cough 3 days"), datetime.now(UTC)
    )
    assert cache.pending_changes() == 1
    with connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # The demo's 30 township patients and the county hospital's 3 referred from elsewhere.
        assert connection.execute("SELECT count(*) FROM patient").fetchone()[0] == 33
    # What was written is inside the encrypted file, not beside it in clear.
    cache.engine.dispose()
    for part in (path, Path(f"{path}-wal")):
        if part.exists():
            assert b"cough 3 days" not in part.read_bytes()


def test_a_plain_cache_with_a_write_ahead_log_is_encrypted_whole(tmp_path: Path, cli: Cli) -> None:
    path = demo_cache(cli, tmp_path / "data")
    # Another process writes with checkpoints off and dies: its rows are only in -wal.
    script = (
        "import sqlite3, os, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')\n"
        "c.execute(\"INSERT INTO cache_meta(key, value) VALUES ('wal-only', 'yes')\")\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)
    assert Path(f"{path}-wal").stat().st_size > 0
    encryption = new_passphrase_encryption()
    encrypt_cache(path, encryption, encryption.derive(PASSPHRASE))
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    with connect(path) as connection:
        found = connection.execute("SELECT value FROM cache_meta WHERE key = 'wal-only'").fetchone()
    assert found is not None
    assert found[0] == "yes"


def test_a_cache_open_in_another_process_is_refused_and_left_plain(
    tmp_path: Path, cli: Cli
) -> None:
    path = demo_cache(cli, tmp_path / "data")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL')\n"
            "c.execute('SELECT count(*) FROM patient').fetchone()\n"
            "print('open', flush=True); sys.stdin.readline()\n",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "open"
        encryption = new_passphrase_encryption()
        with pytest.raises(CacheError, match="open in another clinic-tui"):
            encrypt_cache(path, encryption, encryption.derive(PASSPHRASE))
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait()
    assert path.read_bytes()[:16] == SQLITE_HEADER
    assert not Path(f"{path}.encrypting").exists()


def test_an_encrypted_file_without_its_marker_is_refused_in_one_line(
    tmp_path: Path, cli: Cli
) -> None:
    path, _key = encrypted_demo_cache(cli, tmp_path / "data")
    marker_path(path).unlink()
    forget_key(path)
    code, _out, err = cli("status", "--data-dir", str(path.parent))
    assert code == 3
    assert "clinic.sqlite3.encryption" in err
    assert "Traceback" not in err


def test_a_stale_marker_beside_a_plain_cache_is_ignored(tmp_path: Path, cli: Cli) -> None:
    path = demo_cache(cli, tmp_path / "data")
    marker_path(path).write_text('{"key": "passphrase", "kdf": {}}')
    code, _out, err = cli("status", "--data-dir", str(path.parent), stdin="")
    assert code == 0, err


def test_encrypting_twice_is_refused(tmp_path: Path, cli: Cli) -> None:
    path, _key = encrypted_demo_cache(cli, tmp_path / "data")
    code, _out, err = cli(
        "encrypt", "--passphrase-prompt", "--data-dir", str(path.parent), stdin=PASSPHRASE + "\n"
    )
    assert code == 3
    assert "already encrypted" in err


def test_a_short_passphrase_is_refused_and_nothing_changes(tmp_path: Path, cli: Cli) -> None:
    path = demo_cache(cli, tmp_path / "data")
    code, _out, err = cli(
        "encrypt", "--passphrase-prompt", "--data-dir", str(path.parent), stdin="short\n"
    )
    assert code == 2
    assert "at least 8 characters" in err
    assert path.read_bytes()[:16] == SQLITE_HEADER
    assert not marker_path(path).exists()


def test_the_wrong_key_raises_cache_locked_error(tmp_path: Path, cli: Cli) -> None:
    path, _key = encrypted_demo_cache(cli, tmp_path / "data")
    from clinic_tui.offline_cache.cache_key import remember_key

    remember_key(path, CacheKey(b"\x01" * 32))
    with pytest.raises(CacheLockedError, match="the key does not open this cache"):
        connect(path)


def test_secrets_stay_out_of_files_output_and_repr(tmp_path: Path, cli: Cli) -> None:
    data = tmp_path / "data"
    path = demo_cache(cli, data)
    code, out, err = cli(
        "encrypt", "--passphrase-prompt", "--data-dir", str(data), stdin=PASSPHRASE + "\n"
    )
    assert code == 0, err
    from clinic_tui.offline_cache.cache_key import key_for

    key = key_for(path)
    assert key is not None
    assert repr(key) == "CacheKey(***)"
    assert key.raw.hex() not in repr(key)
    for text in (out, err, marker_path(path).read_text()):
        assert PASSPHRASE not in text
        assert key.raw.hex() not in text
    for leftover in data.iterdir():
        assert PASSPHRASE.encode() not in leftover.read_bytes()


def test_a_crash_during_encrypt_writes_no_passphrase_or_key_to_the_crash_report(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinic_tui.commands import encrypt
    from clinic_tui.locations import crash_log_path
    from clinic_tui.offline_cache.cache_key import Encryption

    salt = bytes(range(16))
    fixed = Encryption(source="passphrase", salt=salt)
    monkeypatch.setattr(encrypt, "new_passphrase_encryption", lambda: fixed)

    def broken(*_args: object) -> None:
        raise RuntimeError("a bug while checking the copy")

    monkeypatch.setattr(encrypt, "_verify", broken)
    path = demo_cache(cli, tmp_path / "data")
    code, out, err = cli(
        "encrypt", "--passphrase-prompt", "--data-dir", str(path.parent), stdin=PASSPHRASE + "\n"
    )
    assert code == 70
    assert path.read_bytes()[:16] == SQLITE_HEADER  # the cache is as it was
    report = crash_log_path().read_text(encoding="utf-8")
    assert "a bug while checking the copy" in report
    key_hex = fixed.derive(PASSPHRASE).raw.hex()
    for text in (report, out, err):
        assert PASSPHRASE not in text
        assert key_hex not in text


def test_decrypt_gives_back_a_plain_cache_with_every_record(
    tmp_path: Path, cli: Cli, memory_keyring: MemoryKeyring
) -> None:
    data = tmp_path / "data"
    path = demo_cache(cli, data)
    before = plain_counts(path)
    code, _out, err = cli("encrypt", "--keyring", "--data-dir", str(data))
    assert code == 0, err
    forget_key(path)
    code, out, err = cli("decrypt", "--data-dir", str(data))
    assert code == 0, err
    assert "records checked" in out
    assert path.read_bytes()[:16] == SQLITE_HEADER
    assert not marker_path(path).exists()
    assert memory_keyring.entries == {}  # the key of a cache that is gone is forgotten
    assert plain_counts(path) == before
