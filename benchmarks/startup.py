"""Cold start to the interactive queue on a 100,000-patient cache, beside a bare Textual app.

Each run is a fresh Python process (so imports are cold for Python, warm for the OS page
cache, as on a clinic PC that has run the app before). The clock runs from the spawn of
the process until the first screen's DataTable shows rows. Peak RSS is taken after
clinic-tui has also loaded what its first keypress needs (ORM, repositories). Both apps
run headless at 120x40 through the same probe (_startup_probe.py).

    .venv/bin/python benchmarks/startup.py [--runs 7] [--patients 100000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _demo_cache import demo_cache_dir

PROBE = Path(__file__).with_name("_startup_probe.py")


def measure(kind: str, data_dir: Path) -> tuple[float, float]:
    """(seconds to rows on screen, peak RSS MiB) of one cold start of `kind` ('clinic'/'bare')."""
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, str(PROBE), kind, str(data_dir), repr(time.time())],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{kind} probe failed ({result.returncode}): {result.stderr[-500:]}")
    figures = dict(line.split("=", 1) for line in result.stdout.split() if "=" in line)
    return float(figures["rows_s"]), int(figures["peak_rss_kib"]) / 1024


def main() -> None:
    """Print median/min wall time and peak RSS for the clinic app and the bare baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--patients", type=int, default=100_000)
    args = parser.parse_args()
    data_dir = demo_cache_dir(args.patients)

    results: dict[str, list[tuple[float, float]]] = {"bare": [], "clinic": []}
    measure("bare", data_dir)  # warm the OS page cache for both
    measure("clinic", data_dir)
    for _ in range(args.runs):
        for kind in results:  # interleaved, so drift in machine load hits both alike
            results[kind].append(measure(kind, data_dir))

    print(f"cold start to interactive first screen, {args.runs} runs each, headless 120x40")
    print(f"cache: {args.patients:,} patients ({data_dir})")
    print(f"{'app':<34}{'median s':>10}{'min s':>8}{'peak RSS MiB':>14}")
    labels = {"bare": "bare Textual app, one DataTable", "clinic": "clinic-tui queue"}
    medians = {}
    for kind, samples in results.items():
        walls = [wall for wall, _ in samples]
        medians[kind] = statistics.median(walls)
        rss = max(peak for _, peak in samples)
        print(f"{labels[kind]:<34}{medians[kind]:>10.3f}{min(walls):>8.3f}{rss:>14.1f}")
    ratio = medians["clinic"] / medians["bare"]
    clinic_rss = max(peak for _, peak in results["clinic"])
    print(f"ratio clinic/bare (median wall): {ratio:.2f}x  (target <= 2.0x)")
    print(f"clinic peak RSS: {clinic_rss:.1f} MiB  (target <= 100 MiB)")


if __name__ == "__main__":
    main()
