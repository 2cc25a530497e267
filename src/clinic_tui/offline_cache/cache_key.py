"""The key of an encrypted cache: where it comes from, and the one this process holds.

An encrypted cache is an SQLCipher file with a small JSON file beside it
(`clinic.sqlite3.encryption`) that says where its key comes from: the OS keyring
(a random key) or a passphrase (scrypt, with the salt kept in that file). That file
holds no key material. Whoever unlocks the cache (the command line, before any
screen) hands the raw key to `remember_key`; every connection this process opens
on that path then uses it, so no caller passes keys around and none reaches a log.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from clinic_tui.errors import CacheError
from clinic_tui.private_files import open_private
from clinic_tui.redaction import remember_secret

KEY_BYTES = 32
"""SQLCipher 4 takes a 256-bit raw key (no PBKDF2 per open: the KDF ran once, at unlock)."""

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
"""scrypt cost for a cache passphrase: 32 MiB and about 0.1 s on an old PC, once per start."""

MARKER_SUFFIX = ".encryption"
"""Beside `clinic.sqlite3`: `clinic.sqlite3.encryption` says the file is encrypted and how."""

KeySource = Literal["keyring", "passphrase"]


class CacheLockedError(CacheError):
    """An encrypted cache met with no key, or with a key that does not open it."""


@dataclass(frozen=True)
class CacheKey:
    """A raw 256-bit cache key; never printed (repr hides it)."""

    raw: bytes

    def __post_init__(self) -> None:
        remember_secret(self.raw.hex())  # blanked from every log and crash report

    def __repr__(self) -> str:
        return "CacheKey(***)"

    def pragma(self) -> str:
        """The `PRAGMA key` statement for this key (a raw key: SQLCipher skips its own KDF)."""
        return f"PRAGMA key = \"x'{self.raw.hex()}'\""


@dataclass(frozen=True)
class Encryption:
    """What the marker file beside an encrypted cache says (no key material)."""

    source: KeySource
    keyring_entry: str = ""
    """The keyring username the key is stored under (source "keyring")."""
    salt: bytes = b""
    """scrypt salt (source "passphrase")."""
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    def to_json(self) -> str:
        """The marker file's text."""
        document: dict[str, Any] = {"format": 1, "cipher": "sqlcipher4", "key": self.source}
        if self.source == "keyring":
            document["keyring_entry"] = self.keyring_entry
        else:
            document["kdf"] = {
                "name": "scrypt",
                "salt": self.salt.hex(),
                "n": self.n,
                "r": self.r,
                "p": self.p,
            }
        return json.dumps(document, indent=2) + "\n"

    def derive(self, passphrase: str) -> CacheKey:
        """The key a passphrase gives with this file's salt and cost."""
        remember_secret(passphrase)
        raw = hashlib.scrypt(
            passphrase.encode("utf-8"),
            salt=self.salt,
            n=self.n,
            r=self.r,
            p=self.p,
            maxmem=256 * self.n * self.r + 2**20,
            dklen=KEY_BYTES,
        )
        return CacheKey(raw)


def marker_path(cache: Path) -> Path:
    """The file beside `cache` that marks it encrypted."""
    return cache.with_name(cache.name + MARKER_SUFFIX)


def new_passphrase_encryption() -> Encryption:
    """A passphrase scheme with a fresh salt."""
    return Encryption(source="passphrase", salt=secrets.token_bytes(16))


def new_keyring_encryption() -> Encryption:
    """A keyring scheme under a fresh entry name (one per cache, never reused)."""
    return Encryption(source="keyring", keyring_entry=f"cache-key {secrets.token_hex(8)}")


def new_random_key() -> CacheKey:
    """A random 256-bit key (for the keyring)."""
    return CacheKey(secrets.token_bytes(KEY_BYTES))


def read_marker(cache: Path) -> Encryption | None:
    """The marker beside `cache`, or None; CacheLockedError when it cannot be read."""
    path = marker_path(cache)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise CacheLockedError(f"cannot read {path}: {error}") from error
    try:
        if document["key"] == "keyring":
            return Encryption(source="keyring", keyring_entry=str(document["keyring_entry"]))
        kdf = document["kdf"]
        return Encryption(
            source="passphrase",
            salt=bytes.fromhex(kdf["salt"]),
            n=int(kdf["n"]),
            r=int(kdf["r"]),
            p=int(kdf["p"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CacheLockedError(
            f"{path} is damaged ({error!r}); restore it from a backup"
        ) from error


def write_marker(cache: Path, encryption: Encryption) -> None:
    """Write the marker durably (temporary file, fsync, rename, fsync of the folder)."""
    path = marker_path(cache)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = open_private(temporary, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(encryption.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


_keys: dict[Path, CacheKey] = {}
_keys_lock = threading.Lock()


def remember_key(cache: Path, key: CacheKey) -> None:
    """Every connection this process opens on `cache` from now on uses `key`."""
    with _keys_lock:
        _keys[cache.resolve()] = key


def forget_key(cache: Path) -> None:
    """Drop the key held for `cache` (tests; a cache that was decrypted)."""
    with _keys_lock:
        _keys.pop(cache.resolve(), None)


def key_for(cache: Path) -> CacheKey | None:
    """The key this process holds for `cache`, if any."""
    with _keys_lock:
        return _keys.get(cache.resolve())


def unlock_hint(encryption: Encryption) -> str:
    """How a person unlocks a cache with this scheme (for the 'locked' message)."""
    if encryption.source == "keyring":
        return (
            "its key is kept in this user's OS keyring, which did not give it; unlock the "
            "desktop keyring, or run as the user who encrypted it"
        )
    return "type its passphrase when asked (or give it as one line on standard input)"
