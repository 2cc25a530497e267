"""The headless commands against the real FHIR server: login, seed-server, sync, status.

Each command runs in process through main(), with a throwaway in-memory keyring and
the secret on standard input, as an unattended script would give it.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import record_local_change
from clinic_tui.sync.client import RetryPolicy
from tests.conftest import Cli
from tests.integration.conftest import FhirServer
from tests.unit.test_credentials import MemoryKeyring


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring for one test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's settings file, named in CLINIC_TUI_CONFIG."""
    path = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("CLINIC_TUI_CONFIG", str(path))
    return path


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """No backoff waits: an unreachable server fails at once."""
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, retry: 0.0)


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_login_keeps_the_token_in_the_keyring_and_the_server_in_the_settings(
    fhir_server: FhirServer, memory_keyring: MemoryKeyring, config: Path, tmp_path: Path, cli: Cli
) -> None:
    config.parent.mkdir()
    config.write_text('# workstation 3\n[ui]\nlanguage = "zh"\n')
    code, out, err = cli(
        "login",
        "--server",
        fhir_server.base_url + "/",
        stdin=fhir_server.token + "\n",
    )
    assert (code, err) == (0, "")
    # In Chinese: the settings file's [ui] language applies to the command line too.
    assert out.startswith(f"已登录 {fhir_server.base_url}：令牌已保存到密钥环")
    assert memory_keyring.entries == {("clinic-tui", fhir_server.base_url): fhir_server.token}
    text = config.read_text()
    assert text.startswith('# workstation 3\n[ui]\nlanguage = "zh"\n')
    assert f'server = "{fhir_server.base_url}"' in text
    assert fhir_server.token not in text
    assert fhir_server.token not in out
    assert "CLINIC_TUI_TOKEN" not in out

    # The next commands find server and token by themselves.
    data = tmp_path / "data"
    code, out, err = cli("sync", "--data-dir", str(data))
    assert code == 0, err + out
    for path in _files_under(data) + _files_under(config.parent):
        assert fhir_server.token.encode() not in path.read_bytes(), path


def test_login_warns_when_the_environment_token_would_override_it(
    fhir_server: FhirServer,
    memory_keyring: MemoryKeyring,
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
) -> None:
    monkeypatch.setenv("CLINIC_TUI_TOKEN", "old-token")
    code, out, _ = cli("login", "--server", fhir_server.base_url, stdin=fhir_server.token)
    assert code == 0
    assert "CLINIC_TUI_TOKEN is set in this environment and overrides the stored secret" in out
    assert memory_keyring.entries == {("clinic-tui", fhir_server.base_url): fhir_server.token}


def test_a_wrong_token_is_refused_and_nothing_is_stored(
    fhir_server: FhirServer, memory_keyring: MemoryKeyring, config: Path, cli: Cli
) -> None:
    code, out, err = cli("login", "--server", fhir_server.base_url, stdin="wrong-token\n")
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == (
        "clinic-tui: the server refused this token (401 not authorised); nothing was stored"
    )
    # The server's own words, if it gave any, on a details line of their own.
    assert all(line.startswith("clinic-tui: the server said: ") for line in lines[1:]), err
    assert len(lines) <= 2
    assert memory_keyring.entries == {}
    assert not config.exists()


def test_an_empty_secret_is_refused(
    fhir_server: FhirServer, memory_keyring: MemoryKeyring, config: Path, cli: Cli
) -> None:
    code, _, err = cli("login", "--server", fhir_server.base_url, stdin="")
    assert code == 2
    assert "no secret given" in err
    assert memory_keyring.entries == {}


@pytest.mark.server_feature("oauth-token-endpoint")
def test_oauth_login_with_a_wrong_client_secret_stores_nothing(
    fhir_server: FhirServer, memory_keyring: MemoryKeyring, config: Path, cli: Cli
) -> None:
    # The server advertises its token endpoint in .well-known/smart-configuration but the
    # test configuration registers no OAuth client, so every client secret is refused.
    code, _, err = cli(
        "login",
        "--server",
        fhir_server.base_url,
        "--client-id",
        "clinic-7",
        stdin="not-the-secret\n",
    )
    assert code == 2
    assert "the token endpoint refused client 'clinic-7' (401); nothing was stored" in err
    assert "clinic-tui: the server said: invalid_client" in err
    assert memory_keyring.entries == {}


def test_seed_then_sync_into_an_empty_cache_then_status(
    fhir_server: FhirServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv("CLINIC_TUI_TOKEN", fhir_server.token)
    monkeypatch.setenv("CLINIC_TUI_SERVER", fhir_server.base_url)
    seed = ("seed-server", "--patients", "6", "--seed", "41")
    code, out, err = cli(*seed)
    assert code == 0, err
    assert "6 patients" in out
    # Every resource was stored: created (201) or, on a server that answers a create by
    # PUT with 200 (Medplum), counted as updated.
    counts = re.search(r"([\d,]+) resources \(([\d,]+) created, ([\d,]+) updated\)", out)
    assert counts is not None, out
    total, created, updated = (int(n.replace(",", "")) for n in counts.groups())
    assert created + updated == total > 0
    code, out, err = cli(*seed)
    assert code == 0, err
    assert "0 created" in out, "seeding again duplicated records"

    data = tmp_path / "data"
    code, out, err = cli("sync", "--data-dir", str(data))
    assert code == 0, err + out
    assert out.startswith("Synced: ")

    code, out, _ = cli("status", "--json", "--data-dir", str(data))
    assert code == 0
    status = json.loads(out)
    assert status["server"] == fhir_server.base_url
    assert status["last_sync"] is not None
    assert (status["pending"], status["conflicts"], status["rejected"]) == (0, 0, 0)
    assert status["records"]["Patient"] >= 6
    assert status["records"]["Organization"] >= 3
    assert status["records"]["Encounter"] >= 1


def test_sync_exits_1_when_the_server_rejects_a_change(
    fhir_server: FhirServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv("CLINIC_TUI_TOKEN", fhir_server.token)
    data = tmp_path / "data"
    engine = open_cache(data / "clinic.sqlite3")
    bad = {"resourceType": "Patient", "id": "cli-bad-birth", "birthDate": "not-a-date"}
    record_local_change(engine, bad, "create")
    engine.dispose()

    code, out, _ = cli("sync", "--server", fhir_server.base_url, "--data-dir", str(data))
    assert code == 1
    assert "1 changes rejected by the server" in out

    code, out, _ = cli("status", "--json", "--data-dir", str(data))
    assert json.loads(out)["rejected"] == 1


def test_sync_exits_2_when_the_server_cannot_be_reached(
    tmp_path: Path, quick_retries: None, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port is closed once the probe socket is: nothing listens there.
    monkeypatch.setenv("CLINIC_TUI_TOKEN", "any-token")
    code, out, err = cli(
        "sync",
        "--server",
        f"http://127.0.0.1:{port}/fhir",
        "--data-dir",
        str(tmp_path),
    )
    assert code == 2
    assert out == ""
    assert err == (
        f"clinic-tui: cannot reach the server at http://127.0.0.1:{port}/fhir: connection refused\n"
    )


def test_sync_exits_2_with_a_refused_token(
    fhir_server: FhirServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv("CLINIC_TUI_TOKEN", "expired-token")
    code, _, err = cli("sync", "--server", fhir_server.base_url, "--data-dir", str(tmp_path))
    assert code == 2
    first, *details = err.splitlines()
    # What it means, in our words alone, whatever words the server uses.
    assert first.startswith("clinic-tui: the server refused this workstation's token (GET /"), err
    assert first.endswith(": 401 not authorised); sign in again with clinic-tui login"), err
    # The server's sentence ("Unsupported or invalid Authorization scheme 'bearer'") is a
    # details line at most, never appended to the message.
    assert all(line.startswith("clinic-tui: the server said: ") for line in details), err


def test_sync_with_a_refused_token_says_so_in_chinese(
    fhir_server: FhirServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv("CLINIC_TUI_TOKEN", "expired-token")
    code, _, err = cli(
        "--lang", "zh", "sync", "--server", fhir_server.base_url, "--data-dir", str(tmp_path)
    )
    assert code == 2
    first, *details = err.splitlines()
    assert first.startswith("clinic-tui: 服务器拒绝了本工作站的令牌（GET /"), err
    assert first.endswith("：401 未授权）；请用 clinic-tui login 重新登录"), err
    assert all(line.startswith("clinic-tui：服务器原话：") for line in details), err
