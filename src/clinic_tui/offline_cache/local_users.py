"""Clinicians registered on this workstation, and the check of their PIN.

They live in `clinicians.json` in the data folder, beside the cache and not inside it:
the sign-in screen must list them before anything else is open, the list survives a
cache rebuilt from the server, and a workstation shared by several clinicians keeps one
list whichever way its cache is keyed. Each PIN is stored only as an scrypt hash with a
salt of its own. A short PIN could still be guessed offline from that file by someone
who copies it, which is why the PIN decides who works at the screen, while the cache's
own key (keyring or passphrase) is what protects the records at rest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from clinic_tui.errors import ConfigError
from clinic_tui.i18n import add_translations, tr
from clinic_tui.private_files import open_private, private_dir

USERS_FILE = "clinicians.json"

MIN_PIN = 4
"""Characters a PIN needs at least (a 4-digit PIN, as on a phone; a passphrase is welcome)."""

_N, _R, _P = 2**14, 8, 1
"""scrypt cost per PIN check: 16 MiB, tens of milliseconds, so guessing costs time too."""

FREE_FAILURES = 3
"""Wrong PINs in a row allowed before each further try has to wait."""

FIRST_WAIT_SECONDS = 5.0
MAX_WAIT_SECONDS = 300.0

add_translations(
    {
        "a PIN needs at least {n} characters": "PIN 至少需要 {n} 个字符",
        "{id} is already registered on this workstation": "{id} 已在本工作站登记",
        "cannot read {path}: {error}": "无法读取 {path}：{error}",
        "practitioner id and name may not be empty": "医师编号和姓名不能为空",
    }
)


@dataclass(frozen=True)
class LocalUser:
    """A clinician who may unlock this workstation."""

    practitioner_id: str
    """FHIR Practitioner id: the author, recorder or requester of what they write."""
    name: str
    pin_hash: str = field(repr=False)
    """"scrypt$n$r$p$salt$hash" (hex); never the PIN."""


def users_path(data_dir: Path) -> Path:
    """The clinicians file of a data folder."""
    return data_dir / USERS_FILE


def hash_pin(pin: str) -> str:
    """A salted scrypt hash of `pin`, in the form stored in the file."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def pin_matches(user: LocalUser, pin: str) -> bool:
    """True when `pin` is this clinician's (a constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = user.pin_hash.split("$")
        if scheme != "scrypt":
            return False
        tried = hashlib.scrypt(
            pin.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=256 * int(n) * int(r) + 2**20,
            dklen=len(bytes.fromhex(digest)),
        )
    except ValueError:
        return False
    return hmac.compare_digest(tried, bytes.fromhex(digest))


def load_users(data_dir: Path) -> list[LocalUser]:
    """The clinicians registered in `data_dir`, in the order they were added."""
    path = users_path(data_dir)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        raise ConfigError(
            tr("cannot read {path}: {error}").format(path=path, error=error)
        ) from error
    return [
        LocalUser(str(entry["practitioner_id"]), str(entry["name"]), str(entry["pin_hash"]))
        for entry in document.get("clinicians", [])
    ]


def _write(data_dir: Path, users: list[LocalUser]) -> None:
    """Replace the file atomically, readable by this user only."""
    private_dir(data_dir)
    path = users_path(data_dir)
    temporary = path.with_name(path.name + ".tmp")
    document = {
        "clinicians": [
            {"practitioner_id": u.practitioner_id, "name": u.name, "pin_hash": u.pin_hash}
            for u in users
        ]
    }
    descriptor = open_private(temporary, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def check_pin_rules(pin: str) -> None:
    """ConfigError when a new PIN is too short."""
    if len(pin) < MIN_PIN:
        raise ConfigError(tr("a PIN needs at least {n} characters").format(n=MIN_PIN))


def add_user(data_dir: Path, practitioner_id: str, name: str, pin: str) -> LocalUser:
    """Register a clinician with their PIN (hashed); an id already registered is refused."""
    practitioner_id, name = practitioner_id.strip(), name.strip()
    if not practitioner_id or not name:
        raise ConfigError(tr("practitioner id and name may not be empty"))
    check_pin_rules(pin)
    users = load_users(data_dir)
    if any(user.practitioner_id == practitioner_id for user in users):
        raise ConfigError(
            tr("{id} is already registered on this workstation").format(id=practitioner_id)
        )
    user = LocalUser(practitioner_id, name, hash_pin(pin))
    _write(data_dir, [*users, user])
    return user


def remove_user(data_dir: Path, practitioner_id: str) -> bool:
    """Unregister a clinician; False when no such id was registered."""
    users = load_users(data_dir)
    kept = [user for user in users if user.practitioner_id != practitioner_id]
    if len(kept) == len(users):
        return False
    _write(data_dir, kept)
    return True


class UnlockGuard:
    """Counts wrong PINs in a row and says how long the next try must wait."""

    def __init__(self) -> None:
        self.failures = 0
        self._not_before = 0.0

    def wait_left(self, now: float) -> float:
        """Seconds until a PIN may be tried again (0 = now)."""
        return max(0.0, self._not_before - now)

    def failed(self, now: float) -> None:
        """A wrong PIN: after FREE_FAILURES, each try waits twice as long as the last."""
        self.failures += 1
        extra = self.failures - FREE_FAILURES
        if extra >= 0:
            self._not_before = now + min(MAX_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2**extra)

    def succeeded(self) -> None:
        """The right PIN: the count starts again."""
        self.failures = 0
        self._not_before = 0.0
