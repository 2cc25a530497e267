"""[sync] interval_seconds: the background sync's interval in the TUI, checked when read."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic_tui.config import MIN_SYNC_INTERVAL, load_settings
from clinic_tui.errors import ConfigError


def _settings_with(tmp_path: Path, body: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(body, encoding="utf-8")
    return config


def test_default_is_two_minutes(tmp_path: Path) -> None:
    settings = load_settings(config_flag=str(_settings_with(tmp_path, "")))
    assert settings.sync_interval_seconds == 120.0


def test_read_from_the_sync_section_and_never_below_the_floor(tmp_path: Path) -> None:
    config = _settings_with(tmp_path, "[sync]\ninterval_seconds = 45\n")
    assert load_settings(config_flag=str(config)).sync_interval_seconds == 45.0
    config = _settings_with(tmp_path, "[sync]\ninterval_seconds = 1\n")
    assert load_settings(config_flag=str(config)).sync_interval_seconds == MIN_SYNC_INTERVAL


@pytest.mark.parametrize("value", ['"fast"', "true"])
def test_a_value_that_is_not_seconds_is_a_config_error(tmp_path: Path, value: str) -> None:
    config = _settings_with(tmp_path, f"[sync]\ninterval_seconds = {value}\n")
    with pytest.raises(ConfigError, match="interval_seconds"):
        load_settings(config_flag=str(config))
