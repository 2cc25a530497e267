"""benchmarks/form_open.py runs end to end on a tiny demo clinic and prints its table
(no figure is checked: a benchmark, not a timed assert)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "form_open.py"


def test_the_benchmark_times_every_form_beside_the_bare_app_and_prints_its_table() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--runs", "1", "--repeats", "0", "--patients", "40"],
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    header = next(line for line in done.stdout.splitlines() if line.startswith("form / dialog"))
    for column in ("first p50", "first p95", "bare p50"):
        assert column in header
    rows = {line[:18].strip(): line for line in done.stdout.splitlines()}
    for form in ("allergy", "vitals", "note", "diagnosis", "referral", "order screen"):
        assert form in rows, done.stdout
        assert any(cell.isdigit() for cell in rows[form][18:].split()), rows[form]
    assert "first slip (p)" in rows, done.stdout
