"""`clinic-tui logout`: the stored secret goes, the settings keep the server unless asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from clinic_tui.credentials import Credential, store_credential
from tests.conftest import Cli
from tests.unit.test_credentials import MemoryKeyring

SERVER = "https://fhir.county-hospital.example/fhir"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring for one test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A settings file as `login` leaves it, with a comment of the clinic's own."""
    path = tmp_path / "config.toml"
    path.write_text(
        '# workstation 3\n[ui]\nlanguage = "en"\n\n[sync]\n'
        f'server = "{SERVER}"\nca_bundle = "/etc/ssl/hospital-ca.pem"\ninterval_seconds = 60\n'
    )
    return path


def test_logout_removes_the_token_and_keeps_the_server_line(
    memory_keyring: MemoryKeyring, config: Path, cli: Cli
) -> None:
    store_credential(SERVER, Credential(kind="bearer", secret="tok-1"))
    before = config.read_text()
    code, out, err = cli("logout", "--config", str(config))
    assert (code, err) == (0, "")
    assert out == (
        f"Logged out of {SERVER}: removed its bearer token from the keyring.\n"
        f"{config} still names this server (add --forget-server to remove it too).\n"
    )
    assert memory_keyring.entries == {}
    assert config.read_text() == before


def test_logout_with_forget_server_removes_the_server_from_the_settings_too(
    memory_keyring: MemoryKeyring, config: Path, cli: Cli
) -> None:
    credential = Credential(
        kind="client_credentials", secret="s", client_id="clinic-7", token_url=SERVER + "/token"
    )
    store_credential(SERVER, credential)
    code, out, _ = cli("logout", "--config", str(config), "--forget-server")
    assert code == 0
    assert "removed the client credentials of clinic-7 from the keyring" in out
    assert "Removed the server from" in out
    assert memory_keyring.entries == {}
    assert config.read_text() == (
        '# workstation 3\n[ui]\nlanguage = "en"\n\n[sync]\ninterval_seconds = 60\n'
    )


def test_logout_of_another_server_leaves_the_settings_alone(
    memory_keyring: MemoryKeyring, config: Path, cli: Cli
) -> None:
    other = "https://fhir.city-hospital.example/fhir"
    store_credential(other, Credential(kind="bearer", secret="tok-2"))
    store_credential(SERVER, Credential(kind="bearer", secret="tok-1"))
    before = config.read_text()
    code, out, _ = cli("logout", "--server", other, "--config", str(config), "--forget-server")
    assert code == 0
    assert f"Logged out of {other}" in out
    assert f"{config} names another server ({SERVER}); left as it is." in out
    assert memory_keyring.entries == {("clinic-tui", SERVER): "tok-1"}
    assert config.read_text() == before


def test_logout_with_nothing_stored_says_so(memory_keyring: MemoryKeyring, cli: Cli) -> None:
    code, out, _ = cli("logout", "--server", SERVER + "/")
    assert code == 0
    assert out == f"Nothing to remove: no credentials for {SERVER} were stored in the keyring.\n"


def test_logout_without_a_keyring_says_nothing_was_stored(cli: Cli) -> None:
    # The test isolation's null keyring: no backend at all.
    code, out, err = cli("logout", "--server", SERVER)
    assert (code, err) == (0, "")
    assert "this machine has no usable keyring, so no credentials" in out


def test_logout_says_the_environment_token_still_applies(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv("CLINIC_TUI_TOKEN", "env-token")
    code, out, _ = cli("logout", "--server", SERVER)
    assert code == 0
    assert "CLINIC_TUI_TOKEN is still set in this environment" in out


def test_logout_without_a_server_says_how_to_name_one(cli: Cli) -> None:
    code, _, err = cli("logout")
    assert code == 2
    assert err == (
        "clinic-tui: no server to log out of: give --server URL (or set CLINIC_TUI_SERVER)\n"
    )
