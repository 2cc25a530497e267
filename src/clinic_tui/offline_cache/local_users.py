"""Clinicians registered on this workstation, and the check of their PIN.

They live in `clinicians.json` in the data folder, beside the cache and not inside it:
the sign-in screen must list them before anything else is open, the list survives a
cache rebuilt from the server, and a workstation shared by several clinicians keeps one
list whichever way its cache is keyed. Each PIN is stored only as an scrypt hash with a
salt of its own. A short PIN could still be guessed offline from that file by someone
who copies it, which is why the PIN decides who works at the screen, while the cache's
own key (keyring or passphrase) is what protects the records at rest.

A new PIN (add_user, set_pin) must pass `pin_weakness`: 6 characters or more, and not one
repeated character, a run of digits, a short repeated or mirrored pattern or a keypad
line. PINs set before these rules keep working; the sign-in says they should change.
Wrong PINs are counted in sign_in_attempts.py, shared by every process.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from clinic_tui.errors import ConfigError
from clinic_tui.i18n import tr
from clinic_tui.private_files import open_private, private_dir

USERS_FILE = "clinicians.json"

MIN_PIN = 6
"""Characters a new PIN needs at least: 6 digits (a million PINs), or a longer passphrase."""

_N, _R, _P = 2**14, 8, 1
"""scrypt cost per PIN check: 16 MiB, tens of milliseconds, so guessing costs time too."""

_KEYPAD_SHAPES = frozenset(
    {"147258", "258369", "369258", "963852", "852741", "159357", "357159", "147369", "789456"}
)
"""Six-digit lines and crosses of a numeric keypad: no run or repeat, yet tried early."""


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


def _is_run(pin: str) -> bool:
    """Each digit one up, or each one down, from the last (0 follows 9: 890123)."""
    if not pin.isdigit():
        return False
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(pin)}
    return steps in ({1}, {9})


def _repeats_or_mirrors(pin: str) -> bool:
    """A block of 1-3 characters repeated (121212, 520520), or a half mirrored (123321)."""
    for size in (1, 2, 3):
        if len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size):
            return True
    half = len(pin) // 2
    return len(pin) % 2 == 0 and pin[:half] == pin[half:][::-1] and len(set(pin)) <= half


def pin_weakness(pin: str, practitioner_id: str = "") -> str | None:
    """Why `pin` is too weak for a new PIN (in the user's language), or None when it will do."""
    if len(pin) < MIN_PIN:
        return tr("a PIN needs at least {n} characters").format(n=MIN_PIN)
    if len(set(pin)) == 1:
        return tr("a PIN of one repeated character is too easy to guess")
    if _is_run(pin):
        return tr("a PIN of consecutive digits (such as 123456) is too easy to guess")
    if _repeats_or_mirrors(pin):
        return tr(
            "a PIN that repeats or mirrors a short pattern (such as 121212) is too easy to guess"
        )
    if pin in _KEYPAD_SHAPES:
        return tr("a PIN that traces a line on the keypad is too easy to guess")
    if practitioner_id and pin.casefold() == practitioner_id.strip().casefold():
        return tr("a PIN may not be the practitioner id")
    return None


def check_pin_rules(pin: str, practitioner_id: str = "") -> None:
    """ConfigError (one line, saying why) when `pin` may not be set as a new PIN."""
    weakness = pin_weakness(pin, practitioner_id)
    if weakness is not None:
        raise ConfigError(weakness)


def add_user(data_dir: Path, practitioner_id: str, name: str, pin: str) -> LocalUser:
    """Register a clinician with their PIN (hashed); an id already registered is refused."""
    practitioner_id, name = practitioner_id.strip(), name.strip()
    if not practitioner_id or not name:
        raise ConfigError(tr("practitioner id and name may not be empty"))
    check_pin_rules(pin, practitioner_id)
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


def set_pin(data_dir: Path, practitioner_id: str, pin: str) -> LocalUser:
    """Give a registered clinician a new PIN (the rules of a new PIN apply)."""
    check_pin_rules(pin, practitioner_id)
    users = load_users(data_dir)
    for index, user in enumerate(users):
        if user.practitioner_id == practitioner_id:
            changed = LocalUser(user.practitioner_id, user.name, hash_pin(pin))
            users[index] = changed
            _write(data_dir, users)
            return changed
    raise ConfigError(tr("{id} is not registered on this workstation").format(id=practitioner_id))
