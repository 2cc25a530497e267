"""Secrets live in the OS keyring (or CLINIC_TUI_TOKEN); no keyring or plaintext is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from clinic_tui import credentials
from clinic_tui.credentials import (
    Credential,
    CredentialError,
    credential_for,
    delete_credential,
    keyring_backend,
    normalise_server_url,
    store_credential,
    stored_credential,
)

SERVER = "https://fhir.county-hospital.example/fhir"


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring for tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt.file.PlaintextKeyring (same module and name)."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


@pytest.fixture
def use_keyring() -> Iterator[Any]:
    """Install a backend for one test and put the previous one back."""
    previous = keyring.get_keyring()

    def install(backend: Any) -> Any:
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


@pytest.fixture
def memory(use_keyring: Any) -> MemoryKeyring:
    """An in-memory keyring installed for this test."""
    return use_keyring(MemoryKeyring())  # type: ignore[no-any-return]


def test_a_token_is_stored_under_the_normalised_server_url(memory: MemoryKeyring) -> None:
    store_credential("HTTPS://FHIR.County-Hospital.example/fhir/", Credential("bearer", "tok-1"))
    assert memory.entries == {("clinic-tui", SERVER): "tok-1"}
    assert stored_credential(SERVER) == Credential("bearer", "tok-1")


def test_client_credentials_round_trip_through_the_keyring(memory: MemoryKeyring) -> None:
    credential = Credential(
        "client_credentials", "s3cret", client_id="clinic-7", token_url=f"{SERVER}/auth/token"
    )
    store_credential(SERVER, credential)
    assert stored_credential(SERVER) == credential


def test_a_token_set_by_hand_with_the_keyring_tool_is_a_bearer_token(
    memory: MemoryKeyring,
) -> None:
    memory.set_password("clinic-tui", SERVER, '{"not": "ours"}')
    assert stored_credential(SERVER) == Credential("bearer", '{"not": "ours"}')


def test_delete_forgets_the_secret(memory: MemoryKeyring) -> None:
    store_credential(SERVER, Credential("bearer", "tok"))
    assert delete_credential(SERVER) is True
    assert stored_credential(SERVER) is None
    assert delete_credential(SERVER) is False


def test_the_environment_token_overrides_the_keyring(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_credential(SERVER, Credential("bearer", "from-keyring"))
    assert credential_for(SERVER).secret == "from-keyring"
    monkeypatch.setenv("CLINIC_TUI_TOKEN", "from-env")
    assert credential_for(SERVER) == Credential("bearer", "from-env")


def test_the_environment_token_works_without_any_keyring(
    use_keyring: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_keyring(fail.Keyring())
    monkeypatch.setenv("CLINIC_TUI_TOKEN", "from-env")
    assert credential_for(SERVER).secret == "from-env"


def test_no_stored_secret_says_how_to_log_in(memory: MemoryKeyring) -> None:
    with pytest.raises(CredentialError, match="clinic-tui login --server") as caught:
        credential_for(SERVER)
    assert "CLINIC_TUI_TOKEN" in str(caught.value)


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_no_usable_backend_names_the_alternatives(use_keyring: Any, backend: Any) -> None:
    use_keyring(backend)
    with pytest.raises(CredentialError) as caught:
        store_credential(SERVER, Credential("bearer", "tok"))
    message = str(caught.value)
    assert "no usable keyring backend" in message
    assert "pip install keyrings.alt" in message
    assert "PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring" in message
    assert "CLINIC_TUI_TOKEN" in message
    assert caught.value.exit_code == 2


def test_an_empty_chain_is_no_backend(use_keyring: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    use_keyring(chainer.ChainerBackend())
    with pytest.raises(CredentialError, match="no usable keyring backend"):
        keyring_backend()


def test_the_plaintext_file_backend_is_refused(use_keyring: Any) -> None:
    plaintext = use_keyring(PlaintextKeyring())
    with pytest.raises(CredentialError, match=r"PlaintextKeyring .*refuses it"):
        store_credential(SERVER, Credential("bearer", "tok"))
    assert plaintext.entries == {}


def test_a_chain_skips_its_plaintext_member(
    use_keyring: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plaintext, safe = PlaintextKeyring(), MemoryKeyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [plaintext, safe])
    use_keyring(chainer.ChainerBackend())
    store_credential(SERVER, Credential("bearer", "tok"))
    assert plaintext.entries == {}
    assert safe.entries == {("clinic-tui", SERVER): "tok"}


def test_a_chain_of_only_plaintext_is_refused(
    use_keyring: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [PlaintextKeyring()])
    use_keyring(chainer.ChainerBackend())
    with pytest.raises(CredentialError, match="refuses it"):
        keyring_backend()


def test_a_keyring_failure_is_one_clear_error(use_keyring: Any) -> None:
    from keyring.errors import PasswordSetError

    class Locked(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise PasswordSetError("the keyring is locked")

    use_keyring(Locked())
    with pytest.raises(CredentialError, match="could not store the secret: the keyring is locked"):
        store_credential(SERVER, Credential("bearer", "tok"))


def test_a_secret_never_shows_in_repr() -> None:
    assert "s3cret" not in repr(Credential("client_credentials", "s3cret", client_id="c"))
    assert "s3cret" not in repr(Credential("bearer", "s3cret"))


def test_normalised_urls() -> None:
    assert normalise_server_url(" https://Host:8443/FHIR/ ") == "https://host:8443/FHIR"
    assert credentials.SERVICE == "clinic-tui"
