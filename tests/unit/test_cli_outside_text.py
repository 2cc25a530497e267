"""The command line prints outside text (the server's words, imported names) as data.

Control characters are made visible (an ESC never reaches the terminal) and Rich never
reads a name or a reason as markup ("[red]" is printed as typed, not obeyed).
"""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine

from clinic_tui.commands.sync_round import report_lines
from clinic_tui.offline_cache.cache_file import connect
from clinic_tui.prescribing.formulary_store import write_drugs
from clinic_tui.prescribing.model import FormularyDrug, Product
from clinic_tui.sync import quarantine
from clinic_tui.sync.engine import SyncReport
from tests.conftest import Cli

HOSTILE = "\x1b]52;c;aGk=\x07[bold red]boom[/bold red]\x1b[2J"


def test_sync_error_lines_are_one_clean_line_each() -> None:
    report = SyncReport(
        uploaded=0,
        downloaded=1,
        deleted=0,
        conflicts=0,
        rejected=0,
        errors=[f"Patient/p1: refused: {HOSTILE}\nsecond line", "x" * 5000],
        finished_at="2026-03-01T08:00:00+00:00",
        complete=False,
    )

    lines = report_lines(report)

    assert (
        lines[1] == "  Patient/p1: refused: ␛]52;c;aGk=␇[bold red]boom[/bold red]␛[2J second line"
    )
    assert len(lines[2]) <= 502
    assert not any("\x1b" in line or "\x07" in line for line in lines)


def test_status_names_refused_server_records_as_plain_text(
    engine: Engine, cache_file: Path, cli: Cli
) -> None:
    with engine.begin() as connection:
        quarantine.update(
            connection, "Patient", [("deep-1", f"nested too deep {HOSTILE}")], [], "2026-03-01"
        )

    code, out, _ = cli("status", "--data-dir", str(cache_file.parent))
    json_code, json_out, _ = cli("status", "--json", "--data-dir", str(cache_file.parent))

    assert code == 0
    assert json_code == 0
    assert "Patient/deep-1" in out
    assert "[bold red]boom[/bold red]" in out  # printed as typed, not obeyed
    assert "\x1b" not in out
    assert "\x07" not in out
    refused = json.loads(json_out)["refused_downloads"]
    assert refused[0]["resource"] == "Patient/deep-1"
    assert "\x1b" not in refused[0]["reason"]


def test_formulary_search_prints_imported_names_as_data(
    engine: Engine, cache_file: Path, cli: Cli
) -> None:
    drug = FormularyDrug(
        code="evil",
        name_en=f"Evilcillin {HOSTILE}",
        name_zh="恶霉素[/]",
        atc="J01",
        products=(Product("tablet", 250, "mg", "tablet", "片"),),
    )
    with closing(connect(cache_file)) as connection:
        write_drugs(connection, [drug], "hostile.csv")

    code, out, _ = cli("formulary", "search", "evilcillin", "--data-dir", str(cache_file.parent))

    assert code == 0
    assert "恶霉素[/]" in out
    assert "[/bold red]" in out  # the markup is text, folded but not obeyed
    assert "\x1b" not in out
    assert "\x07" not in out
