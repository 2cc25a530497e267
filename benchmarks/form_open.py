"""How long each chart form and dialog takes to open, beside a bare Textual baseline.

Each run is a fresh process (a clinician feels the first open most): the real app
(ClinicApp, its stylesheet, no sign-in), headless under Pilot, on a demo cache, once the
start-up's background warm-up (ORM, the forms' code: screens/preload.py) is done. From
the chart of a patient in today's queue with a penicillin allergy it presses, one
after another, and times key-press to the form composed, mounted and painted (Esc
back after each):

  a allergy  v vitals  n note  d diagnosis  r referral  m order screen
  s override dialog (on a typed amoxicillin line)   p first slip (sign, then p: until
  "Slip saved")

and before the chart, on the queue: s the status dialog, r the walk-in search, and
ctrl+n in that search, the new-patient form.

Each is timed on its first press in the process ("first") and again --repeats times
("again"). The baseline, in a fresh process of its own in the same run: a bare Textual
app pushing a ModalScreen with the same number of Input / Select / TextArea / OptionList
widgets as the form had (counted in the clinic run); for the slip, a one-page fpdf PDF
with a core font written in a thread worker.

    .venv/bin/python benchmarks/form_open.py [--runs 5] [--repeats 3] [--patients 200]
        [--data-dir D]

To compare with an older tree, run the same script with PYTHONPATH=OLD_TREE/src.

Prints p50/p95 in milliseconds. No figure here is a pass/fail threshold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

FORMS: list[tuple[str, str]] = [
    ("a", "allergy"),
    ("v", "vitals"),
    ("n", "note"),
    ("d", "diagnosis"),
    ("r", "referral"),
    ("m", "order screen"),
]
KINDS = ("Input", "Select", "TextArea", "OptionList", "DataTable")
SCRATCH = Path(tempfile.gettempdir())
"""Where a child writes its slips: the parent's scratch folder (removed at the end)."""
PAUSE_LIMIT = 2000
"""Pauses before a form is given up on (a broken form, not a slow one)."""


def _patient(data_dir: Path) -> str:
    """A patient in today's queue, not finished, with a penicillin allergy if there is one."""
    import sqlite3

    from clinic_tui.locations import cache_path

    with sqlite3.connect(cache_path(data_dir)) as connection:
        rows = connection.execute(
            "SELECT e.patient_id, EXISTS(SELECT 1 FROM allergy_intolerance a WHERE "
            "a.patient_id = e.patient_id AND a.display = '青霉素' AND a.clinical_status = "
            "'active') FROM encounter e WHERE e.queue_date = ? AND e.status NOT IN "
            "('finished', 'cancelled') ORDER BY 2 DESC, e.queue_number",
            (date.today().isoformat(),),
        ).fetchall()
    if not rows:
        raise SystemExit("no open visit in today's queue: generate a new demo cache")
    return str(rows[0][0])


def _counts(screen: Any) -> dict[str, int]:
    from textual.widgets import DataTable, Input, OptionList, Select, TextArea

    kinds = {
        "Input": Input,
        "Select": Select,
        "TextArea": TextArea,
        "OptionList": OptionList,
        "DataTable": DataTable,
    }
    return {
        # A Select's own drop-down list (SelectOverlay) comes with the Select.
        name: sum(
            1
            for w in screen.query("*")
            if isinstance(w, kind) and type(w).__name__ != "SelectOverlay"
        )
        for name, kind in kinds.items()
    }


async def _until(pilot: Any, done: Callable[[], bool]) -> None:
    for _ in range(PAUSE_LIMIT):
        if done():
            await pilot.pause()  # its first paint
            return
        await pilot.pause()
    raise RuntimeError(f"never opened: {pilot.app.screen!r}")


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(started: tuple[float, float]) -> tuple[float, float]:
    """(wall ms, CPU ms of the whole process) since `started`: on a shared machine the CPU
    figure says what the open costs, the wall figure what a clinician waits."""
    wall, cpu = _now()
    return (wall - started[0]) * 1000, (cpu - started[1]) * 1000


async def _timed(pilot: Any, key: str, done: Callable[[], bool]) -> tuple[float, float]:
    started = _now()
    await pilot.press(key)
    await _until(pilot, done)
    return _since(started)


async def _settle(pilot: Any) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def clinic_child(data_dir: Path, repeats: int) -> dict[str, Any]:
    """The figures of one clinic process: {name: {"first": ms, "again": [ms], "counts": {}}}."""
    from clinic_tui.i18n import set_language

    set_language("en")
    from clinic_tui.app import ClinicApp
    from clinic_tui.commands.formulary import load_starter_formulary
    from clinic_tui.commands.terminology import load_starter_set
    from clinic_tui.config import Settings
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.clinic_cache import ClinicCache
    from clinic_tui.screens.chart import ChartScreen

    path = cache_path(data_dir)
    load_starter_set(path)  # as `clinic-tui run` does before the app starts
    load_starter_formulary(path)
    app = ClinicApp(settings=Settings(data_dir=data_dir), cache=ClinicCache(path), auto_sync=False)
    out: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        # The start-up's background warm-up (ORM, then the forms' code) is done before the
        # first key, as it is a second or so after the queue shows.
        try:
            from clinic_tui.screens import preload
        except ImportError:  # an older tree measured for comparison (PYTHONPATH=old/src)
            await pilot.pause(1.5)  # its warm-up (the ORM alone) is done by then
        else:
            while not preload.imported.is_set():
                await pilot.pause(0.05)
        await _settle(pilot)

        async def measure(
            name: str,
            key: str,
            back: Callable[[], Awaitable[None]] | None = None,
            before: Callable[[], Awaitable[None]] | None = None,
            screen: str | None = None,
        ) -> Any:
            figures: dict[str, Any] = {"again": []}
            for attempt in range(1 + repeats):
                if before is not None:
                    await before()
                base = app.screen

                def opened(base: Any = base) -> bool:
                    if screen is not None:  # a dialog closing first, then the one timed
                        return type(app.screen).__name__ == screen
                    return app.screen is not base

                took = await _timed(pilot, key, opened)
                opened = app.screen
                if attempt == 0:
                    figures["first"] = took
                    figures["counts"] = _counts(opened)
                else:
                    figures["again"].append(took)
                await _settle(pilot)
                if back is not None:
                    await back()
                else:
                    await pilot.press("escape")
                    await _settle(pilot)
                    while app.screen is not base:  # a "discard changes?" question
                        await pilot.press("y")
                        await _settle(pilot)
            out[name] = figures
            return opened

        # The front desk's dialogs, on the queue (a registration selected).
        queue = app.screen
        await measure("status dialog", "s")
        await measure("walk-in search", "r")

        async def walk_in_search() -> None:
            await pilot.press("r")
            await _until(pilot, lambda: app.screen is not queue)
            await _settle(pilot)

        async def back_to_queue() -> None:
            from clinic_tui.screens.discard_dialog import ConfirmScreen

            while app.screen is not queue:
                await pilot.press("y" if isinstance(app.screen, ConfirmScreen) else "escape")
                await _settle(pilot)

        await measure(
            "new patient", "ctrl+n", back=back_to_queue, before=walk_in_search,
            screen="WalkInScreen",
        )  # fmt: skip

        app.push_screen(ChartScreen(app.cache, _patient(data_dir), app.clock))
        await _settle(pilot)
        chart = app.screen
        assert isinstance(chart, ChartScreen), chart
        for key, name in FORMS:
            await measure(name, key)
        # The order screen, once more, stays open for the override and the slip.
        await pilot.press("m")
        await _until(pilot, lambda: app.screen is not chart)
        await _settle(pilot)
        orders = app.screen
        await pilot.press(*"amox 500mg po tid 5d", "enter")
        await _settle(pilot)
        orders.query_one("#rx-basket").focus()
        await _settle(pilot)

        async def back_to_orders() -> None:
            await pilot.press("escape")
            await _settle(pilot)

        from clinic_tui.screens.prescription_dialogs import OverrideDialog

        dialog = await measure("override dialog", "s", back=back_to_orders)
        if not isinstance(dialog, OverrideDialog):
            out.pop("override dialog")  # no penicillin allergy: no override to open
        # Sign (answering every override and question), then p: until the slip is saved.
        await pilot.press("s")
        await _settle(pilot)
        for _ in range(10):
            if app.screen is orders:
                break
            if isinstance(app.screen, OverrideDialog):
                dialog = app.screen
                reasons = dialog.query_one("#override-reasons")
                codes = [r.code for r in dialog.reasons]
                reasons.highlighted = codes.index("other") if "other" in codes else 0  # type: ignore[attr-defined]
                await pilot.press("enter")
                await pilot.press(*"benchmark", "enter")
            else:
                await pilot.press("y")
            await _settle(pilot)
        orders.slips_dir = SCRATCH / "slips"
        slips = []
        for _ in range(1 + repeats):
            app.notices.clear()
            started = _now()
            await pilot.press("p")
            await _until(
                pilot, lambda: any("Slip saved" in m or "Could not" in m for m in app.notices)
            )
            slips.append(_since(started))
            messages = list(app.notices)
            if not any("Slip saved" in m for m in messages):
                raise RuntimeError(f"the slip was not saved: {messages}")
            while app.screen is not orders:
                await pilot.press("y")
                await _settle(pilot)
        out["first slip (p)"] = {"first": slips[0], "again": slips[1:], "counts": {}}
    return out


async def bare_child(counts: dict[str, dict[str, int]], repeats: int) -> dict[str, Any]:
    """The same opens in a bare Textual app: ModalScreens with the same widget counts."""
    from textual import work
    from textual.app import App, ComposeResult
    from textual.containers import Vertical, VerticalScroll
    from textual.screen import ModalScreen
    from textual.widgets import DataTable, Footer, Input, OptionList, Select, Static, TextArea

    class Form(ModalScreen[None]):
        BINDINGS = [("escape", "app.pop_screen", "Back")]

        def __init__(self, numbers: dict[str, int]) -> None:
            super().__init__()
            self.numbers = numbers

        def compose(self) -> ComposeResult:
            with Vertical():
                yield Static("Form")
                with VerticalScroll():
                    for _ in range(self.numbers.get("Input", 0)):
                        yield Input(placeholder="text")
                    for _ in range(self.numbers.get("Select", 0)):
                        yield Select([(f"option {i}", i) for i in range(8)], value=0)
                    for _ in range(self.numbers.get("TextArea", 0)):
                        yield TextArea()
                    for _ in range(self.numbers.get("OptionList", 0)):
                        yield OptionList(*(f"option {i}" for i in range(8)))
                    for _ in range(self.numbers.get("DataTable", 0)):
                        table: DataTable[str] = DataTable()
                        table.add_columns("Name", "Sex/Age", "Birth date", "Identity", "Phone")
                        yield table
            yield Footer()

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("chart")
            yield Footer()

        @work(thread=True)
        def pdf(self) -> None:
            from fpdf import FPDF

            pdf = FPDF()
            pdf.add_page()
            pdf.set_font("helvetica", size=12)
            pdf.cell(text="Rp. amoxicillin 500 mg")
            pdf.output(str(SCRATCH / "bare-slip.pdf"))
            self.call_from_thread(self.notify, "Slip saved")

    app = Bare()
    out: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for name, numbers in counts.items():
            if not numbers:
                continue
            times = []
            for _ in range(1 + repeats):
                base = app.screen
                started = _now()
                app.push_screen(Form(numbers))
                await _until(pilot, lambda base=base: app.screen is not base)
                times.append(_since(started))
                await pilot.press("escape")
                await _settle(pilot)
            out[name] = {"first": times[0], "again": times[1:]}
        times = []
        for _ in range(1 + repeats):
            app.clear_notifications()
            started = _now()
            app.pdf()
            await _until(pilot, lambda: bool(app._notifications))
            times.append(_since(started))
        out["first slip (p)"] = {"first": times[0], "again": times[1:]}
    return out


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the {args[1]} run failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes of each app")
    parser.add_argument("--repeats", type=int, default=3, help="opens after the first")
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, help="a demo cache (default: a new one)")
    parser.add_argument("--child", choices=("clinic", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--counts", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scratch is not None:
        global SCRATCH
        SCRATCH = args.scratch
    if args.child == "clinic":
        print(json.dumps(asyncio.run(clinic_child(args.data_dir, args.repeats))))
        return 0
    if args.child == "bare":
        counts = json.loads(args.counts)
        print(json.dumps(asyncio.run(bare_child(counts, args.repeats))))
        return 0

    with tempfile.TemporaryDirectory(prefix="form-open-") as scratch:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(scratch)
            subprocess.run(
                [sys.executable, "-m", "clinic_tui", "demo-data", "--patients",
                 str(args.patients), "--seed", "1", "--data-dir", str(data_dir)],
                check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        common = ["--data-dir", str(data_dir), "--repeats", str(args.repeats)]
        common += ["--scratch", scratch]
        clinic: list[dict[str, Any]] = []
        bare: list[dict[str, Any]] = []
        for run in range(args.runs):
            clinic.append(_child(["--child", "clinic", *common]))
            counts = {name: figures["counts"] for name, figures in clinic[-1].items()}
            bare.append(_child(["--child", "bare", *common, "--counts", json.dumps(counts)]))
            print(f"  run {run + 1}/{args.runs} done", file=sys.stderr, flush=True)

    print(f"\nKey-press to painted, ms ({args.runs} fresh processes; again: {args.repeats} "
          "more opens in each)")  # fmt: skip
    header = (
        f"{'form / dialog':<18}{'widgets':>11}"
        f"{'first p50':>11}{'first p95':>11}{'bare p50':>10}"
        f"{'again p50':>11}{'again p95':>11}{'bare p50':>10}"
        f"{'cpu p50':>9}{'bare cpu':>10}"
    )
    print(header)
    for name in clinic[0]:
        counts = clinic[0][name]["counts"]
        widgets = "/".join(str(counts.get(kind, 0)) for kind in KINDS) if counts else "-"
        first = [run[name]["first"][0] for run in clinic]
        again = [t[0] for run in clinic for t in run[name]["again"]]
        bare_first = [run[name]["first"][0] for run in bare if name in run]
        bare_again = [t[0] for run in bare if name in run for t in run[name]["again"]]
        cpu = [run[name]["first"][1] for run in clinic]
        bare_cpu = [run[name]["first"][1] for run in bare if name in run]
        cells = [
            f"{_p(first, 0.5):>11.0f}",
            f"{_p(first, 0.95):>11.0f}",
            f"{statistics.median(bare_first):>10.0f}" if bare_first else f"{'-':>10}",
            f"{_p(again, 0.5):>11.0f}" if again else f"{'-':>11}",
            f"{_p(again, 0.95):>11.0f}" if again else f"{'-':>11}",
            f"{statistics.median(bare_again):>10.0f}" if bare_again else f"{'-':>10}",
            f"{_p(cpu, 0.5):>9.0f}",
            f"{statistics.median(bare_cpu):>10.0f}" if bare_cpu else f"{'-':>10}",
        ]
        print(f"{name:<18}{widgets:>11}" + "".join(cells))
    print(
        "\nwidgets: Input/Select/TextArea/OptionList/DataTable in the form; bare: a bare "
        "Textual app pushing a ModalScreen with as many (for the slip: a one-page core-font "
        "fpdf PDF in a thread worker). Headless (Pilot), 120x40. cpu: the process's CPU ms "
        "of the first open (steadier than wall time on a shared machine)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
