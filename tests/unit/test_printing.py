"""Printing a slip: lp is asked only when a printer is configured; every failure is said."""

from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path

import pytest

from clinic_tui.config import load_settings
from clinic_tui.errors import ConfigError
from clinic_tui.prescribing.printing import send_to_printer, slip_file


def _program(folder: Path, name: str, script: str) -> None:
    """A real executable on PATH: the printer command as this machine would run it."""
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    """A file to print."""
    path = tmp_path / "slip.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    return path


def test_no_lp_installed_is_said_in_words(
    pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert send_to_printer(pdf, "front-desk") == "the lp command is not installed (CUPS client)"


def test_a_refusing_printer_is_named_with_lps_words(
    pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    _program(folder, "lp", 'echo "lp: The printer or class does not exist." >&2; exit 1')
    monkeypatch.setenv("PATH", str(folder))
    problem = send_to_printer(pdf, "nowhere")
    assert problem == "printer nowhere: lp: The printer or class does not exist."


def test_a_queued_job_names_the_printer_and_the_file(
    pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    record = tmp_path / "args.txt"
    _program(folder, "lp", f'echo "$@" > {record}; echo "request id is front-1 (1 file(s))"')
    monkeypatch.setenv("PATH", str(folder) + os.pathsep + os.environ.get("PATH", ""))
    assert send_to_printer(pdf, "front-desk") is None
    assert record.read_text(encoding="utf-8").split() == ["-d", "front-desk", "--", str(pdf)]


def test_slip_files_go_by_day_and_time(tmp_path: Path) -> None:
    signed = datetime(2026, 11, 24, 9, 30)
    path = slip_file(tmp_path / "slips", "0a1b2c3d-4e5f", signed)
    assert path == tmp_path / "slips" / "2026-11-24" / "0930-0a1b2c3d.pdf"


def test_printer_setting_is_read_and_checked(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text('[printing]\nprinter = "Front_Desk"\n', encoding="utf-8")
    assert load_settings(config_flag=str(config)).printer == "Front_Desk"
    config.write_text('[printing]\nprinter = ""\n', encoding="utf-8")
    assert load_settings(config_flag=str(config)).printer is None
    config.write_text('[printing]\nprinter = "-o evil"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[printing\] printer"):
        load_settings(config_flag=str(config))
