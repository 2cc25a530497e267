"""`clinic-tui` and `clinic-tui run`: open the workstation on the local cache.

A command module as those in commands/ (add_parser, run), kept beside app.py because it
starts the Textual app, which nothing in commands/ may import.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from clinic_tui.commands.cli import add_low_bandwidth, add_role_option, subcommand
from clinic_tui.commands.encrypt import unlock_cache
from clinic_tui.errors import ClinicError
from clinic_tui.i18n import set_language, tr


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `run` command (also what `clinic-tui` without a command does)."""
    run_command = subcommand(
        commands,
        "run",
        parents=[common],
        help=tr("open the workstation (the default)"),
        description=tr("Open the workstation on the local cache (needs an interactive terminal)."),
    )
    add_low_bandwidth(run_command, default=argparse.SUPPRESS)
    add_role_option(run_command, argparse.SUPPRESS)


def _check_terminal() -> None:
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise ClinicError(
            tr(
                "the workstation needs an interactive terminal; for headless work use a "
                "subcommand (see clinic-tui --help)"
            )
        )
    if os.environ.get("TERM", "") in ("", "dumb"):
        raise ClinicError(
            tr(
                "this terminal cannot draw the workstation (TERM is unset or 'dumb'); "
                "set TERM=xterm-256color or use another terminal"
            )
        )


def run(args: argparse.Namespace) -> int:
    """Check the cache and the terminal, then run the app until the user quits."""
    from clinic_tui.config import load_settings
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.cache_file import prepare_cache
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

    settings = load_settings(
        data_dir_flag=args.data_dir,
        config_flag=args.config,
        language_flag=args.lang,
        low_bandwidth_flag=getattr(args, "low_bandwidth", None) or None,
        role_flag=getattr(args, "role", None),
    )
    # The cache is checked before the terminal so its problems are reported even headless.
    path = cache_path(settings.data_dir)
    serving = bool(os.environ.get("TEXTUAL_DRIVER"))  # serve's sessions draw to a browser
    if not serving and not path.exists():
        # Nothing to report about a cache that is not there: refuse before creating one, so
        # a run that cannot start leaves no folder or cache behind.
        _check_terminal()
    unlock_cache(path)  # the key of an encrypted cache (nothing for a plain one)
    _check_encryption_policy(settings, path)
    make_data_private(settings.data_dir)
    prepare_cache(path)
    from clinic_tui.commands.terminology import load_starter_set

    load_starter_set(path)  # diagnosis search works out of the box (a no-op once loaded)
    from clinic_tui.commands.formulary import load_starter_formulary

    load_starter_formulary(path)  # prescribing works out of the box (a no-op once loaded)
    cache = ClinicCache(
        path, clinic_id=settings.clinic_id, practitioner_id=settings.practitioner_id
    )
    if not serving:
        _check_terminal()
    set_language(settings.language)
    from clinic_tui.app import ClinicApp
    from clinic_tui.offline_cache.local_users import load_users

    ClinicApp(settings=settings, cache=cache, users=load_users(settings.data_dir)).run()
    return 0


def make_data_private(data_dir: Path) -> None:
    """Tighten what an earlier version left readable by others in the data folder; say so
    once (the next start finds nothing left to do)."""
    from clinic_tui.private_files import make_private

    try:
        tightened = make_private(data_dir)
    except OSError:
        return  # prepare_cache reports the folder's problem in its own words
    if tightened:
        print(
            tr(
                "clinic-tui: {count} files and folders in {folder} were readable by other "
                "users of this computer; they are now this user's only"
            ).format(count=len(tightened), folder=data_dir),
            file=sys.stderr,
        )


def _check_encryption_policy(settings: Any, path: Any) -> None:
    """[security] require_encrypted_cache: a plain cache is refused, with the way out."""
    from clinic_tui.offline_cache.cache_file import encryption_of

    if settings.require_encrypted_cache and path.exists() and encryption_of(path) is None:
        raise ClinicError(
            tr(
                "this workstation requires an encrypted cache ([security] "
                "require_encrypted_cache) and {path} is not encrypted; run clinic-tui encrypt"
            ).format(path=path)
        )
