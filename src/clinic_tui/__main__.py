"""Command line: `clinic-tui` opens the workstation; subcommands work headless.

Heavy imports (Textual, the demo generator) happen inside the command that
needs them, so `clinic-tui --help` and headless commands start quickly.
Every failure a user can cause ends in one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from clinic_tui import __version__
from clinic_tui.errors import ClinicError


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _history_years(text: str) -> int:
    from clinic_tui.demo.history_years import history_years_problem

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    problem = history_years_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return value


def _add_history_years(command: argparse.ArgumentParser) -> None:
    from clinic_tui.demo.history_years import DEFAULT_HISTORY_YEARS, MAX_HISTORY_YEARS

    command.add_argument(
        "--history-years",
        type=_history_years,
        default=DEFAULT_HISTORY_YEARS,
        metavar="N",
        help=f"years of past visits per patient, 1 to {MAX_HISTORY_YEARS} (default: "
        f"{DEFAULT_HISTORY_YEARS}); more years add older chronic follow-ups with their vital "
        "signs, repeat prescriptions and acute visits (4 years: about 21 records per patient)",
    )


def _common_options(default: Any) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="PATH",
        default=default,
        help="folder holding the local cache (default: CLINIC_TUI_DATA_DIR or the platform's "
        "user data folder)",
    )
    common.add_argument("--config", metavar="FILE", default=default, help="settings file (TOML)")
    common.add_argument("--lang", choices=("en", "zh"), default=default, help="label language")
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    common = _common_options(None)
    # Given after the command or before it: a subcommand's unset option must not erase the
    # value given before the command name (argparse would write its default over it).
    sub_common = _common_options(argparse.SUPPRESS)

    parser = argparse.ArgumentParser(
        prog="clinic-tui",
        description="Terminal clinician workstation on an offline FHIR cache.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"clinic-tui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", parents=[sub_common], help="open the workstation (the default)")
    demo = commands.add_parser(
        "demo-data",
        parents=[sub_common],
        help="fill a cache with a realistic demo township clinic",
        description="Fill the cache with a demo township clinic: patients, their records, "
        "referrals and today's queue. Deterministic for a given seed and day. Writes only "
        "into an empty cache: a cache that already holds records is refused, unchanged.",
    )
    demo.add_argument("--patients", type=_positive_int, default=2000, metavar="N")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    _add_history_years(demo)
    _add_server_commands(commands, sub_common)
    return parser


def _add_server_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """login, sync, status and seed-server: the headless commands that talk to the server."""
    server = argparse.ArgumentParser(add_help=False)
    server.add_argument(
        "--server",
        metavar="URL",
        help="FHIR base URL (default: CLINIC_TUI_SERVER, then [sync] server in the settings)",
    )
    server.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow plain http:// to a server that is not this machine (tokens travel unencrypted)",
    )
    server.add_argument(
        "--ca-bundle", metavar="PATH", help="PEM file of a private CA that signed the server"
    )
    login = commands.add_parser(
        "login",
        parents=[common, server],
        help="check a token against the server and keep it in the OS keyring",
        description="Read the secret from a no-echo prompt (or one line of standard input), "
        "check it against the server, keep it in the OS keyring and write the server to the "
        "settings file. The secret is never taken from the command line.",
    )
    login.add_argument(
        "--client-id",
        metavar="ID",
        help="log in with OAuth2 client credentials (the prompt then asks for the client secret)",
    )
    commands.add_parser(
        "sync",
        parents=[common, server],
        help="one sync round with the server, headless",
        description="Upload local changes, then download the server's. Exit 0: everything "
        "synced; 1: finished with conflicts or rejected changes to look at; 2: could not sync.",
    )
    status = commands.add_parser(
        "status",
        parents=[common, server],
        help="what waits to sync, conflicts and record counts (offline)",
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    seed = commands.add_parser(
        "seed-server",
        parents=[common, server],
        help="fill a FHIR server with a demo township clinic and its hospitals",
        description="PUT a demo clinic (organizations, staff, patients and their records, "
        "today's queue, referrals) on the server in transactions. Running it again with the "
        "same --patients and --seed updates the same records; nothing is duplicated.",
    )
    seed.add_argument("--patients", type=_positive_int, default=200, metavar="N")
    seed.add_argument("--seed", type=int, default=1, metavar="S")
    _add_history_years(seed)


def _check_terminal() -> None:
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise ClinicError(
            "clinic-tui needs an interactive terminal; for headless work use a subcommand "
            "(see clinic-tui --help)"
        )
    if os.environ.get("TERM", "") in ("", "dumb"):
        raise ClinicError(
            "this terminal cannot draw the workstation (TERM is unset or 'dumb'); "
            "set TERM=xterm-256color or use another terminal"
        )


def _run_app(args: argparse.Namespace) -> int:
    from clinic_tui.config import load_settings
    from clinic_tui.i18n import set_language
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.cache_file import prepare_cache
    from clinic_tui.offline_cache.clinic_cache import ClinicCache

    settings = load_settings(
        data_dir_flag=args.data_dir, config_flag=args.config, language_flag=args.lang
    )
    # The cache is checked before the terminal so its problems are reported even headless.
    path = cache_path(settings.data_dir)
    prepare_cache(path)
    cache = ClinicCache(path, clinic_id=settings.clinic_id)
    _check_terminal()
    set_language(settings.language)
    from clinic_tui.app import ClinicApp

    ClinicApp(settings=settings, cache=cache).run()
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    from rich.console import Console

    from clinic_tui.config import load_settings
    from clinic_tui.demo.generator import generate_demo_clinic
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.engine import open_cache

    settings = load_settings(data_dir_flag=args.data_dir, config_flag=args.config)
    path = cache_path(settings.data_dir)
    engine = open_cache(path)
    console = Console(stderr=True)
    with console.status(f"Writing a demo clinic of {args.patients:,} patients to {path} ..."):
        summary = generate_demo_clinic(
            engine, patients=args.patients, seed=args.seed, history_years=args.history_years
        )
    console.print(f"[green]Demo clinic ready:[/] {summary} in {path}")
    return 0


def _server_settings(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from clinic_tui.config import load_settings

    settings = load_settings(
        data_dir_flag=args.data_dir,
        config_flag=args.config,
        server_flag=args.server,
        # login writes the server into the file it is given, so that file may be new.
        config_may_be_new=args.command == "login",
    )
    return replace(
        settings,
        allow_insecure_http=settings.allow_insecure_http or args.allow_insecure_http,
        ca_bundle=args.ca_bundle or settings.ca_bundle,
    )


def _login(args: argparse.Namespace) -> int:
    from clinic_tui.commands.connection import checked_ca_bundle, require_server
    from clinic_tui.commands.login import login

    settings = _server_settings(args)
    result = login(
        settings,
        require_server(settings),
        client_id=args.client_id,
        ca_bundle=checked_ca_bundle(settings.ca_bundle),
    )
    kind = "client credentials" if result.kind == "client_credentials" else "token"
    print(f"Logged in to {result.server}: {kind} kept in the keyring ({result.backend}).")
    note = "" if result.comments_kept else " (the file was rewritten; its comments are gone)"
    print(f"Server written to {result.config_file}{note}.")
    if os.environ.get("CLINIC_TUI_TOKEN"):
        print("Note: CLINIC_TUI_TOKEN is set in this environment and overrides the stored secret.")
    return 0


def _sync(args: argparse.Namespace) -> int:
    from clinic_tui.commands.sync_round import run_sync

    return run_sync(_server_settings(args))


def _status(args: argparse.Namespace) -> int:
    from clinic_tui.commands.status import show_status

    return show_status(_server_settings(args), as_json=args.json)


def _seed_server(args: argparse.Namespace) -> int:
    from clinic_tui.commands.connection import open_client
    from clinic_tui.commands.progress import ProgressDisplay
    from clinic_tui.commands.seed_server import seed_server

    with open_client(_server_settings(args)) as client, ProgressDisplay() as display:
        result = seed_server(
            client,
            patients=args.patients,
            seed=args.seed,
            history_years=args.history_years,
            progress=lambda done, total: display.update("patients sent", done, total),
        )
    print(f"Seeded {client.base_url}: {result}.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `clinic-tui` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        None: _run_app,
        "run": _run_app,
        "demo-data": _demo_data,
        "login": _login,
        "sync": _sync,
        "status": _status,
        "seed-server": _seed_server,
    }
    try:
        return handlers[args.command](args)
    except ClinicError as error:
        print(f"clinic-tui: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("clinic-tui: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: keep the details for IT, show the user one line
        log = _write_crash_report(error)
        print(
            f"clinic-tui: unexpected error ({type(error).__name__}: {error}); "
            f"details written to {log}",
            file=sys.stderr,
        )
        return 70


def _write_crash_report(error: BaseException) -> str:
    import traceback
    from datetime import datetime

    from clinic_tui.locations import crash_log_path

    path = crash_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(
                f"--- {datetime.now().astimezone().isoformat()} clinic-tui {__version__}\n"
            )
            handle.write("".join(traceback.format_exception(error)))
    except OSError:
        return "(nowhere: the log folder is not writable)"
    return str(path)


if __name__ == "__main__":
    sys.exit(main())
