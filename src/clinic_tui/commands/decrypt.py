"""`clinic-tui decrypt`: turn an encrypted cache back into a plain one (commands/encrypt.py)."""

from __future__ import annotations

import argparse
from typing import Any

from clinic_tui.commands.cli import settings_of, subcommand
from clinic_tui.i18n import tr


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `decrypt` command."""
    subcommand(
        commands,
        "decrypt",
        parents=[common],
        help=tr("turn an encrypted cache back into a plain one, as safely as encrypt"),
        description=tr(
            "Unlock the cache (keyring or passphrase), write a plain copy beside it, check it, "
            "rename it over the encrypted one, then forget the key. Close the workstation and "
            "any sync first."
        ),
    )


def run(args: argparse.Namespace) -> int:
    """Decrypt the cache of --data-dir."""
    from clinic_tui.commands.encrypt import run_decrypt
    from clinic_tui.locations import cache_path

    return run_decrypt(cache_path(settings_of(args).data_dir))
