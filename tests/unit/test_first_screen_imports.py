"""The first screen draws before the ORM loads: the queue's modules never import SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys


def test_the_queue_screen_and_its_dialogs_load_without_sqlalchemy() -> None:
    # SQLAlchemy/SQLModel load in the background after the first paint (README, start-up):
    # a screen module importing the cache's ORM side would put them back on the start path.
    probe = (
        "import sys, clinic_tui.app, clinic_tui.screens.queue, clinic_tui.screens.walk_in;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel')))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert found.stdout.strip() == "[]"


def test_the_workstation_and_its_command_line_start_without_textual_serve() -> None:
    # textual-serve and aiohttp (half a second to import) are `clinic-tui serve`'s alone.
    probe = (
        "import sys, clinic_tui.app, clinic_tui.screens.queue;"
        "from clinic_tui.__main__ import build_parser; build_parser();"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual_serve', 'aiohttp')))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert found.stdout.strip() == "[]"
