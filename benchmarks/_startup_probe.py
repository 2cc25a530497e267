"""One cold start, run in its own process by startup.py.

Prints the seconds from the parent's spawn (argv[3], epoch) until a DataTable on the
first screen shows rows. For clinic-tui it then loads everything the first keypress
would need (ORM, repositories) before exiting, so the peak RSS it prints is that of
a fully loaded workstation, not of the first paint alone.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

SPAWNED_AT = float(sys.argv[3])


async def _wait_for_rows(pilot: object) -> None:
    from textual.pilot import Pilot
    from textual.widgets import DataTable

    assert isinstance(pilot, Pilot)
    app = pilot.app
    for _ in range(6000):  # bounded: at most about 60 s
        tables = app.screen.query(DataTable)
        if any(table.row_count > 0 for table in tables):
            print(f"rows_s={time.time() - SPAWNED_AT:.4f}", flush=True)
            warm_up = getattr(getattr(app, "cache", None), "warm_up", None)
            if warm_up is not None:
                warm_up()
            app.exit()
            return
        await pilot.pause(0.005)
    raise SystemExit("no rows appeared within the time limit")


def run_clinic(data_dir: Path) -> None:
    """Start clinic-tui as its console script does, up to the filled queue."""
    from clinic_tui.config import load_settings
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.cache_file import prepare_cache
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

    settings = load_settings(data_dir_flag=str(data_dir))
    path = cache_path(settings.data_dir)
    passphrase = os.environ.get("CLINIC_TUI_BENCH_PASSPHRASE")
    if passphrase:
        # An encrypted cache (benchmarks/encryption.py): unlocked as `clinic-tui` does,
        # the passphrase's scrypt included, read here instead of from a prompt.
        from clinic_tui.commands.encrypt import unlock_cache

        unlock_cache(path, passphrase=lambda: passphrase)
    prepare_cache(path)
    from clinic_tui.commands.terminology import load_starter_set

    load_starter_set(path)
    cache = ClinicCache(path, clinic_id=settings.clinic_id)
    from clinic_tui.app import ClinicApp

    ClinicApp(settings=settings, cache=cache).run(
        headless=True, size=(120, 40), auto_pilot=_wait_for_rows
    )


def run_bare() -> None:
    """The baseline: a Textual app holding one DataTable with 40 rows."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("No.", "Name", "Complaint")
            table.add_rows([(str(n), f"patient {n}", "cough") for n in range(40)])

    Bare().run(headless=True, size=(120, 40), auto_pilot=_wait_for_rows)


def peak_rss_kib() -> int:
    """This process's own peak RSS (VmHWM), which, unlike ru_maxrss, excludes the parent's
    pages the child held between fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        run_bare()
    else:
        run_clinic(Path(sys.argv[2]))
    print(f"peak_rss_kib={peak_rss_kib()}", flush=True)
