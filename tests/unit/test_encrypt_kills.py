"""SIGKILL `encrypt` at every step and at seeded random moments: the cache always opens whole.

Whatever the moment, the same holds afterwards: the cache is either the plain original or
the encrypted copy (never neither, never half), with every table's row count as before;
a plain one left behind can be encrypted again, its leftovers cleaned up.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clinic_tui.commands.encrypt import STEPS, encrypt_cache, plain_counts
from clinic_tui.offline_cache.cache_file import connect, encryption_of
from clinic_tui.offline_cache.cache_key import Encryption, remember_key
from tests.conftest import Cli
from tests.encryption_fixtures import PASSPHRASE, demo_cache

SALT = "00112233445566778899aabbccddeeff"
ROOT = Path(__file__).resolve().parents[2]


def _kill_encrypt(path: Path, where: str, *extra: str) -> int:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.crash.encrypt_kill",
            str(path),
            SALT,
            PASSPHRASE,
            where,
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    return done.returncode


def _counts_of_whatever_is_left(path: Path) -> tuple[str, dict[str, int]]:
    encryption = encryption_of(path)
    if encryption is not None:
        remember_key(path, encryption.derive(PASSPHRASE))
    with connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        counts = {
            name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in names
        }
    return ("plain" if encryption is None else "encrypted"), counts


def _check(path: Path, before: dict[str, int]) -> str:
    state, counts = _counts_of_whatever_is_left(path)
    assert counts == before
    if state == "plain":
        # The next run cleans up what the killed one left and finishes.
        encryption = Encryption(source="passphrase", salt=bytes.fromhex(SALT))
        encrypt_cache(path, encryption, encryption.derive(PASSPHRASE))
        assert _counts_of_whatever_is_left(path) == ("encrypted", before)
    assert not Path(f"{path}.encrypting").exists()
    return state


@pytest.mark.parametrize("step", [*STEPS, "after-the-end"])
def test_a_kill_at_each_step_loses_nothing(step: str, tmp_path: Path, cli: Cli) -> None:
    path = demo_cache(cli, tmp_path / "data", patients=60)
    before = plain_counts(path)
    _kill_encrypt(path, f"step:{step}")
    state = _check(path, before)
    # Before the rename the original stays; from the rename on, the copy is the cache.
    expected = "encrypted" if step in ("done", "after-the-end") else "plain"
    assert state == expected


def test_kills_at_seeded_random_moments_lose_nothing(tmp_path: Path, cli: Cli) -> None:
    rng = random.Random(int(os.environ.get("ENCRYPT_KILL_SEED", "13")))
    template = demo_cache(cli, tmp_path / "template", patients=300)
    before = plain_counts(template)
    # How long a whole run takes here, so the kills spread over all of it.
    timing = tmp_path / "timing" / "clinic.sqlite3"
    timing.parent.mkdir()
    timing.write_bytes(template.read_bytes())
    started = time.monotonic()
    _kill_encrypt(timing, "step:after-the-end")
    whole = time.monotonic() - started
    states = []
    for trial in range(6):
        path = tmp_path / f"trial-{trial}" / "clinic.sqlite3"
        path.parent.mkdir()
        path.write_bytes(template.read_bytes())
        _kill_encrypt(path, f"delay:{rng.uniform(0.0, whole):.3f}")
        states.append(_check(path, before))
    assert len(states) == 6


DECRYPT_STEPS = ("fold-log", "export", "verify", "fsync", "replace", "marker", "done")


@pytest.mark.parametrize("step", [*DECRYPT_STEPS, "after-the-end"])
def test_a_kill_at_each_step_of_decrypt_loses_nothing(step: str, tmp_path: Path, cli: Cli) -> None:
    path = demo_cache(cli, tmp_path / "data", patients=60)
    before = plain_counts(path)
    encryption = Encryption(source="passphrase", salt=bytes.fromhex(SALT))
    encrypt_cache(path, encryption, encryption.derive(PASSPHRASE))
    _kill_encrypt(path, f"step:{step}", "decrypt")
    state, counts = _counts_of_whatever_is_left(path)
    assert counts == before
    # Until the rename the encrypted cache stays; from it on, the plain copy is the cache.
    assert state == ("encrypted" if step in DECRYPT_STEPS[:5] else "plain")
    assert not Path(f"{path}.decrypting").exists() or state == "encrypted"
