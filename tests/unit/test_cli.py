"""The command line answers bad input with one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinic_tui.__main__ import main


def test_a_corrupt_cache_gives_one_line_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "clinic.sqlite3").write_text("not a database")
    assert main(["--data-dir", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("clinic-tui: ")
    assert "not a clinic-tui cache" in err
    assert err.count("\n") == 1
    assert (tmp_path / "clinic.sqlite3").read_text() == "not a database"


def test_no_terminal_is_reported_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path)]) == 1
    assert "needs an interactive terminal" in capsys.readouterr().err


def test_no_terminal_leaves_no_cache_or_folder_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_folder = tmp_path / "new-clinic"
    assert main(["--data-dir", str(new_folder)]) == 1
    err = capsys.readouterr().err
    assert "needs an interactive terminal" in err
    assert err.count("clinic-tui") == 2  # the prefix and the --help hint, not a doubled prefix
    assert not new_folder.exists()


def test_invalid_settings_file_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[ui\nlanguage = ")
    assert main(["--config", str(config), "--data-dir", str(tmp_path)]) == 2
    assert "is not valid TOML" in capsys.readouterr().err


def test_unsupported_language_in_settings_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[ui]\nlanguage = "fr"\n')
    assert main(["--config", str(config), "--data-dir", str(tmp_path)]) == 2
    assert "unsupported language 'fr'" in capsys.readouterr().err


def test_demo_data_rejects_a_non_number(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["demo-data", "--patients", "lots"])
    assert exit_info.value.code == 2
    assert "expected a whole number, got 'lots'" in capsys.readouterr().err


def test_data_dir_from_the_environment_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "clinic.sqlite3").write_text("garbage")
    monkeypatch.setenv("CLINIC_TUI_DATA_DIR", str(tmp_path))
    assert main([]) == 3
    assert str(tmp_path) in capsys.readouterr().err


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "clinic.sqlite3").write_bytes(b"\x00\x01garbage")
    result = subprocess.run(
        [sys.executable, "-m", "clinic_tui", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
        timeout=60,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("clinic-tui: ")
