"""What the command modules share to build their part of the parser and to start running.

__main__.py lists the commands; each command module adds its own subcommand and options
(`add_parser(commands, common)`) and runs it (`run(args)`). This module holds their common
pieces: argparse's layout in the output language, the options every command takes, the
server options, argument types, and the settings and cache key a command starts from.
It imports only the standard library and the settings, so building the parser stays cheap.
"""

from __future__ import annotations

import argparse
import unicodedata
from typing import Any

from clinic_tui.config import SUPPORTED_LANGUAGES
from clinic_tui.i18n import tr


def whole_number(text: str) -> int:
    """argparse type: an int, refused in the output language."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            tr("expected a whole number, got {text!r}").format(text=text)
        ) from None


def positive(text: str) -> int:
    """argparse type: a whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            tr("expected a whole number of 1 or more, got {text}").format(text=text)
        )
    return value


def port(text: str) -> int:
    """argparse type: a TCP port."""
    value = whole_number(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            tr("expected a port from 1 to 65535, got {value}").format(value=value)
        )
    return value


def _patients(text: str) -> int:
    from clinic_tui.demo.history_years import MAX_PATIENTS

    value = whole_number(text)
    if not 1 <= value <= MAX_PATIENTS:
        raise argparse.ArgumentTypeError(
            tr("expected 1 to {most:,} patients, got {value:,}").format(
                most=MAX_PATIENTS, value=value
            )
        )
    return value


def _history_years(text: str) -> int:
    from clinic_tui.demo.history_years import history_years_problem

    value = whole_number(text)
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
        help=tr(
            "years of past visits per patient, 1 to {most} (default: {default}); more years "
            "add older chronic follow-ups with their vital signs, repeat prescriptions and "
            "acute visits (4 years: about 21 records per patient)"
        ).format(most=MAX_HISTORY_YEARS, default=DEFAULT_HISTORY_YEARS),
    )


def add_demo_clinic_options(command: argparse.ArgumentParser, *, default: int) -> None:
    """--patients, --seed and --history-years of demo-data and seed-server."""
    from clinic_tui.demo.history_years import MAX_PATIENTS

    command.add_argument(
        "--patients",
        type=_patients,
        default=default,
        metavar="N",
        help=tr("number of patients, 1 to {most:,} (default: {default:,})").format(
            most=MAX_PATIENTS, default=default
        ),
    )
    command.add_argument(
        "--seed",
        type=whole_number,
        default=1,
        metavar="S",
        help=tr("random seed: the same seed and --patients give the same clinic (default: 1)"),
    )
    _add_history_years(command)


_NO_BREAK_BEFORE = frozenset("，。、；：！？）」』》")


def _cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def wrap_cells(text: str, width: int) -> list[str]:
    """`text` wrapped to `width` terminal cells: Chinese characters take two cells and may
    break anywhere (not before closing punctuation); other words break at spaces."""
    tokens: list[str] = []
    for word in text.split():
        if tokens:
            tokens.append(" ")
        for char in word:
            # Latin letters stay together as a word; each Chinese character stands alone,
            # except that closing punctuation stays with the character before it.
            joins = (
                bool(tokens)
                and tokens[-1] != " "
                and (
                    char in _NO_BREAK_BEFORE or (_cells(char) == 1 and _cells(tokens[-1][-1]) == 1)
                )
            )
            if joins:
                tokens[-1] += char
            else:
                tokens.append(char)
    lines: list[str] = []
    line = ""
    for token in tokens:
        if line and _cells(line) + _cells(token) > width:
            lines.append(line.rstrip())
            line = "" if token == " " else token
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


class HelpFormatter(argparse.HelpFormatter):
    """argparse's layout, with its own words ("usage:") in the output language, every help
    and description text passed through the catalogue as it is printed (a text already
    translated where the option is defined passes unchanged), wrapped by terminal cells so
    that Chinese help fits the terminal."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        """argparse's usage line, its prefix in the output language."""
        super().add_usage(usage, actions, groups, tr("usage: ") if prefix is None else prefix)

    def start_section(self, heading: str | None) -> None:
        """A section heading in the output language."""
        super().start_section(tr(heading) if heading else heading)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return tr(action.help) if action.help else action.help

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_cells(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap_cells(tr(text), width - len(indent)))


def with_translated_help(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The parser with argparse's own headings and -h text in the output language."""
    parser._positionals.title = tr("positional arguments")
    parser._optionals.title = tr("options")
    parser.add_argument("-h", "--help", action="help", help=tr("show this help and exit"))
    return parser


def subcommand(commands: Any, name: str, **options: Any) -> argparse.ArgumentParser:
    """A subcommand's parser, laid out and headed as the main one."""
    return with_translated_help(
        commands.add_parser(name, formatter_class=HelpFormatter, add_help=False, **options)
    )


def common_options(default: Any) -> argparse.ArgumentParser:
    """--data-dir, --config and --lang (a parent parser), unset ones given `default`."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="PATH",
        default=default,
        help=tr(
            "folder holding the local cache (default: CLINIC_TUI_DATA_DIR, [cache] data_dir in "
            "the settings, else the platform's user data folder)"
        ),
    )
    common.add_argument(
        "--config",
        metavar="FILE",
        default=default,
        help=tr(
            "settings file (TOML), which must exist (default: CLINIC_TUI_CONFIG, else "
            "config.toml in the platform's user config folder)"
        ),
    )
    common.add_argument(
        "--lang",
        choices=SUPPORTED_LANGUAGES,
        default=default,
        help=tr(
            "language of labels, messages and help: en or zh (default: CLINIC_TUI_LANG, "
            "else [ui] language in the settings, else en)"
        ),
    )
    return common


def add_role_option(parser: argparse.ArgumentParser, default: Any) -> None:
    """--role: the queue or the triage inbox."""
    parser.add_argument(
        "--role",
        choices=("clinic", "expert"),
        default=default,
        help=tr(
            "clinic: today's queue; expert: the hospital's referral triage inbox (default: "
            "[clinic] role in the settings, else expert when the clinic is a hospital)"
        ),
    )


def add_low_bandwidth(command: argparse.ArgumentParser, *, default: Any) -> None:
    """--low-bandwidth: for a thin link."""
    command.add_argument(
        "--low-bandwidth",
        action="store_true",
        default=default,
        help=tr(
            "for a thin link (a cloud desktop, a slow remote session): no animations, no "
            "blinking cursor, nothing redrawn that has not changed (default: [ui] "
            "low_bandwidth in the settings)"
        ),
    )


def server_url_option() -> argparse.ArgumentParser:
    """--server (a parent parser): the FHIR server a command talks to."""
    server_url = argparse.ArgumentParser(add_help=False)
    server_url.add_argument(
        "--server",
        metavar="URL",
        help=tr("FHIR base URL (default: CLINIC_TUI_SERVER, then [sync] server in the settings)"),
    )
    return server_url


def server_options() -> argparse.ArgumentParser:
    """--server, --allow-insecure-http and --ca-bundle (a parent parser)."""
    server = argparse.ArgumentParser(add_help=False, parents=[server_url_option()])
    server.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help=tr(
            "allow plain http:// to a server that is not this machine (tokens travel unencrypted)"
        ),
    )
    server.add_argument(
        "--ca-bundle",
        metavar="PATH",
        help=tr("PEM file of a private certificate authority that signed the server's certificate"),
    )
    return server


def settings_of(args: argparse.Namespace) -> Any:
    """The settings for --data-dir and --config."""
    from clinic_tui.config import load_settings

    return load_settings(data_dir_flag=args.data_dir, config_flag=args.config)


def server_settings(args: argparse.Namespace) -> Any:
    """The settings with the server options of the command line applied."""
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
        allow_insecure_http=settings.allow_insecure_http
        or getattr(args, "allow_insecure_http", False),
        ca_bundle=getattr(args, "ca_bundle", None) or settings.ca_bundle,
    )
