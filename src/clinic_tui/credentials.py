"""The secret for a FHIR server, kept in the OS keyring: the only module that imports keyring.

One keyring entry per server: service "clinic-tui", username the normalised server URL,
password either a bare bearer token or a small JSON document for OAuth2 client
credentials. CLINIC_TUI_TOKEN in the environment overrides the keyring (unattended runs).
Where no keyring backend is usable the user is told so, with the documented
alternatives; a plaintext file is never used, silently or otherwise.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from clinic_tui.errors import ClinicError
from clinic_tui.i18n import N_, tr
from clinic_tui.redaction import remember_secret

SERVICE = "clinic-tui"
TOKEN_ENV = "CLINIC_TUI_TOKEN"

NO_BACKEND_HELP = N_(
    "no usable keyring backend on this machine (common on headless Linux and cloud "
    "desktops), so the secret cannot be stored safely. Either install the encrypted-file "
    "backend (pip install keyrings.alt pycryptodome, then set "
    "PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring), or give the token in the "
    "CLINIC_TUI_TOKEN environment variable"
)
"""Shown through tr() where it is raised (the session's language is set by then)."""
PLAINTEXT_REFUSED = N_(
    "the keyring backend keyrings.alt.file.PlaintextKeyring writes secrets unencrypted to "
    "disk, so clinic-tui refuses it; use PYTHON_KEYRING_BACKEND="
    "keyrings.alt.file.EncryptedKeyring instead, or give the token in CLINIC_TUI_TOKEN"
)


class CredentialError(ClinicError):
    """The secret cannot be stored, read or used (no keyring, refused backend, none stored)."""

    exit_code = 2


class NoKeyringError(CredentialError):
    """No keyring backend is usable on this machine, so nothing can be stored or read there."""


@dataclass(frozen=True)
class Credential:
    """What authenticates clinic-tui to one server: a bearer token or OAuth2 client credentials."""

    kind: Literal["bearer", "client_credentials"]
    secret: str
    """The bearer token, or the OAuth2 client secret."""
    client_id: str | None = None
    """OAuth2 client id (client_credentials only)."""
    token_url: str | None = None
    """OAuth2 token endpoint found when logging in (client_credentials only)."""

    def __post_init__(self) -> None:
        # Whatever text leaves the process from now on has this secret blanked.
        remember_secret(self.secret)

    def __repr__(self) -> str:
        # Never let a secret reach a log or a traceback through repr().
        return f"Credential(kind={self.kind!r}, client_id={self.client_id!r}, secret=***)"

    def to_keyring(self) -> str:
        """The text stored in the keyring: the token itself, or JSON for client credentials."""
        if self.kind == "bearer":
            return self.secret
        return json.dumps(
            {
                "kind": self.kind,
                "client_id": self.client_id,
                "client_secret": self.secret,
                "token_url": self.token_url,
            }
        )

    @classmethod
    def from_keyring(cls, stored: str) -> Credential:
        """Read what to_keyring wrote (any other text is a bearer token set by hand)."""
        if stored.startswith("{"):
            try:
                document: Any = json.loads(stored)
            except ValueError:
                document = None
            if isinstance(document, dict) and document.get("kind") == "client_credentials":
                return cls(
                    kind="client_credentials",
                    secret=str(document.get("client_secret") or ""),
                    client_id=str(document.get("client_id") or ""),
                    token_url=document.get("token_url"),
                )
        return cls(kind="bearer", secret=stored)


def normalise_server_url(url: str) -> str:
    """The keyring username for a server: lower-case scheme and host, no trailing slash."""
    parts = urlsplit(url.strip())
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")
    )


def _is_plaintext(backend: Any) -> bool:
    cls = type(backend)
    return cls.__module__.startswith("keyrings.alt") and "Plaintext" in cls.__name__


def _usable(backend: Any) -> bool:
    from keyring.backends import fail, null

    return not isinstance(backend, fail.Keyring | null.Keyring)


def keyring_backend() -> Any:
    """The keyring backend secrets go to; CredentialError when none is usable or it is plaintext.

    A chain of backends is resolved to its first usable, non-plaintext member, so a
    locked desktop keyring never falls through to an unencrypted file.
    """
    import keyring
    from keyring.backends import chainer

    try:
        backend = keyring.get_keyring()
    except Exception as error:  # a broken PYTHON_KEYRING_BACKEND setting, for one
        raise NoKeyringError(f"{tr(NO_BACKEND_HELP)} ({error})") from error
    if isinstance(backend, chainer.ChainerBackend):
        members = [member for member in backend.backends if _usable(member)]
        safe = [member for member in members if not _is_plaintext(member)]
        if not safe:
            if not members:
                raise NoKeyringError(tr(NO_BACKEND_HELP))
            raise CredentialError(tr(PLAINTEXT_REFUSED))
        return safe[0]
    if _is_plaintext(backend):
        raise CredentialError(tr(PLAINTEXT_REFUSED))
    if not _usable(backend):
        raise NoKeyringError(tr(NO_BACKEND_HELP))
    return backend


def _keyring_call(action: str, call: Any, *args: str) -> Any:
    from keyring import errors as keyring_errors
    from keyring.errors import KeyringError

    try:
        return call(*args)
    except keyring_errors.NoKeyringError as error:
        raise NoKeyringError(tr(NO_BACKEND_HELP)) from error
    except KeyringError as error:
        raise CredentialError(f"the keyring could not {action} the secret: {error}") from error


def store_credential(server_url: str, credential: Credential) -> None:
    """Keep the credential for a server in the keyring (replacing any earlier one)."""
    backend = keyring_backend()
    _keyring_call(
        "store",
        backend.set_password,
        SERVICE,
        normalise_server_url(server_url),
        credential.to_keyring(),
    )


def stored_credential(server_url: str) -> Credential | None:
    """The credential kept in the keyring for a server, or None."""
    backend = keyring_backend()
    stored = _keyring_call("read", backend.get_password, SERVICE, normalise_server_url(server_url))
    return Credential.from_keyring(stored) if stored else None


def delete_credential(server_url: str) -> bool:
    """Forget a server's credential; False when there was none."""
    from keyring.errors import PasswordDeleteError

    backend = keyring_backend()
    try:
        backend.delete_password(SERVICE, normalise_server_url(server_url))
    except PasswordDeleteError:
        return False
    except Exception as error:
        raise CredentialError(f"the keyring could not delete the secret: {error}") from error
    return True


def credential_for(server_url: str) -> Credential:
    """The credential to use now: CLINIC_TUI_TOKEN if set, else the keyring's, else an error."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return Credential(kind="bearer", secret=token)
    server = normalise_server_url(server_url)
    note = ""
    try:
        found = stored_credential(server_url)
    except NoKeyringError:
        # Nothing can have been stored without a keyring: the person needs to log in (or
        # give a token), not a lecture on storing secrets they have not typed yet.
        found = None
        note = tr(
            " (this machine has no usable keyring yet: see 'No keyring on this machine?' "
            "in the README)"
        )
    if found is None:
        raise CredentialError(
            tr(
                "not logged in to {server}: run `clinic-tui login --server {server}`{note}, or set "
                "{env}"
            ).format(server=server, note=note, env=TOKEN_ENV)
        )
    return found


CACHE_KEY_SERVICE = "clinic-tui cache key"
"""Keyring service of encrypted caches' keys (apart from the servers' tokens)."""


def store_cache_key(entry: str, key_hex: str) -> None:
    """Keep an encrypted cache's key (hex) in the keyring under `entry`."""
    backend = keyring_backend()
    _keyring_call("store", backend.set_password, CACHE_KEY_SERVICE, entry, key_hex)


def stored_cache_key(entry: str) -> str | None:
    """The cache key (hex) kept under `entry`, or None."""
    backend = keyring_backend()
    found = _keyring_call("read", backend.get_password, CACHE_KEY_SERVICE, entry)
    return str(found) if found else None


def delete_cache_key(entry: str) -> bool:
    """Forget a cache key (after the cache was re-encrypted or decrypted); False if none."""
    from keyring.errors import PasswordDeleteError

    backend = keyring_backend()
    try:
        backend.delete_password(CACHE_KEY_SERVICE, entry)
    except PasswordDeleteError:
        return False
    except Exception as error:
        raise CredentialError(f"the keyring could not delete the secret: {error}") from error
    return True
