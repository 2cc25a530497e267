"""Follow-up indicators for 100,000 enrolled patients, beside one hand-written SQL query.

Builds (once, under .bench/) a cache of N patients, each with two clinic visits that are not
follow-ups; a share of them (`--share`, 1.0 by default: every one, the worst case for the
indicators, which read enrolled patients) enrolled, hypertension for about three in four,
type 2 diabetes for about one in three, some in both, with a year of follow-up visits
(0-6), the blood pressure and glucose Observations of those visits and an open follow-up
Task. Rows are written in bulk with
sqlite3, not through the demo generator, so the cache takes seconds to build.

Times `compute_indicators` (every figure: programmes, overdue per village and clinician)
and, in the same run, the baseline: one plain SQL query with correlated subqueries giving
the programme counts. Both must agree. Prints p50/p95/max in ms.

    .venv/bin/python benchmarks/followup_indicators.py [--patients 100000] [--runs 7]
                                                       [--share 1.0]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _demo_cache import BENCH_DIR
from _timing import summary, timed

from clinic_tui.followup.indicators import (
    BP_PANEL_LOINC,
    FASTING_GLUCOSE_LOINC,
    compute_indicators,
)
from clinic_tui.offline_cache.cache_file import connect
from clinic_tui.offline_cache.engine import open_cache

START, END = date(2026, 1, 1), date(2026, 12, 31)
VILLAGES = ["石门村", "大坪村", "杨柳村", "新田村", "枫树村", "龙潭村", "白沙村", "桃花村"]
BUDGET_MS = 1000.0

BASELINE_SQL = """
SELECT e.programme,
       COUNT(*),
       SUM((SELECT COUNT(*) FROM encounter v
            WHERE v.patient_id = e.patient_id AND v.episode_id IS NOT NULL
              AND v.period_start >= :start AND v.period_start < :stop) >= 4),
       SUM(COALESCE((
            SELECT CASE WHEN e.programme = 'hypertension'
                        THEN o.value < 140 AND o.value2 < 90 ELSE o.value < 7.0 END
            FROM observation o
            WHERE o.patient_id = e.patient_id
              AND o.code = CASE WHEN e.programme = 'hypertension' THEN :bp ELSE :glucose END
              AND substr(o.effective, 1, 10) = (
                  SELECT substr(MAX(v.period_start), 1, 10) FROM encounter v
                  WHERE v.patient_id = e.patient_id AND v.episode_id IS NOT NULL
                    AND v.period_start >= :start AND v.period_start < :stop)
            ORDER BY o.effective DESC LIMIT 1), 0))
FROM episode_of_care e
WHERE substr(e.period_start, 1, 10) <= :end
  AND (e.period_end IS NULL OR substr(e.period_end, 1, 10) >= :start)
GROUP BY e.programme
ORDER BY e.programme DESC
"""


def build_cache(folder: Path, patients: int, share: float, seed: int = 1) -> Path:
    """The benchmark's cache (made once; a marker says it is complete)."""
    path = folder / "clinic.sqlite3"
    marker = folder / "complete"
    if marker.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("clinic.sqlite3*"):
        leftover.unlink()
    started = time.perf_counter()
    open_cache(path).dispose()
    rng = random.Random(seed)
    rows: dict[str, list[tuple[object, ...]]] = {
        "patient": [],
        "practitioner": [(f"dr{n}", "{}", f"医生{n}") for n in range(12)],
        "episode_of_care": [],
        "encounter": [],
        "observation": [],
        "task": [],
    }
    for n in range(patients):
        pid = f"p{n}"
        village = rng.choice(VILLAGES)
        rows["patient"].append((pid, "{}", f"患者{n}", f"{village}{rng.randint(1, 10)}组"))
        manager = f"dr{rng.randrange(12)}"
        # Clinic visits that are not follow-ups, and their vital signs: rows the indicators
        # must skip.
        for k in range(2):
            day = (START + timedelta(days=rng.randrange(365))).isoformat()
            rows["encounter"].append((f"visit-{pid}-{k}", "{}", pid, "finished", day, None))
            rows["observation"].append((f"hr-{pid}-{k}", "{}", pid, "8867-4", 78, None, day))
        if rng.random() >= share:
            continue
        programmes = ["hypertension"] if rng.random() < 0.75 else []
        if not programmes or rng.random() < 0.3:
            programmes.append("diabetes")
        for programme in programmes:
            rows["episode_of_care"].append(
                (f"ep-{pid}-{programme}", "{}", pid, programme, "active", "2024-05-01", manager)
            )
        visits = sorted(rng.sample(range(2, 360), rng.choice((0, 1, 2, 3, 4, 4, 4, 5, 6))))
        for day_number in visits:
            day = (START + timedelta(days=day_number)).isoformat()
            when = f"{day}T09:{rng.randrange(60):02d}:00+08:00"
            rows["encounter"].append(
                (f"enc-{pid}-{day}", "{}", pid, "finished", when, f"ep-{pid}-{programmes[0]}")
            )
            if "hypertension" in programmes and rng.random() < 0.95:
                sbp, dbp = rng.randint(112, 178), rng.randint(68, 104)
                rows["observation"].append(
                    (f"bp-{pid}-{day}", "{}", pid, BP_PANEL_LOINC, sbp, dbp, when)
                )
            if "diabetes" in programmes and rng.random() < 0.9:
                glucose = round(rng.uniform(4.6, 11.5), 1)
                rows["observation"].append(
                    (f"glu-{pid}-{day}", "{}", pid, FASTING_GLUCOSE_LOINC, glucose, None, when)
                )
        due = START + timedelta(days=(visits[-1] if visits else 0) + rng.choice((14, 90)))
        rows["task"].append(
            (f"task-{pid}", "{}", pid, "chronic-follow-up", "requested", due.isoformat())
        )
    statements = {
        "patient": "INSERT INTO patient (id, resource_json, name, address) VALUES (?, ?, ?, ?)",
        "practitioner": "INSERT INTO practitioner (id, resource_json, name) VALUES (?, ?, ?)",
        "episode_of_care": "INSERT INTO episode_of_care (id, resource_json, patient_id, "
        "programme, status, period_start, care_manager_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        "encounter": "INSERT INTO encounter (id, resource_json, patient_id, status, "
        "period_start, episode_id) VALUES (?, ?, ?, ?, ?, ?)",
        "observation": "INSERT INTO observation (id, resource_json, patient_id, code, value, "
        "value2, effective) VALUES (?, ?, ?, ?, ?, ?, ?)",
        "task": "INSERT INTO task (id, resource_json, patient_id, kind, status, due_date) "
        "VALUES (?, ?, ?, ?, ?, ?)",
    }
    connection = connect(path)
    try:
        with connection:
            for table, statement in statements.items():
                connection.executemany(statement, rows[table])
        connection.execute("ANALYZE")
    finally:
        connection.close()
    counts = ", ".join(f"{len(value):,} {table}" for table, value in rows.items())
    marker.write_text(counts)
    print(f"built {counts} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--share",
        type=float,
        default=1.0,
        help="share of the patients enrolled (1.0, the default, is the worst case)",
    )
    args = parser.parse_args()

    name = f"followup-{args.patients}-share{args.share:g}"
    path = build_cache(BENCH_DIR / name, args.patients, args.share)
    engine = open_cache(path)
    params = {
        "start": START.isoformat(),
        "end": END.isoformat(),
        "stop": (END + timedelta(days=1)).isoformat(),
        "bp": BP_PANEL_LOINC,
        "glucose": FASTING_GLUCOSE_LOINC,
    }
    with engine.connect() as connection:
        enrolled = connection.execute(
            text("SELECT COUNT(DISTINCT patient_id) FROM episode_of_care")
        ).scalar_one()

        def baseline() -> list[tuple[object, ...]]:
            return [tuple(row) for row in connection.execute(text(BASELINE_SQL), params).all()]

        expected = baseline()
        baseline_ms = timed(baseline, args.runs)

    found = compute_indicators(engine, START, END)
    ours = [
        (str(f.programme), f.registered, f.managed_to_standard, f.controlled)
        for f in found.programmes
    ]
    if ours != [tuple(row) for row in expected]:
        raise SystemExit(f"the figures disagree: indicators {ours} vs baseline {expected}")
    cpu_started = time.process_time()
    ours_ms = timed(lambda: compute_indicators(engine, START, END), args.runs)
    ours_cpu = (time.process_time() - cpu_started) * 1000 / args.runs
    engine.dispose()

    print(
        f"follow-up indicators: {args.patients:,} patients, {enrolled:,} enrolled, {START}..{END}"
    )
    for programme, registered, standard, controlled in ours:
        print(
            f"  {programme:<13} registered {registered:>7,}  "
            f"standard {standard:>7,}  controlled {controlled:>7,}"
        )
    print(f"  overdue {found.overdue_total:,} in {len(found.overdue_by_village)} villages")
    print(f"{'ms (p50 p95 max)':<34}{'p50':>8} {'p95':>8} {'max':>8}")
    print(f"{'compute_indicators (all figures)':<34}{summary(ours_ms)}")
    print(f"{'baseline: one SQL query (counts)':<34}{summary(baseline_ms)}")
    print(f"compute_indicators CPU time per run: {ours_cpu:.0f} ms")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    verdict = "within" if statistics.median(ours_ms) <= BUDGET_MS else "OVER"
    print(
        f"budget {BUDGET_MS:.0f} ms (p50): {verdict}; "
        f"load average {load:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
