"""Printing a signed slip: the PDF is always written under slips/; lp only when configured."""

from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path

import pypdfium2
import pytest
from sqlalchemy import Engine

from clinic_tui.config import load_settings
from clinic_tui.domain.models import Chart, Clinic
from clinic_tui.errors import ConfigError
from clinic_tui.offline_cache.chart_repository import ChartRepository
from clinic_tui.prescribing.formulary import Formulary, starter_formulary
from clinic_tui.prescribing.model import Basket
from clinic_tui.prescribing.order_line import parse_order_line
from clinic_tui.prescribing.prescriber import Prescriber, SignedSlip
from clinic_tui.prescribing.printing import print_slip, slip_file, slip_number
from tests.ui.chart_fixtures import NOW, fill_cache

CLINIC = Clinic("org-town", "青山镇卫生院")


def _program(folder: Path, name: str, script: str) -> None:
    """A real executable on PATH: the printer command as this machine would run it."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def formulary() -> Formulary:
    """The project's starter formulary."""
    return starter_formulary()


@pytest.fixture
def signed(engine: Engine, formulary: Formulary) -> tuple[Prescriber, Chart, SignedSlip]:
    """p-nka's slip of two lines, signed in today's visit."""
    fill_cache(engine)
    prescriber = Prescriber(engine, CLINIC, "dr-li")
    lines = []
    for text in ("amox 500mg po tid 5d", "布洛芬 0.2g 口服 每日三次 3天"):
        parsed = parse_order_line(text, formulary)
        assert parsed.order is not None, parsed.problems
        lines.append(parsed.order)
    slip = prescriber.sign("p-nka", None, Basket(lines=lines), [], NOW)
    chart = ChartRepository(engine).load("p-nka", NOW.date())
    assert chart is not None
    return prescriber, chart, slip


def _text(path: Path) -> str:
    document = pypdfium2.PdfDocument(path)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_a_slip_read_back_from_the_cache_is_written_with_every_line(
    signed: tuple[Prescriber, Chart, SignedSlip], formulary: Formulary, tmp_path: Path
) -> None:
    prescriber, chart, slip = signed
    outcome = print_slip(prescriber, chart, slip.group_id, formulary, NOW, tmp_path, None)
    assert outcome.path == slip_file(tmp_path, slip.group_id, NOW)
    assert outcome.printer is None
    assert outcome.problem(zh=False) == ""
    text = _text(outcome.path)
    for expected in ("青山镇卫生院", "李秀英", "阿莫西林", "布洛芬", slip_number(slip.group_id)):
        assert expected in text


def test_a_failing_printer_is_said_and_the_pdf_is_kept(
    signed: tuple[Prescriber, Chart, SignedSlip],
    formulary: Formulary,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prescriber, chart, slip = signed
    _program(tmp_path / "bin", "lp", 'echo "lp: The printer or class does not exist." >&2; exit 1')
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + os.environ["PATH"])
    outcome = print_slip(
        prescriber, chart, slip.group_id, formulary, NOW, tmp_path / "slips", "nowhere",
        orders=slip.lines,
    )  # fmt: skip
    assert outcome.path.is_file()
    assert outcome.printer is None
    assert "nowhere" in outcome.problem(zh=False)
    assert "does not exist" in outcome.problem(zh=False)
    assert outcome.problem(zh=True).startswith("未打印")


def test_a_queued_slip_names_its_printer(
    signed: tuple[Prescriber, Chart, SignedSlip],
    formulary: Formulary,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prescriber, chart, slip = signed
    record = tmp_path / "args.txt"
    _program(tmp_path / "bin", "lp", f'echo "$@" > {record}; echo "request id is desk-1"')
    monkeypatch.setenv("PATH", str(tmp_path / "bin") + os.pathsep + os.environ["PATH"])
    outcome = print_slip(
        prescriber, chart, slip.group_id, formulary, NOW, tmp_path / "slips", "front-desk"
    )
    assert outcome.printer == "front-desk"
    assert record.read_text(encoding="utf-8").split() == [
        "-d", "front-desk", "--", str(outcome.path),
    ]  # fmt: skip


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
