"""One cold start, run in its own process by startup.py: exits once a DataTable shows rows."""

from __future__ import annotations

import sys
from pathlib import Path


async def _wait_for_rows(pilot: object) -> None:
    from textual.pilot import Pilot
    from textual.widgets import DataTable

    assert isinstance(pilot, Pilot)
    app = pilot.app
    for _ in range(6000):  # bounded: at most about 60 s
        tables = app.screen.query(DataTable)
        if any(table.row_count > 0 for table in tables):
            app.exit()
            return
        await pilot.pause(0.01)
    raise SystemExit("no rows appeared within the time limit")


def run_clinic(data_dir: Path) -> None:
    """Start clinic-tui as its console script does, up to the filled queue."""
    from clinic_tui.config import load_settings
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.clinic_cache import ClinicCache
    from clinic_tui.offline_cache.engine import open_cache

    settings = load_settings(data_dir_flag=str(data_dir))
    cache = ClinicCache(open_cache(cache_path(settings.data_dir)), clinic_id=settings.clinic_id)
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
    # startup.py reads this last line.
    print(f"peak_rss_kib={peak_rss_kib()}", flush=True)
