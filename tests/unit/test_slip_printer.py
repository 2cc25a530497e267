"""send_to_printer: lp with -d, and a result in words for every way printing can fail."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from clinic_tui.prescribing import slip_printer
from clinic_tui.prescribing.slip_printer import LP_SECONDS, send_to_printer


def _fake_lp(folder: Path, script: str) -> Path:
    """An executable standing in for CUPS' lp: records its arguments, then runs `script`."""
    lp = folder / "lp"
    lp.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{folder}/args"\n{script}\n')
    lp.chmod(lp.stat().st_mode | stat.S_IXUSR)
    return lp


@pytest.fixture
def slip(tmp_path: Path) -> Path:
    path = tmp_path / "RX-1.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    return path


def test_queued_on_the_named_printer(tmp_path: Path, slip: Path) -> None:
    lp = _fake_lp(tmp_path, 'echo "request id is office-42 (1 file(s))"')
    result = send_to_printer(slip, "office", lp=str(lp))
    assert result.ok
    assert result.job == "request id is office-42 (1 file(s))"
    assert (tmp_path / "args").read_text().split() == ["-d", "office", "--", str(slip)]
    assert result.message_en == "Sent to printer office"
    assert result.message_zh == "已发送到打印机 office"


def test_no_printer_named_goes_to_the_default(tmp_path: Path, slip: Path) -> None:
    lp = _fake_lp(tmp_path, 'echo "request id is default-7 (1 file(s))"')
    result = send_to_printer(slip, None, lp=str(lp))
    assert result.ok
    assert (tmp_path / "args").read_text().split() == ["--", str(slip)]
    assert "default printer" in result.message_en


def test_lp_refusing_says_what_lp_said(tmp_path: Path, slip: Path) -> None:
    lp = _fake_lp(tmp_path, 'echo "lp: The printer or class does not exist." >&2; exit 1')
    result = send_to_printer(slip, "nowhere", lp=str(lp))
    assert not result.ok
    assert result.message_en == (
        "Not printed: printer nowhere: lp: The printer or class does not exist."
    )
    assert result.message_zh.startswith("未打印：打印机 nowhere")
    assert slip.is_file(), "the PDF stays for printing later"


def test_no_lp_installed_is_a_result_not_an_exception(
    monkeypatch: pytest.MonkeyPatch, slip: Path
) -> None:
    monkeypatch.setattr(slip_printer.shutil, "which", lambda name: None)
    result = send_to_printer(slip, "office")
    assert not result.ok
    assert "lp command is not installed" in result.message_en
    assert "未安装 lp 命令" in result.message_zh


def test_lp_that_cannot_run_is_a_result(tmp_path: Path, slip: Path) -> None:
    broken = tmp_path / "lp"
    broken.write_text("not a program")  # not executable
    result = send_to_printer(slip, "office", lp=str(broken))
    assert not result.ok
    assert result.message_en.startswith("Not printed: lp could not run:")


def test_lp_that_hangs_is_a_result(slip: Path) -> None:
    def hangs(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired("lp", LP_SECONDS)

    result = send_to_printer(slip, "office", run=hangs, lp="/usr/bin/lp")
    assert not result.ok
    assert f"within {LP_SECONDS} s" in result.message_en


def test_a_missing_file_is_not_sent(tmp_path: Path) -> None:
    lp = _fake_lp(tmp_path, "exit 0")
    result = send_to_printer(tmp_path / "gone.pdf", "office", lp=str(lp))
    assert not result.ok
    assert "does not exist" in result.message_en
    assert not (tmp_path / "args").exists()
