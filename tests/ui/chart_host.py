"""A tiny app that shows one ChartScreen over a blank base screen, for tests and for a look by hand.

    .venv/bin/python -m tests.ui.chart_host --data-dir /tmp/cdemo [--patient ID] [--lang zh]

Without --patient it opens the first patient that has recorded allergies.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from textual.app import App, ComposeResult
from textual.widgets import Static

from clinic_tui.i18n import set_language
from clinic_tui.offline_cache.clinic_cache import ClinicCache


class ChartHostApp(App[None]):
    """Pushes a ChartScreen for `patient_id`; popping it leaves a screen saying 'queue'."""

    def __init__(self, cache: ClinicCache, patient_id: str, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.cache = cache
        self.patient_id = patient_id
        self.clock = clock

    def compose(self) -> ComposeResult:
        """The stand-in for the queue underneath the chart."""
        yield Static("queue (host screen)", id="host")

    def on_mount(self) -> None:
        """Open the chart at once."""
        # Imported here so `--lang zh` is in force before the screen's key labels are made.
        from clinic_tui.screens.chart import ChartScreen

        self.push_screen(ChartScreen(self.cache, self.patient_id, self.clock))


def _first_allergic_patient(cache: ClinicCache) -> str:
    with cache.engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT patient_id FROM allergy_intolerance WHERE no_known = 0 "
                "AND clinical_status = 'active' ORDER BY patient_id LIMIT 1"
            )
        ).scalar_one_or_none()
    return str(found or "")


def main() -> None:
    """Open a chart from an existing cache."""
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.engine import open_cache

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--patient")
    parser.add_argument("--lang", choices=("en", "zh"), default="en")
    args = parser.parse_args()
    set_language(args.lang)
    cache = ClinicCache(open_cache(cache_path(Path(args.data_dir)), create=False))
    patient_id = args.patient or _first_allergic_patient(cache)
    ChartHostApp(cache, patient_id, lambda: datetime.now().astimezone()).run()


if __name__ == "__main__":
    main()
