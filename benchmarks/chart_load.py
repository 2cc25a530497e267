"""Opening a chart on a 100,000-patient cache: ChartRepository.load beside a one-row floor.

For random patients of the demo cache (seeded), times ChartRepository.load (patient,
allergies, problems, medications, vitals with history, visits with organizations: seven
queries on one connection) and, as the floor, a bare primary-key read of the same patient
on a fresh connection. Prints p50/p95/max and each chart query's SQLite plan.

    .venv/bin/python benchmarks/chart_load.py [--charts 300] [--patients 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _demo_cache import demo_cache_dir
from _timing import summary

from clinic_tui.locations import cache_path
from clinic_tui.offline_cache.chart_repository import ChartRepository
from clinic_tui.offline_cache.engine import open_cache

PLANNED = {
    "allergies": "SELECT * FROM allergy_intolerance WHERE patient_id = :p"
    " AND clinical_status = 'active'",
    "problems": "SELECT * FROM condition WHERE patient_id = :p ORDER BY onset DESC",
    "medications": "SELECT * FROM medication_request WHERE patient_id = :p AND status = 'active'"
    " ORDER BY authored_on DESC",
    "vitals": "SELECT * FROM observation WHERE patient_id = :p"
    " AND code IN ('85354-9', '8867-4') ORDER BY code, effective",
    "visits": "SELECT * FROM encounter LEFT JOIN organization"
    " ON organization.id = encounter.organization_id WHERE encounter.patient_id = :p"
    " ORDER BY period_start DESC LIMIT 10",
}


def timed(run: Callable[[str], object], ids: list[str]) -> list[float]:
    """Milliseconds per call."""
    times: list[float] = []
    for patient_id in ids:
        started = time.perf_counter()
        run(patient_id)
        times.append((time.perf_counter() - started) * 1000)
    return times


def floor_read(engine: Engine, patient_id: str) -> object:
    """One primary-key read on a fresh connection: the least any chart could cost."""
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT resource_json FROM patient WHERE id = :p"), {"p": patient_id}
        ).scalar_one()


def main() -> None:
    """Print chart load times beside the floor, and the query plans."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=300)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    engine = open_cache(cache_path(demo_cache_dir(args.patients, args.seed)))
    repository = ChartRepository(engine)
    with engine.connect() as connection:
        ids = [row[0] for row in connection.execute(text("SELECT id FROM patient"))]
        counts = {
            name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in ("patient", "observation", "encounter", "condition")
        }
    rng = random.Random(args.seed)
    sample = rng.sample(ids, min(args.charts, len(ids)))
    today = date.today()
    for patient_id in sample[:20]:  # warm the page cache for both
        repository.load(patient_id, today)

    charts = [repository.load(patient_id, today) for patient_id in sample]
    vitals = statistics.mean(
        sum(len(series) for series in chart.vital_history.values()) for chart in charts if chart
    )
    print(", ".join(f"{count:,} {name}" for name, count in counts.items()))
    print(f"{len(sample)} random charts, mean {vitals:.1f} vital measurements each")
    loads = timed(lambda p: repository.load(p, today), sample)
    floors = timed(lambda p: floor_read(engine, p), sample)
    print(f"{'ms per chart':<36}{'p50':>8}{'p95':>9}{'max':>9}")
    print(f"{'ChartRepository.load':<36}{summary(loads)}")
    print(f"{'floor: one PK read, own connection':<36}{summary(floors)}")
    print("plans:")
    with engine.connect() as connection:
        for name, sql in PLANNED.items():
            plan = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"), {"p": sample[0]})
            print(f"  {name}: " + "; ".join(row[3] for row in plan))
    engine.dispose()


if __name__ == "__main__":
    main()
