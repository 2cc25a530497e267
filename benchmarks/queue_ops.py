"""The queue on a 100,000-patient cache: reading today's queue and each queue action.

Works on a throwaway copy of the shared demo cache (the actions write). Times
QueueRepository.today (the table's re-read after every change), a status change
and its undo, a walk-in registration (new patient) and its undo, beside a bare
primary-key read of one encounter as the floor. Prints p50/p95/max in ms and the
SQLite plan of the queue query.

    .venv/bin/python benchmarks/queue_ops.py [--runs 200] [--patients 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _demo_cache import demo_cache_dir
from _timing import summary, timed

from clinic_tui.domain.models import Gender, Priority, QueueStatus
from clinic_tui.domain.registration import NewPatient
from clinic_tui.locations import cache_path
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.engine import open_cache


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    source = cache_path(demo_cache_dir(args.patients, args.seed))
    with tempfile.TemporaryDirectory() as folder:
        for part in source.parent.glob(source.name + "*"):
            shutil.copy(part, Path(folder) / part.name)
        engine = open_cache(Path(folder) / source.name)
        cache = ClinicCache(engine)
        queue = cache.queue
        with engine.connect() as connection:
            day_text = connection.execute(
                text("SELECT max(queue_date) FROM encounter WHERE organization_id = :o"),
                {"o": cache.clinic.id},
            ).scalar_one()
            plan = connection.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT * FROM encounter WHERE organization_id = :o"
                    " AND queue_date = :d ORDER BY queue_number"
                ),
                {"o": cache.clinic.id, "d": day_text},
            ).all()
        day = date.fromisoformat(day_text)
        now = datetime.combine(day, clock_time(11, 0)).astimezone()
        entries = queue.today(day)
        target = next(e for e in entries if e.status is QueueStatus.WAITING).encounter_id

        def floor() -> None:
            with engine.connect() as connection:
                connection.execute(
                    text("SELECT resource_json FROM encounter WHERE id = :i"), {"i": target}
                ).one()

        def status_and_undo() -> None:
            queue.set_status(target, QueueStatus.DONE, now)
            queue.undo_last(now)

        newcomer = NewPatient("欧阳明华", Gender.FEMALE, date(1972, 6, 1), phone="13912345678")

        def walk_in_and_undo() -> None:
            queue.register_walk_in(newcomer, "胸闷", Priority.URGENT, now)
            queue.undo_last(now)

        print(
            f"{args.patients:,} patients, {len(entries)} registrations on {day}, {args.runs} runs"
        )
        print(f"{'':34} {'p50':>8} {'p95':>8} {'max':>8}  (ms)")
        print(f"{'floor: one encounter by id':34} {summary(timed(floor, args.runs))}")
        print(f"{'QueueRepository.today':34} {summary(timed(lambda: queue.today(day), args.runs))}")
        print(f"{'set_status + undo_last':34} {summary(timed(status_and_undo, args.runs))}")
        print(f"{'register_walk_in (new) + undo':34} {summary(timed(walk_in_and_undo, args.runs))}")
        print("plan of the queue query:", "; ".join(str(row[-1]) for row in plan))
        engine.dispose()


if __name__ == "__main__":
    main()
