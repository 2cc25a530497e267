"""The triage inbox with 5,000 referrals, beside a bare DataTable of the same rows, same run.

Builds (once, under .bench/) a cache whose county hospital has 5,000 referrals from
three township health centres, in every state, with the demo's departments. Then,
in one run, headless at 120x40:

- the inbox query alone (referral.inbox.read_inbox, one SQL query) p50/p95;
- opening: from the app's start until the inbox's first rows are painted, for the
  clinic-tui inbox (--role expert) and for a bare Textual app that shows the same
  5,000 rows in one DataTable (read with the same query);
- typing into the filter: each keystroke until its result is painted (Pilot press
  + pause), over queries typed one character at a time, for the inbox's `/` filter
  and for the bare app's filter (an Input whose every change refills its DataTable);
- the full garbage collections clinic-tui runs at the pause after the typing
  (clinic_tui.idle_collect: CPython's oldest generation is collected when the
  clinician pauses, not on the keystroke it happens to fall on), and how many ran
  while keys were coming (forced, far overdue): those are inside the keystroke figures.

    .venv/bin/python benchmarks/triage_inbox.py [--referrals 5000] [--runs 5]

Target (issue #12): opens and filters within 100 ms per keystroke p95.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _demo_cache import BENCH_DIR
from _timing import summary

QUERIES = ("张", "王秀", "心内科", "胸痛", "白沙", "气促加重", "zz")
"""Typed one character at a time (then cleared): names, departments, reasons, clinics, none."""
NOW = datetime(2026, 3, 9, 10, 30).astimezone()
PILOT = False
"""--pilot: time each keystroke as Pilot press + pause (the figures before 2026-12-01)."""


def inbox_cache(referrals: int) -> Path:
    """A cache folder whose county hospital has `referrals` referrals; built when missing."""
    folder = BENCH_DIR / f"triage-{referrals}"
    marker = folder / "complete"
    if marker.exists():
        return folder
    from clinic_tui.demo.context import DemoContext, DemoRandom, reference
    from clinic_tui.demo.people import build_organizations, build_practitioners
    from clinic_tui.demo.referrals import build_hospital_side
    from clinic_tui.offline_cache.engine import open_cache
    from clinic_tui.offline_cache.store import bulk_insert_resources, bulk_load
    from clinic_tui.offline_cache.tables import RESOURCE_TABLES

    for leftover in folder.glob("clinic.sqlite3*"):
        leftover.unlink()
    started = time.perf_counter()
    rng = DemoRandom(11, int(NOW.timestamp() * 1000))
    township, county, city = build_organizations(rng)
    staff, _ = build_practitioners(rng)
    meta = {"versionId": "1", "lastUpdated": NOW.isoformat(timespec="seconds")}
    context = DemoContext(
        now=NOW,
        township=reference(township, township["name"]),
        county=reference(county, county["name"]),
        city=reference(city, city["name"]),
        doctors=tuple(reference(d, d["name"][0]["text"]) for d in staff[:4]),
        meta=meta,
    )
    side = build_hospital_side(rng, context, county, [], referrals, count=referrals)
    resources = [township, county, city, *staff, *side.fixed(), *side.records]
    engine = open_cache(folder / "clinic.sqlite3")
    with bulk_load(engine) as connection:
        written = bulk_insert_resources(
            connection, [r for r in resources if r["resourceType"] in RESOURCE_TABLES]
        )
        connection.exec_driver_sql(
            "INSERT INTO cache_meta (key, value) VALUES ('clinic_id', ?)", (county["id"],)
        )
    engine.dispose()
    marker.write_text(f"{referrals} referrals, {written} records")
    print(
        f"built {folder}: {written:,} records in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return folder


def _query_times(folder: Path, runs: int) -> tuple[list[float], int]:
    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.referral.inbox import read_inbox, resolve_hospital

    times = []
    with connect(folder / "clinic.sqlite3") as connection:
        hospital = resolve_hospital(connection, None)
        assert hospital is not None
        for _ in range(runs):
            started = time.perf_counter()
            rows = read_inbox(connection, hospital)
            times.append((time.perf_counter() - started) * 1000)
    return times, len(rows)


def _clinic_app(folder: Path) -> Any:
    from clinic_tui.app import ClinicApp
    from clinic_tui.config import Settings
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

    cache = ClinicCache(folder / "clinic.sqlite3")
    settings = Settings(data_dir=folder, role="expert")
    return ClinicApp(settings=settings, cache=cache, clock=lambda: NOW, auto_sync=False)


def _bare_app(folder: Path) -> Any:
    """One DataTable of every referral (the same query), and an Input that refills it."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Input

    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.referral.inbox import read_inbox, resolve_hospital

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Input(id="filter")
            yield DataTable(id="table", cursor_type="row")

        def on_mount(self) -> None:
            with connect(folder / "clinic.sqlite3") as connection:
                hospital = resolve_hospital(connection, None)
                assert hospital is not None
                self.rows = [
                    (r.urgency, r.patient_name, r.from_name, r.department, r.reason, r.status)
                    for r in read_inbox(connection, hospital)
                ]
            table = self.query_one(DataTable)
            table.add_columns("Urgency", "Patient", "From", "Department", "Reason", "Status")
            table.add_rows(self.rows)
            table.focus()

        def on_input_changed(self, event: Input.Changed) -> None:
            table = self.query_one(DataTable)
            table.clear()
            table.add_rows([row for row in self.rows if event.value in " ".join(row)])

    return Bare()


IDLE_PAUSES: list[float] = []
"""ms of each full collection clinic-tui ran at the pause after typing."""
FORCED: list[int] = []
"""Full collections clinic-tui ran while keys were coming, per run."""


async def _open_and_type(kind: str, folder: Path) -> tuple[float, list[float]]:
    """(ms from start to the first painted rows, ms per filter keystroke)."""
    from textual.widgets import DataTable

    from clinic_tui.idle_collect import CHECK_SECONDS, QUIET_SECONDS

    app = _clinic_app(folder) if kind == "clinic" else _bare_app(folder)
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        while not any(t.row_count for t in app.screen.query(DataTable)):
            await pilot.pause()
        await pilot.pause()  # the frame with the rows
        opened = (time.perf_counter() - started) * 1000
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if kind == "clinic":
            await pilot.press("slash")
        else:
            app.query_one("#filter").focus()
        await pilot.pause()
        keystrokes = []
        collected = len(app.collector.pauses_ms) if kind == "clinic" else 0
        for query in QUERIES:
            for char in [*query, *(["backspace"] * len(query))]:
                began = time.perf_counter()
                if PILOT:
                    await pilot.press(char)
                    await pilot.pause()
                else:
                    await _keystroke(app, pilot, char)
                keystrokes.append((time.perf_counter() - began) * 1000)
        if kind == "clinic":
            pauses = list(app.collector.pauses_ms)
            FORCED.append(len(pauses) - collected)
            # The clinician stops typing: the deferred collection runs on the app's timer.
            await asyncio.sleep(QUIET_SECONDS + 2 * CHECK_SECONDS)
            IDLE_PAUSES.extend(list(app.collector.pauses_ms)[len(pauses) :])
    return opened, keystrokes


async def _keystroke(app: Any, pilot: Any, key: str) -> None:
    """Send `key` as the terminal would, and return once the screen has settled and painted.

    Pilot's press + pause sleeps at least 3 x 20 ms per key (wait_for_idle polls in 20 ms
    steps), which no user waits for. Here: the key goes in through the driver, every message
    it causes (the Input's Changed, the table's row events, timers due now) is processed,
    over as many rounds as it takes, and then the compositor renders the changed lines (in
    headless mode only the write to the terminal is skipped).
    """
    from textual import events

    app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
    while True:
        await pilot._wait_for_screen()
        nodes = [app, *app.screen.walk_children(with_self=True)]
        if not any(node._message_queue.qsize() for node in nodes):
            break
    app.screen._on_timer_update()


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--pilot", action="store_true", help="time keystrokes as Pilot press + pause"
    )
    args = parser.parse_args()
    global PILOT
    PILOT = args.pilot
    os.environ.setdefault("NO_COLOR", "1")
    folder = inbox_cache(args.referrals)
    query, shown = _query_times(folder, 20)
    opens: dict[str, list[float]] = {"bare": [], "clinic": []}
    keys: dict[str, list[float]] = {"bare": [], "clinic": []}
    for _ in range(args.runs):
        for kind in ("bare", "clinic"):  # interleaved: machine load hits both alike
            opened, typed = asyncio.run(_open_and_type(kind, folder))
            opens[kind].append(opened)
            keys[kind].extend(typed)
    strokes = len(keys["clinic"]) // args.runs
    print(f"triage inbox: {shown:,} referrals, {args.runs} runs, headless 120x40")
    timing = "Pilot press + pause" if PILOT else "key sent until the screen settled and painted"
    print(f"keystrokes timed as: {timing}")
    print(f"{'':44}{'p50':>8} {'p95':>8} {'max':>8}  (ms)")
    print(f"{'inbox query (read_inbox, 20 runs)':44}{summary(query)}")
    print(f"{'open to first rows painted: clinic-tui':44}{summary(opens['clinic'], decimals=1)}")
    print(f"{'open to first rows painted: bare DataTable':44}{summary(opens['bare'], decimals=1)}")
    label = f"filter keystroke ({strokes}/run): clinic-tui"
    print(f"{label:44}{summary(keys['clinic'], decimals=1)}")
    print(f"{'filter keystroke: bare DataTable':44}{summary(keys['bare'], decimals=1)}")
    if IDLE_PAUSES:
        label = f"full GC at the pause after typing ({len(IDLE_PAUSES)})"
        print(f"{label:44}{summary(IDLE_PAUSES, decimals=1)}")
    print(f"full GCs forced while typing (in the figures above): {sum(FORCED)}")
    print("target: <= 100 ms per keystroke p95")


if __name__ == "__main__":
    main()
