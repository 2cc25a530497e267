"""Demo clinic generation: wall time and rows/s, beside a plain sqlite3 insert of the same rows.

Beside wall time, CPU seconds of this process and its worker processes: on a machine
shared with other work the wall time says little, the CPU time what the generator costs.

The baseline inserts the very JSON rows the generator wrote (read back and held in
memory first, so it pays for neither generation nor FHIR column extraction) with one
sqlite3 executemany into a bare two-column table, in one transaction. The gap between
the two is the cost of making realistic FHIR, reading its indexed columns and keeping
the cache's indexes.

    .venv/bin/python benchmarks/demo_data.py [--patients 100000] [--workers N]
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

from clinic_tui.demo.generator import default_workers, generate_demo_clinic
from clinic_tui.locations import cache_path
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.tables import RESOURCE_TABLES


def _cpu() -> float:
    """CPU seconds (user and system) of this process and of its finished children."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def _generate(folder: Path, patients: int, workers: int) -> tuple[float, float, int, int]:
    """(wall s, CPU s, records, file bytes) of generating a demo clinic into a fresh cache."""
    path = cache_path(folder)
    engine = open_cache(path)
    cpu = _cpu()
    started = time.perf_counter()
    summary = generate_demo_clinic(engine, patients=patients, seed=1, workers=workers)
    elapsed = time.perf_counter() - started
    cpu = _cpu() - cpu  # the pool's workers have been waited for: their time is counted
    engine.dispose()
    return elapsed, cpu, summary.records, path.stat().st_size


def _rows(folder: Path) -> list[tuple[str, str]]:
    """Every (id, resource_json) the generator wrote."""
    connection = sqlite3.connect(cache_path(folder))
    rows: list[tuple[str, str]] = []
    for table in RESOURCE_TABLES.values():
        name = table.__table__.name  # type: ignore[attr-defined]
        rows.extend(connection.execute(f"SELECT id, resource_json FROM {name}"))
    connection.close()
    return rows


def _baseline(folder: Path, rows: list[tuple[str, str]]) -> tuple[float, float]:
    """(wall s, CPU s) of one plain executemany of `rows` into a bare table, committed."""
    connection = sqlite3.connect(folder / "baseline.sqlite3")
    connection.execute("CREATE TABLE resource (id TEXT PRIMARY KEY, json TEXT NOT NULL)")
    cpu = _cpu()
    started = time.perf_counter()
    with connection:
        connection.executemany("INSERT INTO resource VALUES (?, ?)", rows)
    elapsed = time.perf_counter() - started
    cpu = _cpu() - cpu
    connection.close()
    return elapsed, cpu


def main() -> None:
    """Print generation time and rows/s beside the plain-insert baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=None, help="0 = in process")
    args = parser.parse_args()
    workers = default_workers(args.patients) if args.workers is None else args.workers

    with tempfile.TemporaryDirectory(prefix="clinic-demo-bench-") as scratch:
        folder = Path(scratch)
        seconds, cpu, records, size = _generate(folder, args.patients, workers)
        rows = _rows(folder)
        baseline, baseline_cpu = _baseline(folder, rows)

    print(f"demo clinic of {args.patients:,} patients ({workers} worker processes)")
    lines = (
        ("clinic-tui demo generator (FHIR + columns)", seconds, cpu, records),
        ("baseline: sqlite3 executemany, pre-built", baseline, baseline_cpu, len(rows)),
    )
    print(f"{'':<44}{'wall s':>8}{'CPU s':>8}{'rows/s':>12}")
    for label, elapsed, used, count in lines:
        print(f"{label:<44}{elapsed:>8.1f}{used:>8.1f}{count / elapsed:>12,.0f}")
    print(
        f"{records:,} records, {records / args.patients:.1f} per patient, "
        f"cache file {size / 2**20:,.0f} MiB; generator/baseline = {seconds / baseline:.1f}x"
    )


if __name__ == "__main__":
    main()
