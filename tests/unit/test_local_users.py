"""clinic-tui users: PINs asked, never on argv, stored only as salted scrypt hashes."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path

import pytest

from clinic_tui.__main__ import build_parser
from clinic_tui.config import load_settings
from clinic_tui.errors import ConfigError
from clinic_tui.offline_cache.local_users import (
    FIRST_WAIT_SECONDS,
    UnlockGuard,
    add_user,
    load_users,
    pin_matches,
    users_path,
)
from tests.conftest import Cli


def test_add_list_remove(tmp_path: Path, cli: Cli) -> None:
    data = str(tmp_path / "data")
    code, out, err = cli(
        "users",
        "add",
        "--practitioner-id",
        "dr-li",
        "--name",
        "李医生",
        "--data-dir",
        data,
        stdin="2468\n",
    )
    assert code == 0, err
    assert "the workstation now opens on the sign-in screen" in out
    code, out, _err = cli("users", "list", "--data-dir", data)
    assert "dr-li\t李医生" in out
    code, out, err = cli("users", "remove", "--practitioner-id", "dr-li", "--data-dir", data)
    assert code == 0, err
    code, out, _err = cli("users", "list", "--data-dir", data)
    assert "No clinicians registered" in out
    code, _out, err = cli("users", "remove", "--practitioner-id", "dr-li", "--data-dir", data)
    assert code == 2
    assert "not registered" in err


def test_the_pin_is_only_a_salted_hash_in_a_file_only_its_owner_reads(tmp_path: Path) -> None:
    add_user(tmp_path, "dr-li", "李医生", "2468")
    add_user(tmp_path, "dr-wang", "Dr Wang", "2468")
    stored = users_path(tmp_path).read_text(encoding="utf-8")
    assert "2468" not in stored
    first, second = load_users(tmp_path)
    assert first.pin_hash != second.pin_hash  # a salt of its own each
    assert "2468" not in repr(first)
    assert first.pin_hash not in repr(first)
    assert stat.S_IMODE(users_path(tmp_path).stat().st_mode) == 0o600
    assert pin_matches(first, "2468")
    assert not pin_matches(first, "2469")


def test_a_short_pin_or_a_second_registration_is_refused(tmp_path: Path, cli: Cli) -> None:
    data = str(tmp_path / "data")
    code, _out, err = cli(
        "users",
        "add",
        "--practitioner-id",
        "dr-li",
        "--name",
        "Li",
        "--data-dir",
        data,
        stdin="12\n",
    )
    assert code == 2
    assert "at least 4 characters" in err
    assert not users_path(Path(data)).exists()
    add_user(Path(data), "dr-li", "Li", "1234")
    with pytest.raises(ConfigError, match="already registered"):
        add_user(Path(data), "dr-li", "Li again", "5678")


def _options(parser: argparse.ArgumentParser) -> list[str]:
    found = [option for action in parser._actions for option in action.option_strings]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _options(sub)
    return found


def test_no_command_takes_a_pin_passphrase_key_or_secret_on_its_command_line() -> None:
    options = _options(build_parser())
    assert "--practitioner-id" in options  # the walk reaches `users add`
    assert "--passphrase-prompt" in options
    # Every option that takes a value: none may be a secret.
    for option in options:
        if option in ("--passphrase-prompt", "--keyring"):
            continue  # switches: the passphrase is prompted for, the key made and kept
        assert not any(word in option for word in ("pin", "passphrase", "secret", "key", "token"))


def test_wrong_pins_wait_longer_and_longer_after_three() -> None:
    guard = UnlockGuard()
    for _ in range(3 - 1):
        guard.failed(100.0)
        assert guard.wait_left(100.0) == 0
    guard.failed(100.0)
    assert guard.wait_left(100.0) == FIRST_WAIT_SECONDS
    guard.failed(200.0)
    assert guard.wait_left(200.0) == 2 * FIRST_WAIT_SECONDS
    guard.succeeded()
    assert guard.wait_left(200.0) == 0


def test_idle_lock_minutes_is_read_from_the_security_section(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    assert load_settings(config_flag=str(config)).idle_lock_minutes == 10.0
    config.write_text("[security]\nidle_lock_minutes = 3\n", encoding="utf-8")
    assert load_settings(config_flag=str(config)).idle_lock_minutes == 3.0
    config.write_text("[security]\nidle_lock_minutes = 'soon'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="idle_lock_minutes"):
        load_settings(config_flag=str(config))


def test_a_workstation_that_requires_encryption_refuses_a_plain_cache(
    tmp_path: Path, cli: Cli
) -> None:
    from tests.encryption_fixtures import demo_cache

    path = demo_cache(cli, tmp_path / "data")
    config = tmp_path / "config.toml"
    config.write_text("[security]\nrequire_encrypted_cache = true\n", encoding="utf-8")
    code, _out, err = cli("--config", str(config), "--data-dir", str(path.parent))
    assert code == 1
    assert "requires an encrypted cache" in err
    assert "clinic-tui encrypt" in err
