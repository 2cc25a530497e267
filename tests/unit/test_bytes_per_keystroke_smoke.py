"""benchmarks/bytes_per_keystroke.py runs end to end on a tiny setting (no figure is checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bytes_per_keystroke.py"


def test_the_benchmark_drives_both_channels_and_the_baseline_and_prints_its_table() -> None:
    finished = subprocess.run(
        [
            *(sys.executable, str(SCRIPT), "--patients", "20", "--sizes", "80x24"),
            *("--channels", "pty,ws", "--modes", "low", "--repeats", "1", "--idle", "0.2"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    table = finished.stdout
    for column in ("pty low", "pty bare", "ws low", "ws bare"):
        assert column in table
    for action in ("queue move (↓)", "open chart (Enter)", "open search (/)", "type 3 chars"):
        assert action in table
