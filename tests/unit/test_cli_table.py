"""__main__.py is the table of commands: each module adds its own parser and runs it."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from clinic_tui.__main__ import COMMANDS, build_parser


def test_every_command_module_adds_its_parser_and_runs_it() -> None:
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        assert callable(module.add_parser), name
        assert callable(module.run), name
    [commands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(commands.choices) == list(COMMANDS)  # help lists them in the table's order


def test_building_the_parser_loads_no_http_client_orm_or_ui() -> None:
    # Every start of the workstation builds the whole parser: the command modules it
    # imports keep the HTTP client, the ORM and Textual for when their command runs.
    probe = (
        "import sys; from clinic_tui.__main__ import build_parser; build_parser();"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'httpx', 'sqlalchemy', 'sqlmodel', 'textual', 'textual_serve', 'multiprocessing'}))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert found.stdout.strip() == "[]"
