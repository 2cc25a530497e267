"""How long the walk-in dialogs take to appear, measured through a real pty like a user sees.

Starts the app on a demo cache, waits for the queue, presses `r` (after `--delay`
seconds) and times until the search dialog is drawn, then Ctrl+N until the new-patient
form is drawn. Prints the median and worst of `--runs` runs.

    .venv/bin/python benchmarks/walk_in_open.py --data-dir .demo-clinic --delay 0
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.ui.terminal import CTRL_N, Terminal


def one_run(data_dir: Path, delay: float) -> tuple[float, float]:
    """(seconds from r to the search dialog, from Ctrl+N to the new-patient form)."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch)
        shutil.copy(data_dir / "clinic.sqlite3", copy / "clinic.sqlite3")
        with Terminal(copy) as terminal:
            terminal.wait_for("Walk-in")
            time.sleep(delay)
            terminal.forget()
            start = time.perf_counter()
            terminal.send("r")
            terminal.wait_for("Ctrl+N: new patient")
            search = time.perf_counter() - start
            terminal.forget()
            start = time.perf_counter()
            terminal.send(CTRL_N)
            terminal.wait_for("YYYY-MM-DD")
            form = time.perf_counter() - start
            terminal.quit()
    return search, form


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".demo-clinic"))
    parser.add_argument("--delay", type=float, default=0.0, help="seconds after the queue shows")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = [one_run(args.data_dir, args.delay) for _ in range(args.runs)]
    for label, values in (
        ("r -> search", [r[0] for r in results]),
        ("Ctrl+N -> form", [r[1] for r in results]),
    ):
        print(
            f"{label}: median {statistics.median(values) * 1000:.0f} ms, "
            f"worst {max(values) * 1000:.0f} ms ({args.runs} runs, delay {args.delay} s)"
        )


if __name__ == "__main__":
    main()
