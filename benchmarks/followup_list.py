"""The chronic follow-up list with 5,000 enrolled patients, beside a bare DataTable, same run.

Builds (once, under .bench/) a township cache with 5,000 patients in the hypertension or
type 2 diabetes programme (a fifth in both), up to four 随访 each over the past year, and
each programme's open next-visit Task: some due this week, many overdue, some never seen
this year. Then, in one run, headless at 80x24:

- the due-list query alone (ChronicRegistry.due_list, one SQL statement) p50/p95;
- opening: from `v` on the queue until the list's rows are painted, in clinic-tui, and
  from a bare Textual app's start until the same rows (read with the same query) are
  painted in one DataTable: wall time and the process's CPU time for each.

    .venv/bin/python benchmarks/followup_list.py [--patients 5000] [--runs 7]

Target (issue #21): the list opens in <= 0.2 s with 5,000 enrolled patients.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _demo_cache import BENCH_DIR
from _timing import summary

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=CST)
CLINIC = "org-bench-town"
VILLAGES = ("李家村", "王庄村", "张湾村", "河口村", "石桥村", "东坪村", "柳树沟", "新民村")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英建国春梅立新海燕"


def followup_cache(patients: int) -> Path:
    """A cache folder with `patients` enrolled patients; built when missing."""
    folder = BENCH_DIR / f"followup-v3-{patients}"
    marker = folder / "complete"
    if marker.exists():
        return folder
    from clinic_tui.followup import fhir_shapes as shapes
    from clinic_tui.followup.model import (
        Classification,
        Control,
        FollowUpValues,
        Programme,
        VisitMode,
    )
    from clinic_tui.offline_cache.engine import open_cache
    from clinic_tui.offline_cache.store import bulk_insert_resources, bulk_load

    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("clinic.sqlite3*"):
        leftover.unlink()
    started = time.perf_counter()
    rng = random.Random(21)
    today = NOW.date()
    resources: list[dict[str, Any]] = [
        {"resourceType": "Organization", "id": CLINIC, "name": "青山镇卫生院"},
        *(
            {"resourceType": "Practitioner", "id": f"pr-{n}", "name": [{"text": f"医生{n}"}]}
            for n in range(1, 7)
        ),
    ]
    for n in range(patients):
        pid = f"p-{n}"
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        born = date(rng.randint(1935, 1990), rng.randint(1, 12), rng.randint(1, 28))
        home = f"{rng.choice(VILLAGES)}{rng.randint(1, 9)}组{rng.randint(1, 60)}号"
        resources.append(
            {
                "resourceType": "Patient",
                "id": pid,
                "name": [{"text": name}],
                "gender": rng.choice(("male", "female")),
                "birthDate": born.isoformat(),
                "address": [{"use": "home", "line": [home]}],
                "managingOrganization": {"reference": f"Organization/{CLINIC}"},
            }
        )
        kinds = [rng.choice(list(Programme))]
        if rng.random() < 0.2:
            kinds = list(Programme)
        clinician = f"pr-{rng.randint(1, 6)}"
        for programme in kinds:
            code = "I10" if programme is Programme.HYPERTENSION else "E11.9"
            condition_id = f"c-{pid}-{programme.value}"
            resources.append(
                {
                    "resourceType": "Condition",
                    "id": condition_id,
                    "subject": {"reference": f"Patient/{pid}"},
                    "clinicalStatus": {"coding": [{"code": "active"}]},
                    "code": {
                        "coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}]
                    },
                }
            )
            episode_id = f"eoc-{pid}-{programme.value}"
            since = today - timedelta(days=rng.randint(30, 900))
            resources.append(
                shapes.episode_of_care(
                    episode_id, pid, programme, CLINIC, clinician, since, condition_id
                )
            )
            # A clinic keeping up, roughly: visits every three months or so, the last within
            # the past ~100 days (so a tenth or so are overdue), a few never seen this year.
            last = None
            never = since > today - timedelta(days=90) or rng.random() < 0.08
            day = today - timedelta(days=rng.randint(0, 100))
            uncontrolled = rng.random() < 0.25
            if uncontrolled:
                day = today - timedelta(days=rng.randint(0, 21))  # recalled in two weeks
            for k in range(0 if never else rng.randint(1, 4)):
                when = datetime(day.year, day.month, day.day, 10, tzinfo=CST)
                encounter_id = f"enc-{pid}-{programme.value}-{k}"
                resources.append(
                    shapes.visit_encounter(
                        encounter_id,
                        pid,
                        [episode_id],
                        rng.choice(list(VisitMode)),
                        when,
                        CLINIC,
                        clinician,
                    )
                )
                last_one = last is None
                control = (
                    Control.UNSATISFACTORY if last_one and uncontrolled else Control.SATISFACTORY
                )
                gap = 90 if control is Control.SATISFACTORY else 14
                found = Classification(control, (), day + timedelta(days=gap))
                values = FollowUpValues(systolic=rng.randint(110, 185), diastolic=80)
                resources.append(
                    shapes.questionnaire_response(
                        f"qr-{encounter_id}",
                        pid,
                        encounter_id,
                        values,
                        found,
                        when,
                        clinician,
                        "",
                    )
                )
                if last_one:
                    last = (when, encounter_id, found.next_due)
                day -= timedelta(days=rng.randint(80, 100))
            due = last[2] if last else since + timedelta(days=rng.randint(14, 120))
            resources.append(
                shapes.next_visit_task(
                    f"task-{episode_id}",
                    pid,
                    episode_id,
                    programme,
                    last[1] if last else None,
                    due,
                    CLINIC,
                    NOW,
                )
            )
    engine = open_cache(folder / "clinic.sqlite3")
    with bulk_load(engine) as connection:
        written = bulk_insert_resources(connection, resources)
        connection.exec_driver_sql(
            "INSERT OR REPLACE INTO cache_meta (key, value) VALUES ('clinic_id', ?)", (CLINIC,)
        )
    engine.dispose()
    marker.write_text(f"{patients} patients, {written} records")
    print(
        f"built {folder}: {written:,} records in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return folder


def _registry(folder: Path) -> Any:
    from clinic_tui.followup.registry import ChronicRegistry
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

    cache = ClinicCache(folder / "clinic.sqlite3")
    return ChronicRegistry(cache.engine, cache.clinic)


def _query_times(folder: Path, runs: int) -> tuple[list[float], int]:
    registry = _registry(folder)
    times, rows = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        rows = len(registry.due_list(NOW.date()))
        times.append((time.perf_counter() - started) * 1000)
    return times, rows


def _bare_app(folder: Path) -> Any:
    """One DataTable of the due rows (the same query), cells in words."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

        def on_mount(self) -> None:
            items = _registry(folder).due_list(NOW.date())
            table = self.query_one(DataTable)
            table.add_columns("Due", "Patient", "Programme", "Address", "Last visit")
            table.add_rows(
                [
                    (str(i.due or ""), i.name, i.programme.value, i.address, str(i.last_visit))
                    for i in items
                ]
            )
            table.focus()

    return Bare()


def _clinic_app(folder: Path) -> Any:
    from clinic_tui.app import ClinicApp
    from clinic_tui.config import Settings
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

    cache = ClinicCache(folder / "clinic.sqlite3")
    return ClinicApp(
        settings=Settings(data_dir=folder), cache=cache, clock=lambda: NOW, auto_sync=False
    )


async def _painted(pilot: Any, app: Any) -> None:
    """Return once the rows are in a table and the screen with them has been rendered.

    The loop yields to the event loop without rendering (Pilot.pause renders the whole
    screen at every call, far more often than a terminal app's refresh does), then the
    frame with the rows is rendered once, as the app's own refresh would.
    """
    from textual.widgets import DataTable

    while not any(t.row_count for t in app.screen.query(DataTable)):
        await asyncio.sleep(0)
    await pilot._wait_for_screen()  # the messages the rows caused (layout, cursor)
    app.screen._on_timer_update()  # the frame with the rows


async def _open(kind: str, folder: Path, runs: int) -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms) from the open to the rows painted, `runs` times."""
    walls, cpus = [], []
    if kind == "bare":
        for _ in range(runs):
            app = _bare_app(folder)
            wall, cpu = time.perf_counter(), time.process_time()
            async with app.run_test(size=(80, 24)) as pilot:
                await _painted(pilot, app)
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
        return walls, cpus
    from clinic_tui.screens.followup_list import FollowUpListScreen
    from clinic_tui.screens.queue import QueueScreen

    app = _clinic_app(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(runs):
            while not isinstance(app.screen, QueueScreen):
                await pilot.pause()
            await pilot.app.workers.wait_for_complete()
            wall, cpu = time.perf_counter(), time.process_time()
            await pilot.press("v")
            while not isinstance(app.screen, FollowUpListScreen):
                await asyncio.sleep(0)
            # Awaited, not polled: a busy poll would take the GIL from the worker's query.
            await app.workers.wait_for_complete()
            await _painted(pilot, app)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            await pilot.press("escape")
    return walls, cpus


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("NO_COLOR", "1")
    folder = followup_cache(args.patients)
    query, shown = _query_times(folder, 20)
    figures: dict[str, tuple[list[float], list[float]]] = {}
    for kind in ("bare", "clinic"):
        figures[kind] = asyncio.run(_open(kind, folder, args.runs))
    print(f"follow-up list: {args.patients:,} enrolled patients, {shown:,} rows due, "
          f"{args.runs} runs, headless 80x24")  # fmt: skip
    print(f"{'':46}{'p50':>8} {'p95':>8} {'max':>8}  (ms)")
    print(f"{'due-list query (ChronicRegistry.due_list, 20)':46}{summary(query)}")
    for kind, label in (("clinic", "clinic-tui, v to rows painted"),
                        ("bare", "bare DataTable, start to rows painted")):  # fmt: skip
        walls, cpus = figures[kind]
        print(f"{label + ': wall':46}{summary(walls, decimals=1)}")
        print(f"{label + ': CPU':46}{summary(cpus, decimals=1)}")
    print("target: the list opens in <= 200 ms (wall) with 5,000 enrolled patients")


if __name__ == "__main__":
    main()
