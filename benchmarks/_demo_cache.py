"""A demo cache shared by the benchmarks, built once under .bench/ and reused."""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / ".bench"


def demo_cache_dir(patients: int = 100_000, seed: int = 1) -> Path:
    """Folder of a cache holding a demo clinic of `patients` patients; generated when missing."""
    folder = BENCH_DIR / f"demo-{patients}-seed{seed}"
    marker = folder / "complete"
    if marker.exists():
        return folder
    # Imported only when generating, so a benchmark's parent process stays small.
    from clinic_tui.demo.generator import generate_demo_clinic
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.engine import open_cache

    path = cache_path(folder)
    for leftover in folder.glob("clinic.sqlite3*"):
        leftover.unlink()
    print(f"generating a {patients:,}-patient demo cache in {folder} ...", file=sys.stderr)
    started = time.perf_counter()
    engine = open_cache(path)
    summary = generate_demo_clinic(engine, patients=patients, seed=seed)
    engine.dispose()
    marker.write_text(str(summary))
    print(f"  {summary} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return folder
