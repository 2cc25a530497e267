"""Command line: `clinic-tui` opens the workstation; subcommands work headless.

This module is the table of commands: each command's module adds its subcommand and
options (`add_parser(commands, common)`) and runs it (`run(args)`); commands/cli.py holds
what they share. Heavy imports (Textual, the demo generator, the HTTP client) happen
inside the command that needs them, so `clinic-tui --help` and headless commands start
quickly. Every failure a user can cause ends in one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from clinic_tui import __version__
from clinic_tui.commands.cli import (
    HelpFormatter,
    add_low_bandwidth,
    add_role_option,
    common_options,
    with_translated_help,
)
from clinic_tui.config import SUPPORTED_LANGUAGES, configured_language
from clinic_tui.errors import ClinicError
from clinic_tui.i18n import set_language, tr

COMMANDS = {
    "run": "clinic_tui.workstation",
    "demo-data": "clinic_tui.commands.demo_data",
    "login": "clinic_tui.commands.login",
    "logout": "clinic_tui.commands.logout",
    "sync": "clinic_tui.commands.sync_round",
    "status": "clinic_tui.commands.status",
    "seed-server": "clinic_tui.commands.seed_server",
    "audit": "clinic_tui.commands.audit",
    "encrypt": "clinic_tui.commands.encrypt",
    "decrypt": "clinic_tui.commands.decrypt",
    "users": "clinic_tui.commands.users",
    "terminology": "clinic_tui.commands.terminology",
    "serve": "clinic_tui.commands.serve",
    "formulary": "clinic_tui.commands.formulary",
    "followup": "clinic_tui.commands.followup",
}
"""Command name -> the module that adds its parser and runs it, in the order help lists them.
No command opens the workstation (`run`)."""


def _command(name: str | None) -> ModuleType:
    return importlib.import_module(COMMANDS[name or "run"])


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command (help in the language set for this process)."""

    common = common_options(None)
    # Given after the command or before it: a subcommand's unset option must not erase the
    # value given before the command name (argparse would write its default over it).
    sub_common = common_options(argparse.SUPPRESS)

    parser = with_translated_help(
        argparse.ArgumentParser(
            prog="clinic-tui",
            description=tr("Terminal clinician workstation on an offline FHIR cache."),
            parents=[common],
            formatter_class=HelpFormatter,
            add_help=False,
        )
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"clinic-tui {__version__}",
        help=tr("print the version and exit"),
    )
    add_low_bandwidth(parser, default=None)
    add_role_option(parser, None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title=tr("commands"))
    for name in COMMANDS:
        _command(name).add_parser(commands, sub_common)
    return parser


def _output_language(argv: Sequence[str]) -> str:
    """--lang, else CLINIC_TUI_LANG, else [ui] language: read before the full parse so that
    help and argument errors are in that language too. Problems are load_settings' to report."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang")
    early.add_argument("--config")
    known, _rest = early.parse_known_args(argv)
    language = known.lang or os.environ.get("CLINIC_TUI_LANG") or configured_language(known.config)
    return language if language in SUPPORTED_LANGUAGES else "en"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `clinic-tui` console script."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    set_language(_output_language(arguments))
    parser = build_parser()
    args = parser.parse_args(arguments)
    try:
        code: int = _command(args.command).run(args)
        return code
    except ClinicError as error:
        from clinic_tui.domain.untrusted import clean, clean_line

        # A message may quote a server or a file: controls made visible (domain.untrusted).
        print(f"clinic-tui: {clean(str(error))}", file=sys.stderr)
        # A refusal's own words from the server (sync.errors.FhirAuthError.details): on a
        # line of their own, never as the reason; untrusted text, one line.
        details = getattr(error, "details", "") or getattr(error.__cause__, "details", "")
        if details:
            print(
                tr("clinic-tui: the server said: {details}").format(details=clean_line(details)),
                file=sys.stderr,
            )
        return error.exit_code
    except KeyboardInterrupt:
        print(tr("clinic-tui: interrupted"), file=sys.stderr)
        return 130
    except Exception as error:  # a bug: keep the details for IT, show the user one line
        from clinic_tui.crash_report import redacted_message

        log = _write_crash_report(error)
        # The message as the log has it: str(error) may quote a patient's name or note.
        print(
            tr("clinic-tui: unexpected error ({kind}: {error}); details written to {log}").format(
                kind=type(error).__name__, error=redacted_message(error), log=log
            ),
            file=sys.stderr,
        )
        return 70


def _write_crash_report(error: BaseException) -> str:
    from clinic_tui.crash_report import write_crash_report

    return write_crash_report(error)


if __name__ == "__main__":
    sys.exit(main())
