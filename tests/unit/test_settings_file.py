"""login writes [sync] into the settings file without disturbing anything else in it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from clinic_tui.config import load_settings
from clinic_tui.errors import ConfigError
from clinic_tui.settings_file import update_section

SERVER = "https://fhir.example/fhir"


def test_a_new_file_gets_a_sync_section(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    assert update_section(path, "sync", {"server": SERVER, "ca_bundle": None}) is True
    assert path.read_text() == f'[sync]\nserver = "{SERVER}"\n'
    assert load_settings(config_flag=str(path)).server_url == SERVER


def test_comments_other_sections_and_keys_survive(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    original = (
        "# clinic workstation 3\n"
        "[ui]\n"
        'language = "zh"  # the nurses read Chinese\n'
        "\n"
        "[sync]\n"
        "# the county hospital\n"
        'server = "https://old.example/fhir"\n'
        "interval_minutes = 5\n"
        "\n"
        "[clinic]\n"
        'organization_id = "org-1"\n'
    )
    path.write_text(original)
    assert update_section(path, "sync", {"server": SERVER, "allow_insecure_http": True})
    text = path.read_text()
    assert "# clinic workstation 3" in text
    assert "# the nurses read Chinese" in text
    assert "# the county hospital" in text
    document = tomllib.loads(text)
    assert document == {
        "ui": {"language": "zh"},
        "sync": {"server": SERVER, "interval_minutes": 5, "allow_insecure_http": True},
        "clinic": {"organization_id": "org-1"},
    }
    # The new key sits inside [sync], before the blank line that parts the sections.
    assert "allow_insecure_http = true\n\n[clinic]" in text


def test_none_removes_a_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[sync]\nserver = "x"\nca_bundle = "/etc/ca.pem"\n')
    update_section(path, "sync", {"ca_bundle": None})
    assert tomllib.loads(path.read_text()) == {"sync": {"server": "x"}}


def test_strings_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    tricky = 'C:\\certs\\"hospital" ca.pem'
    update_section(path, "sync", {"ca_bundle": tricky})
    assert tomllib.loads(path.read_text())["sync"]["ca_bundle"] == tricky


def test_a_shape_the_line_editor_cannot_handle_is_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('# note\nsync = { server = "old" }\n[ui]\nlanguage = "en"\n')
    assert update_section(path, "sync", {"server": SERVER}) is False
    assert tomllib.loads(path.read_text()) == {
        "sync": {"server": SERVER},
        "ui": {"language": "en"},
    }


def test_an_invalid_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[sync\nserver = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        update_section(path, "sync", {"server": SERVER})
    assert path.read_text() == "[sync\nserver = "


def test_the_file_mode_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("")
    path.chmod(0o600)
    update_section(path, "sync", {"server": SERVER})
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]
