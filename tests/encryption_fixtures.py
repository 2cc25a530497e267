"""A small demo cache, plain or encrypted, for the encrypted-cache tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from clinic_tui.commands.encrypt import encrypt_cache
from clinic_tui.offline_cache.cache_key import CacheKey, new_passphrase_encryption
from tests.conftest import Cli

PASSPHRASE = "correct horse battery"

_made: dict[int, Path] = {}


def demo_cache(cli: Cli, folder: Path, patients: int = 30) -> Path:
    """A plain demo cache in `folder` (made once per size and test process, then copied)."""
    template = _made.get(patients)
    if template is None or not template.exists():
        code, _out, err = cli(
            "demo-data", "--patients", str(patients), "--seed", "3", "--data-dir", str(folder)
        )
        assert code == 0, err
        template = folder.parent / f"template-{patients}" / "clinic.sqlite3"
        template.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / "clinic.sqlite3", template)
        _made[patients] = template
        return folder / "clinic.sqlite3"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, folder / "clinic.sqlite3")
    return folder / "clinic.sqlite3"


def encrypted_demo_cache(cli: Cli, folder: Path) -> tuple[Path, CacheKey]:
    """A demo cache encrypted with PASSPHRASE; this process holds its key."""
    path = demo_cache(cli, folder)
    encryption = new_passphrase_encryption()
    key = encryption.derive(PASSPHRASE)
    encrypt_cache(path, encryption, key)
    return path, key
