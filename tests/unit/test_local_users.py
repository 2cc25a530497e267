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
    add_user,
    check_pin_rules,
    load_users,
    pin_matches,
    pin_weakness,
    set_pin,
    users_path,
)
from clinic_tui.offline_cache.sign_in_attempts import SignInAttempts
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
        stdin="482916\n",
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
    add_user(tmp_path, "dr-li", "李医生", "482916")
    add_user(tmp_path, "dr-wang", "Dr Wang", "482916")
    stored = users_path(tmp_path).read_text(encoding="utf-8")
    assert "482916" not in stored
    first, second = load_users(tmp_path)
    assert first.pin_hash != second.pin_hash  # a salt of its own each
    assert "482916" not in repr(first)
    assert first.pin_hash not in repr(first)
    assert stat.S_IMODE(users_path(tmp_path).stat().st_mode) == 0o600
    assert pin_matches(first, "482916")
    assert not pin_matches(first, "482917")


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
    assert err == "clinic-tui: a PIN needs at least 6 characters\n"  # one line, no traceback
    assert not users_path(Path(data)).exists()
    add_user(Path(data), "dr-li", "Li", "482916")
    with pytest.raises(ConfigError, match="already registered"):
        add_user(Path(data), "dr-li", "Li again", "730528")


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


@pytest.mark.parametrize(
    ("pin", "why"),
    [
        ("1234", "at least 6 characters"),  # the old minimum
        ("12345", "at least 6 characters"),
        ("000000", "one repeated character"),
        ("888888", "one repeated character"),
        ("aaaaaaaa", "one repeated character"),
        ("123456", "consecutive digits"),
        ("654321", "consecutive digits"),
        ("890123", "consecutive digits"),  # 0 follows 9
        ("3456789", "consecutive digits"),
        ("121212", "repeats or mirrors"),
        ("123123", "repeats or mirrors"),
        ("520520", "repeats or mirrors"),
        ("123321", "repeats or mirrors"),
        ("147258", "line on the keypad"),
        ("159357", "line on the keypad"),
        ("drli2024", None),
        ("482916", None),
        ("730528", None),
        ("1357924680", None),
        ("晚安医生李二", None),  # a passphrase of any script will do
    ],
)
def test_the_rules_of_a_new_pin(pin: str, why: str | None) -> None:
    weakness = pin_weakness(pin)
    if why is None:
        assert weakness is None
        check_pin_rules(pin)
    else:
        assert weakness is not None
        assert why in weakness
        with pytest.raises(ConfigError, match=why):
            check_pin_rules(pin)


def test_a_pin_may_not_be_the_practitioner_id(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="may not be the practitioner id"):
        add_user(tmp_path, "483920", "Li", "483920")
    assert load_users(tmp_path) == []


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("123456", "a PIN of consecutive digits (such as 123456) is too easy to guess"),
        ("111111", "a PIN of one repeated character is too easy to guess"),
        ("12", "a PIN needs at least 6 characters"),
    ],
)
def test_users_add_refuses_a_weak_pin_in_one_line(
    tmp_path: Path, cli: Cli, pin: str, message: str
) -> None:
    data = str(tmp_path / "data")
    args = ("users", "add", "--practitioner-id", "dr-li", "--name", "Li", "--data-dir", data)
    code, out, err = cli(*args, stdin=f"{pin}\n")
    assert (code, out, err) == (2, "", f"clinic-tui: {message}\n")
    assert not users_path(Path(data)).exists()


def test_the_pin_rules_speak_chinese(tmp_path: Path, cli: Cli) -> None:
    data = str(tmp_path / "data")
    args = ("users", "add", "--practitioner-id", "dr-li", "--name", "Li", "--data-dir", data)
    code, _out, err = cli("--lang", "zh", *args, stdin="123456\n")
    assert code == 2
    assert "由连续数字组成的 PIN（如 123456）太容易被猜到" in err


def _legacy(folder: Path, practitioner_id: str, name: str, pin: str) -> None:
    """A clinician registered before the PIN rules, with a PIN they would now refuse."""
    from clinic_tui.offline_cache.local_users import LocalUser, _write, hash_pin

    _write(folder, [*load_users(folder), LocalUser(practitioner_id, name, hash_pin(pin))])


def test_users_pin_sets_a_new_pin_under_the_rules_and_clears_the_count(
    tmp_path: Path, cli: Cli
) -> None:
    data = tmp_path / "data"
    _legacy(data, "dr-li", "李医生", "1234")
    attempts = SignInAttempts(data)
    for _ in range(5):
        attempts.try_pin("dr-li", lambda: False)
    assert attempts.wait_left("dr-li") > 0
    args = ("users", "pin", "--practitioner-id", "dr-li", "--data-dir", str(data))
    code, _out, err = cli(*args, stdin="654321\n")
    assert (code, err) == (
        2,
        "clinic-tui: a PIN of consecutive digits (such as 123456) is too easy to guess\n",
    )
    assert pin_matches(load_users(data)[0], "1234")  # nothing changed
    code, out, err = cli(*args, stdin="482916\n")
    assert code == 0, err
    assert "New PIN set for 李医生 (dr-li)" in out
    (user,) = load_users(data)
    assert pin_matches(user, "482916")
    assert not pin_matches(user, "1234")
    assert attempts.failures("dr-li") == 0
    assert attempts.wait_left("dr-li") == 0


def test_users_pin_of_someone_not_registered_is_refused(tmp_path: Path, cli: Cli) -> None:
    args = ("users", "pin", "--practitioner-id", "dr-x", "--data-dir", str(tmp_path))
    code, _out, err = cli(*args, stdin="482916\n")
    assert (code, err) == (2, "clinic-tui: dr-x is not registered on this workstation\n")
    with pytest.raises(ConfigError, match="not registered"):
        set_pin(tmp_path, "dr-x", "482916")


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


def test_users_unlock_clears_one_clinicians_lock_out_or_everyones(tmp_path: Path, cli: Cli) -> None:
    add_user(tmp_path, "dr-li", "李医生", "482916")
    add_user(tmp_path, "dr-wang", "Dr Wang", "730528")
    attempts = SignInAttempts(tmp_path)
    for account in ("dr-li", "dr-wang"):
        for _ in range(5):
            attempts.try_pin(account, lambda: False)
    base = ("users", "unlock", "--data-dir", str(tmp_path))
    code, out, err = cli(*base, "--practitioner-id", "dr-li")
    assert code == 0, err
    assert "Wrong PINs of 李医生 (dr-li) forgotten" in out
    assert (attempts.wait_left("dr-li"), attempts.failures("dr-li")) == (0, 0)
    assert attempts.wait_left("dr-wang") > 0
    code, out, _err = cli(*base)
    assert code == 0
    assert "Every count of wrong PINs cleared" in out
    assert attempts.wait_left("dr-wang") == 0
    code, _out, err = cli(*base, "--practitioner-id", "dr-x")
    assert (code, err) == (2, "clinic-tui: dr-x is not registered on this workstation\n")
