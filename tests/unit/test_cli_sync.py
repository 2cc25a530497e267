"""login, sync, status and seed-server: argument errors, refusals and offline status."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from clinic_tui.__main__ import build_parser, main
from clinic_tui.commands.progress import ProgressDisplay
from clinic_tui.offline_cache.store import record_local_change
from tests.conftest import Cli


def _every_command(parser: argparse.ArgumentParser, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (sub)command's parser, however deep (terminology import, users add, ...)."""
    yield path or "clinic-tui", parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _every_command(sub, f"{path} {name}".strip())


SECRET_WORDS = ("token", "secret", "password", "passphrase", "pin", "key")


def test_no_command_takes_a_secret_on_the_command_line() -> None:
    commands = dict(_every_command(build_parser()))
    assert {"login", "sync", "status", "seed-server", "audit"} <= set(commands)
    for name, parser in commands.items():
        options = {o for a in parser._actions for o in a.option_strings}
        # A flag that says where a secret comes from (--keyring, --passphrase-prompt) is fine;
        # one that takes the secret's value (--passphrase X) is not.
        takes_value = {
            o
            for a in parser._actions
            for o in a.option_strings
            if a.nargs != 0 and any(word in o for word in SECRET_WORDS)
        }
        assert not takes_value, f"{name} takes a secret in argv: {takes_value} of {options}"


def test_login_has_no_token_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["login", "--server", "https://h.example/fhir", "--token", "abc"])
    assert caught.value.code == 2
    assert "unrecognized arguments: --token" in capsys.readouterr().err


def test_login_without_a_server_says_how_to_give_one(cli: Cli) -> None:
    code, _, err = cli("login")
    assert code == 2
    assert "no FHIR server given: use --server URL" in err


def test_plain_http_to_another_machine_is_refused(
    monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    stdin = io.StringIO("secret-token\n")
    monkeypatch.setattr("sys.stdin", stdin)
    code, _, err = cli("login", "--server", "http://hospital.example/fhir")
    assert code == 2
    assert "refusing plain http:// to hospital.example" in err
    assert "--allow-insecure-http" in err
    assert stdin.tell() == 0, "the secret was read although the server was refused"
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", ["sync", "seed-server"])
def test_other_commands_refuse_plain_http_too(command: str, tmp_path: Path, cli: Cli) -> None:
    code, _, err = cli(command, "--server", "http://10.0.0.5/fhir", "--data-dir", str(tmp_path))
    assert code == 2
    assert "refusing plain http://" in err


def test_login_without_a_keyring_fails_before_asking_for_the_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cli: Cli
) -> None:
    # The autouse fixture selects keyring's null backend: nothing could be stored.
    stdin = io.StringIO("secret-token\n")
    monkeypatch.setattr("sys.stdin", stdin)
    config = tmp_path / "config.toml"
    code, _, err = cli("login", "--server", "https://h.example/fhir", "--config", str(config))
    assert code == 2
    assert "no usable keyring backend" in err
    assert "keyrings.alt" in err
    assert "CLINIC_TUI_TOKEN" in err
    assert stdin.tell() == 0
    assert not config.exists()


def test_a_missing_ca_bundle_is_reported(tmp_path: Path, cli: Cli) -> None:
    code, _, err = cli(
        "login", "--server", "https://h.example/fhir", "--ca-bundle", str(tmp_path / "no")
    )
    assert code == 2
    assert "is not a readable file" in err


def test_sync_without_a_server(tmp_path: Path, cli: Cli) -> None:
    code, _, err = cli("sync", "--data-dir", str(tmp_path))
    assert code == 2
    assert "clinic-tui login --server URL" in err


def test_sync_without_credentials_says_how_to_log_in(tmp_path: Path, cli: Cli) -> None:
    code, _, err = cli(
        "sync", "--server", "https://h.example/fhir", "--data-dir", str(tmp_path / "d")
    )
    assert code == 2
    # The null keyring of the test isolation: nothing can be stored, so nothing was; the
    # person is told how to log in, not how secrets would be stored.
    assert err.startswith(
        "clinic-tui: not logged in to https://h.example/fhir: run "
        "`clinic-tui login --server https://h.example/fhir`"
    )
    assert "cannot be stored safely" not in err
    assert "CLINIC_TUI_TOKEN" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "d").exists()


def test_seed_server_needs_at_least_one_patient(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["seed-server", "--server", "https://h.example/fhir", "--patients", "0"])
    assert caught.value.code == 2
    assert "expected 1 to 200,000 patients, got 0" in capsys.readouterr().err


def test_status_of_a_missing_cache_does_not_create_it(tmp_path: Path, cli: Cli) -> None:
    code, out, _ = cli("status", "--json", "--data-dir", str(tmp_path / "none"))
    assert code == 0
    found = json.loads(out)
    assert found["cache_exists"] is False
    assert found["pending"] == 0
    assert not (tmp_path / "none").exists()


def test_status_json_counts_pending_changes_offline(
    engine: Engine, cache_file: Path, cli: Cli
) -> None:
    patient = {"resourceType": "Patient", "id": "p-1", "name": [{"text": "王芳"}]}
    record_local_change(engine, patient, "create")
    engine.dispose()
    code, out, _ = cli(
        "status",
        "--json",
        "--data-dir",
        str(cache_file.parent),
        "--server",
        "https://h.example/fhir",
    )
    assert code == 0
    found = json.loads(out)
    assert set(found) == {
        "server",
        "cache",
        "cache_exists",
        "last_sync",
        "pending",
        "conflicts",
        "rejected",
        "records",
        "server_notes",
        "clinical_content",
        "refused_downloads",
    }
    assert found["server"] == "https://h.example/fhir"
    assert found["pending"] == 1
    assert found["last_sync"] is None
    assert found["records"]["Patient"] == 1
    assert found["records"]["Encounter"] == 0


def test_status_for_people_is_a_table(engine: Engine, cache_file: Path, cli: Cli) -> None:
    code, out, _ = cli("status", "--data-dir", str(cache_file.parent))
    assert code == 0
    assert "Changes waiting to upload" in out
    assert "none: run clinic-tui login" in out
    assert "never" in out


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_progress_prints_each_step_once_and_long_steps_every_few_seconds() -> None:
    stream = io.StringIO()
    clock = Clock()
    with ProgressDisplay(plain=True, stream=stream, clock=clock) as display:
        for page in range(1, 5):
            display.update("download Patient", page, None, f"page {page}")
        clock.now += 6
        display.update("download Patient", 5, None, "page 5")
        display.update("download Patient", 6, None, "page 6")
        display.update("upload", 0, 3)
        display.update("upload", 2, 3)
        display.update("upload", 3, 3)
        display.update("merge", 0, None)
    assert stream.getvalue().splitlines() == [
        "download Patient: page 1",
        "download Patient: page 5",
        "download Patient: page 6",
        "upload: 3/3",
        "merge: 0",
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "{c}", "status", "--json"],
        ["status", "--config", "{c}", "--json"],
    ],
    ids=["before-the-command", "after-the-command"],
)
def test_options_count_before_or_after_the_command(
    argv: list[str], tmp_path: Path, cli: Cli
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[sync]\nserver = "https://from-file.example/fhir"\n')
    code, out, _ = cli(*(part.format(c=config) for part in argv))
    assert code == 0
    assert json.loads(out)["server"] == "https://from-file.example/fhir"
