"""The follow-up list's query (ChronicRegistry.due_list) with 5,000 enrolled patients.

Builds (once, under .bench/) a township cache with `--enrolled` patients in the programmes
and a year and a half of 随访 each (benchmarks/_followup_cache.py), then times, in one run:

- due_list(today): the whole list (due this week, overdue, not seen this year);
- due_list with a village filter and with a programme filter;
- CPU time beside wall time: the wall figures include whatever else the machine runs;
- a plain SQL baseline: the active enrolments joined to their patients, nothing else
  (what any list of these patients costs at least).

    .venv/bin/python benchmarks/followup_due_query.py [--enrolled 5000] [--runs 20]

Target (issue #21): the list opens in 0.2 s with 5,000 enrolled patients; this is the
query's share (the screen's benchmark adds the drawing).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _followup_cache import CLINIC, TODAY, followup_cache
from _timing import summary, timed

BASELINE_SQL = """
SELECT e.id, e.programme, p.name, p.address FROM episode_of_care e
JOIN patient p ON p.id = e.patient_id
WHERE e.status = 'active' AND e.organization_id = :clinic
"""


def _cpu(run: Callable[[], object], runs: int = 5) -> float:
    """Median CPU milliseconds of `run`: on a shared machine, wall time includes other loads."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        run()
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    """Print p50 / p95 / max of each query, in milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrolled", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    folder = followup_cache(args.enrolled)

    from sqlalchemy import text

    from clinic_tui.domain.models import Clinic
    from clinic_tui.followup.model import Programme
    from clinic_tui.followup.registry import ChronicRegistry
    from clinic_tui.offline_cache.engine import open_cache

    engine = open_cache(folder / "clinic.sqlite3")
    registry = ChronicRegistry(engine, Clinic(CLINIC, "青山镇卫生院"))
    with engine.connect() as connection:
        enrolments = connection.execute(
            text("SELECT count(*) FROM episode_of_care WHERE status = 'active'")
        ).scalar_one()
        visits = connection.execute(
            text("SELECT count(*) FROM encounter WHERE episode_id IS NOT NULL")
        ).scalar_one()

    def baseline() -> object:
        with engine.connect() as connection:
            return connection.execute(text(BASELINE_SQL), {"clinic": CLINIC}).all()

    rows = {
        "due_list(today)": len(registry.due_list(TODAY)),
        "due_list(address=东山村)": len(registry.due_list(TODAY, address="东山村")),
        "due_list(programme=diabetes)": len(registry.due_list(TODAY, programme=Programme.DIABETES)),
        "plain SQL baseline": len(baseline()),
    }
    runs = {
        "due_list(today)": lambda: registry.due_list(TODAY),
        "due_list(address=东山村)": lambda: registry.due_list(TODAY, address="东山村"),
        "due_list(programme=diabetes)": lambda: registry.due_list(
            TODAY, programme=Programme.DIABETES
        ),
        "plain SQL baseline": baseline,
    }
    print(
        f"{args.enrolled:,} enrolled patients, {enrolments:,} active enrolments, "
        f"{visits:,} follow-up visits; {args.runs} runs each"
    )
    print(f"{'query':<30} {'rows':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu p50':>8}")
    for name, run in runs.items():
        run()  # warm the page cache: the list is opened from a running app
        print(f"{name:<30} {rows[name]:>6} {summary(timed(run, args.runs))} {_cpu(run):8.2f}")
    engine.dispose()


if __name__ == "__main__":
    main()
