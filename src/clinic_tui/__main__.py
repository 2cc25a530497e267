"""Command line: `clinic-tui` opens the workstation; subcommands work headless.

Heavy imports (Textual, the demo generator) happen inside the command that
needs them, so `clinic-tui --help` and headless commands start quickly.
Every failure a user can cause ends in one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clinic_tui import __version__
from clinic_tui.config import SUPPORTED_LANGUAGES, configured_language
from clinic_tui.errors import ClinicError
from clinic_tui.i18n import set_language, tr


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            tr("expected a whole number, got {text!r}").format(text=text)
        ) from None


def _patients(text: str) -> int:
    from clinic_tui.demo.history_years import MAX_PATIENTS

    value = _whole_number(text)
    if not 1 <= value <= MAX_PATIENTS:
        raise argparse.ArgumentTypeError(
            tr("expected 1 to {most:,} patients, got {value:,}").format(
                most=MAX_PATIENTS, value=value
            )
        )
    return value


def _history_years(text: str) -> int:
    from clinic_tui.demo.history_years import history_years_problem

    value = _whole_number(text)
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


def _add_demo_clinic_options(command: argparse.ArgumentParser, *, default: int) -> None:
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
        type=_whole_number,
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


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's layout, with its own words ("usage:") in the output language, every help
    and description text passed through the catalogue as it is printed (a text already
    translated where the option is defined passes unchanged), wrapped by terminal cells so
    that Chinese help fits the terminal."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, tr("usage: ") if prefix is None else prefix)

    def start_section(self, heading: str | None) -> None:
        super().start_section(tr(heading) if heading else heading)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return tr(action.help) if action.help else action.help

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_cells(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap_cells(tr(text), width - len(indent)))


def _with_translated_help(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The parser with argparse's own headings and -h text in the output language."""
    parser._positionals.title = tr("positional arguments")
    parser._optionals.title = tr("options")
    parser.add_argument("-h", "--help", action="help", help=tr("show this help and exit"))
    return parser


def _subcommand(commands: Any, name: str, **options: Any) -> argparse.ArgumentParser:
    return _with_translated_help(
        commands.add_parser(name, formatter_class=_HelpFormatter, add_help=False, **options)
    )


def _common_options(default: Any) -> argparse.ArgumentParser:
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


def _add_role_option(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--role",
        choices=("clinic", "expert"),
        default=default,
        help=tr(
            "clinic: today's queue; expert: the hospital's referral triage inbox (default: "
            "[clinic] role in the settings, else expert when the clinic is a hospital)"
        ),
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command (help in the language set for this process)."""

    common = _common_options(None)
    # Given after the command or before it: a subcommand's unset option must not erase the
    # value given before the command name (argparse would write its default over it).
    sub_common = _common_options(argparse.SUPPRESS)

    parser = _with_translated_help(
        argparse.ArgumentParser(
            prog="clinic-tui",
            description=tr("Terminal clinician workstation on an offline FHIR cache."),
            parents=[common],
            formatter_class=_HelpFormatter,
            add_help=False,
        )
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"clinic-tui {__version__}",
        help=tr("print the version and exit"),
    )
    _add_low_bandwidth(parser, default=None)
    _add_role_option(parser, None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title=tr("commands"))
    run = _subcommand(
        commands,
        "run",
        parents=[sub_common],
        help=tr("open the workstation (the default)"),
        description=tr("Open the workstation on the local cache (needs an interactive terminal)."),
    )
    _add_low_bandwidth(run, default=argparse.SUPPRESS)
    _add_role_option(run, argparse.SUPPRESS)
    demo = _subcommand(
        commands,
        "demo-data",
        parents=[sub_common],
        help=tr("fill a cache with a realistic demo township clinic"),
        description=tr(
            "Fill the cache with a demo township clinic: patients, their records, referrals "
            "and today's queue. Deterministic for a given seed and day. Writes only into an "
            "empty cache: a cache that already holds records is refused, unchanged; a run that "
            "fails leaves no cache file behind. Shows its progress (a bar on a terminal, "
            "plain lines otherwise)."
        ),
    )
    _add_demo_clinic_options(demo, default=2000)
    _add_server_commands(commands, sub_common)
    _add_security_commands(commands, sub_common)
    from clinic_tui.commands.terminology import add_terminology_parser

    add_terminology_parser(commands, sub_common)
    _add_serve_command(commands, sub_common)
    from clinic_tui.commands.formulary import add_formulary_parser

    add_formulary_parser(commands, sub_common)
    return parser


def _add_low_bandwidth(command: argparse.ArgumentParser, *, default: Any) -> None:
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


def _port(text: str) -> int:
    value = _whole_number(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            tr("expected a port from 1 to 65535, got {value}").format(value=value)
        )
    return value


def _add_serve_command(commands: Any, common: argparse.ArgumentParser) -> None:
    from clinic_tui.commands.serve import DEFAULT_PORT
    from clinic_tui.commands.serve_guard import DEFAULT_MAX_SESSIONS

    serve = _subcommand(
        commands,
        "serve",
        parents=[common],
        help=tr("open the workstation in a web browser (for cloud desktops and thin clients)"),
        description=tr(
            "Publish the workstation as a web page through textual-serve: each browser tab "
            "runs its own workstation on this cache, opening on the sign-in screen. Open the "
            "address it prints (it carries a key made at each start). Listens on this "
            "machine only unless --allow-remote is given; it has no TLS, so put it behind "
            "the cloud desktop's access control or an HTTPS reverse proxy."
        ),
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help=tr("address to listen on (default: 127.0.0.1, this machine only)"),
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=tr("port to listen on (default: {port})").format(port=DEFAULT_PORT),
    )
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help=tr("allow a --host other than this machine (serve has no TLS: see the README first)"),
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help=tr(
            "the address browsers use to reach serve, when it differs from --host and --port "
            "(behind a reverse proxy: https://...)"
        ),
    )
    serve.add_argument(
        "--max-sessions",
        type=_positive,
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help=tr(
            "browser sessions open at once, each a workstation process (default: {count})"
        ).format(count=DEFAULT_MAX_SESSIONS),
    )
    _add_low_bandwidth(serve, default=False)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            tr("expected a whole number of 1 or more, got {text}").format(text=text)
        )
    return value


def _add_server_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """login, logout, sync, status and seed-server: the headless commands about the server."""
    server_url = argparse.ArgumentParser(add_help=False)
    server_url.add_argument(
        "--server",
        metavar="URL",
        help=tr("FHIR base URL (default: CLINIC_TUI_SERVER, then [sync] server in the settings)"),
    )
    server = argparse.ArgumentParser(add_help=False, parents=[server_url])
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
    login = _subcommand(
        commands,
        "login",
        parents=[common, server],
        help=tr("check a token against the server and keep it in the OS keyring"),
        description=tr(
            "Read the secret from a no-echo prompt (or one line of standard input), check it "
            "against the server, keep it in the OS keyring and write the server to the "
            "settings file. The secret is never taken from the command line."
        ),
    )
    login.add_argument(
        "--client-id",
        metavar="ID",
        help=tr(
            "log in with OAuth2 client credentials (the prompt then asks for the client secret)"
        ),
    )
    logout = _subcommand(
        commands,
        "logout",
        parents=[common, server_url],
        help=tr("remove the stored token or client secret for the server from the OS keyring"),
        description=tr(
            "Remove the secret stored by `clinic-tui login` for the server from the OS keyring "
            "and say what was removed. No network is needed. The settings file keeps its "
            "[sync] server line unless --forget-server is given."
        ),
    )
    logout.add_argument(
        "--forget-server",
        action="store_true",
        help=tr(
            "also remove [sync] server (with ca_bundle, allow_insecure_http) from the settings"
        ),
    )
    _subcommand(
        commands,
        "sync",
        parents=[common, server],
        help=tr("one sync round with the server, headless"),
        description=tr(
            "Upload local changes, then download the server's. Exit 0: everything synced; 1: "
            "finished with conflicts or rejected changes to look at; 2: could not sync."
        ),
    )
    status = _subcommand(
        commands,
        "status",
        parents=[common, server],
        help=tr("what waits to sync, conflicts and record counts (offline)"),
        description=tr(
            "Show the cache's sync state without the network: last successful sync, changes "
            "waiting to upload, conflicts, rejected changes and records per type. Only reads "
            "the cache, so it works on a cache in a read-only folder."
        ),
    )
    status.add_argument("--json", action="store_true", help=tr("machine-readable output"))
    seed = _subcommand(
        commands,
        "seed-server",
        parents=[common, server],
        help=tr("fill a FHIR server with a demo township clinic and its hospitals"),
        description=tr(
            "PUT a demo clinic (organizations, staff, patients and their records, today's "
            "queue, referrals) on the server in transactions. Running it again with the same "
            "--patients and --seed updates the same records; nothing is duplicated."
        ),
    )
    _add_demo_clinic_options(seed, default=200)
    audit = _subcommand(
        commands,
        "audit",
        parents=[common],
        help=tr("who opened or changed a patient's records on this workstation (offline)"),
        description=tr(
            "List the audit trail of one patient kept in the cache, newest first: every chart "
            "opening and every change made here, who did it, and whether the server holds the "
            "record yet; or, with --sign-ins, every sign-in, wrong PIN and lock-out. The sync "
            "sends these records to the server as AuditEvents."
        ),
    )
    which = audit.add_mutually_exclusive_group(required=True)
    which.add_argument("--patient", metavar="ID", help=tr("the patient's id"))
    which.add_argument(
        "--sign-ins",
        action="store_true",
        help=tr("sign-ins instead: right and wrong PINs and lock-outs, never a PIN"),
    )
    audit.add_argument("--json", action="store_true", help=tr("machine-readable output"))


def _add_security_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """encrypt and users: the cache's key and the clinicians who may unlock the workstation."""
    encrypt = _subcommand(
        commands,
        "encrypt",
        parents=[common],
        help=tr("encrypt the cache in place (SQLCipher), key in the keyring or from a passphrase"),
        description=tr(
            "Write an encrypted copy of the cache beside it, check it (integrity and every "
            "table's row count), then rename it over the original. A stop at any moment "
            "leaves a cache that opens. Close the workstation and any sync first."
        ),
    )
    key_source = encrypt.add_mutually_exclusive_group()
    key_source.add_argument(
        "--keyring",
        action="store_true",
        help=tr("a random key kept in this user's OS keyring (the default)"),
    )
    key_source.add_argument(
        "--passphrase-prompt",
        action="store_true",
        help=tr(
            "a key derived from a passphrase asked for now and at every start (no-echo prompt, "
            "or one line of standard input); never stored"
        ),
    )
    _subcommand(
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
    users = _subcommand(
        commands,
        "users",
        parents=[common],
        help=tr("clinicians who may unlock this workstation with a PIN"),
        description=tr(
            "Register the clinicians of this workstation. Once one is registered, the "
            "workstation opens on a sign-in screen and locks itself when left idle; what a "
            "clinician writes carries their practitioner id. PINs are asked with a no-echo "
            "prompt (or one line of standard input), never taken from the command line."
        ),
    )
    actions = users.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    add = _subcommand(
        actions,
        "add",
        parents=[common],
        help=tr("register a clinician"),
        description=tr(
            "Register a clinician on this workstation. The PIN (6 digits or more, not one "
            "repeated digit, a run such as 123456 or a repeated pattern) is asked twice with a "
            "no-echo prompt, or read as one line of standard input, and kept only as a salted "
            "scrypt hash."
        ),
    )
    add.add_argument(
        "--practitioner-id", required=True, metavar="ID", help=tr("FHIR Practitioner id")
    )
    add.add_argument("--name", required=True, metavar="NAME", help=tr("name shown at sign-in"))
    _subcommand(
        actions,
        "list",
        parents=[common],
        help=tr("list the registered clinicians"),
        description=tr("List the clinicians registered on this workstation (never their PINs)."),
    )
    remove = _subcommand(
        actions,
        "remove",
        parents=[common],
        help=tr("unregister a clinician"),
        description=tr(
            "Unregister a clinician: they can no longer unlock this workstation. What they "
            "wrote keeps their practitioner id."
        ),
    )
    remove.add_argument(
        "--practitioner-id", required=True, metavar="ID", help=tr("FHIR Practitioner id")
    )
    pin = _subcommand(
        actions,
        "pin",
        parents=[common],
        help=tr("give a clinician a new PIN"),
        description=tr(
            "Set a new PIN for a registered clinician, with the same rules and prompts as add; "
            "their count of wrong PINs (and a lock-out) is cleared."
        ),
    )
    pin.add_argument(
        "--practitioner-id", required=True, metavar="ID", help=tr("FHIR Practitioner id")
    )
    unlock = _subcommand(
        actions,
        "unlock",
        parents=[common],
        help=tr("clear the wrong-PIN lock-outs"),
        description=tr(
            "Clear the count of wrong PINs, and so any lock-out: of one clinician with "
            "--practitioner-id, else of every clinician and of the workstation as a whole."
        ),
    )
    unlock.add_argument("--practitioner-id", metavar="ID", help=tr("FHIR Practitioner id"))


def _check_terminal() -> None:
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise ClinicError(
            "the workstation needs an interactive terminal; for headless work use a subcommand "
            "(see clinic-tui --help)"
        )
    if os.environ.get("TERM", "") in ("", "dumb"):
        raise ClinicError(
            "this terminal cannot draw the workstation (TERM is unset or 'dumb'); "
            "set TERM=xterm-256color or use another terminal"
        )


def _run_app(args: argparse.Namespace) -> int:
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
    _unlock(path)
    _check_encryption_policy(settings, path)
    _make_data_private(settings.data_dir)
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


def _make_data_private(data_dir: Path) -> None:
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


def _unlock(path: Any) -> None:
    """Give this process the key of an encrypted cache (nothing for a plain one)."""
    from clinic_tui.commands.encrypt import unlock_cache

    unlock_cache(path)


def _unlock_for(args: argparse.Namespace) -> None:
    """Before sync, status and terminology: unlock the cache they will read."""
    from clinic_tui.config import load_settings
    from clinic_tui.locations import cache_path

    settings = load_settings(data_dir_flag=args.data_dir, config_flag=args.config)
    _unlock(cache_path(settings.data_dir))


def _encrypt(args: argparse.Namespace) -> int:
    from clinic_tui.commands.encrypt import run_encrypt
    from clinic_tui.config import load_settings
    from clinic_tui.locations import cache_path

    settings = load_settings(data_dir_flag=args.data_dir, config_flag=args.config)
    return run_encrypt(cache_path(settings.data_dir), use_passphrase=args.passphrase_prompt)


def _decrypt(args: argparse.Namespace) -> int:
    from clinic_tui.commands.encrypt import run_decrypt
    from clinic_tui.config import load_settings
    from clinic_tui.locations import cache_path

    settings = load_settings(data_dir_flag=args.data_dir, config_flag=args.config)
    return run_decrypt(cache_path(settings.data_dir))


def _users(args: argparse.Namespace) -> int:
    from clinic_tui.commands.users import run_users
    from clinic_tui.config import load_settings

    settings = load_settings(data_dir_flag=args.data_dir, config_flag=args.config)
    return run_users(args, settings.data_dir)


def _demo_data(args: argparse.Namespace) -> int:
    from clinic_tui.commands.demo_data import write_demo_clinic
    from clinic_tui.config import load_settings

    settings = load_settings(data_dir_flag=args.data_dir, config_flag=args.config)
    return write_demo_clinic(
        settings, patients=args.patients, seed=args.seed, history_years=args.history_years
    )


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
        allow_insecure_http=settings.allow_insecure_http
        or getattr(args, "allow_insecure_http", False),
        ca_bundle=getattr(args, "ca_bundle", None) or settings.ca_bundle,
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
    kind = tr("client credentials") if result.kind == "client_credentials" else tr("token")
    print(
        tr("Logged in to {server}: {kind} kept in the keyring ({backend}).").format(
            server=result.server, kind=kind, backend=result.backend
        )
    )
    note = "" if result.comments_kept else tr(" (the file was rewritten; its comments are gone)")
    print(tr("Server written to {path}{note}.").format(path=result.config_file, note=note))
    if os.environ.get("CLINIC_TUI_TOKEN"):
        print(
            tr("Note: CLINIC_TUI_TOKEN is set in this environment and overrides the stored secret.")
        )
    return 0


def _logout(args: argparse.Namespace) -> int:
    from clinic_tui.commands.logout import logout

    result = logout(_server_settings(args), forget_server=args.forget_server)
    print("\n".join(result.lines()))
    return 0


def _sync(args: argparse.Namespace) -> int:
    from clinic_tui.commands.sync_round import run_sync

    _unlock_for(args)
    return run_sync(_server_settings(args))


def _status(args: argparse.Namespace) -> int:
    from clinic_tui.commands.status import show_status

    _unlock_for(args)
    return show_status(_server_settings(args), as_json=args.json)


def _audit(args: argparse.Namespace) -> int:
    from clinic_tui.commands.audit import show_audit
    from clinic_tui.config import load_settings

    settings = load_settings(data_dir_flag=args.data_dir, config_flag=args.config)
    if args.sign_ins:
        from clinic_tui.commands.audit import show_sign_ins

        return show_sign_ins(settings, as_json=args.json)
    return show_audit(settings, args.patient, as_json=args.json)


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
            progress=lambda done, total: display.update(tr("patients sent"), done, total),
        )
    print(tr("Seeded {server}: {result}.").format(server=client.base_url, result=result))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from clinic_tui.commands.serve import ServeOptions, serve
    from clinic_tui.config import load_settings
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.cache_file import prepare_cache

    settings = load_settings(
        data_dir_flag=args.data_dir,
        config_flag=args.config,
        language_flag=args.lang,
        low_bandwidth_flag=args.low_bandwidth or None,
    )
    # Migrated once here, so the sessions that start together never race to migrate it.
    prepare_cache(cache_path(settings.data_dir))
    from clinic_tui.commands.terminology import load_starter_set

    load_starter_set(cache_path(settings.data_dir))
    options = ServeOptions(
        host=args.host,
        port=args.port,
        allow_remote=args.allow_remote,
        public_url=args.public_url,
        low_bandwidth=settings.low_bandwidth,
        max_sessions=args.max_sessions,
    )
    return serve(settings, options)


def _formulary(args: argparse.Namespace) -> int:
    from clinic_tui.commands.formulary import run_formulary

    return run_formulary(args)


def _terminology(args: argparse.Namespace) -> int:
    from clinic_tui.commands.terminology import run_terminology

    _unlock_for(args)
    return run_terminology(args)


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
    handlers = {
        None: _run_app,
        "run": _run_app,
        "demo-data": _demo_data,
        "login": _login,
        "logout": _logout,
        "sync": _sync,
        "status": _status,
        "seed-server": _seed_server,
        "audit": _audit,
        "terminology": _terminology,
        "serve": _serve,
        "encrypt": _encrypt,
        "decrypt": _decrypt,
        "users": _users,
        "formulary": _formulary,
    }
    try:
        return handlers[args.command](args)
    except ClinicError as error:
        from clinic_tui.domain.untrusted import clean

        # A message may quote a server or a file: controls made visible (domain.untrusted).
        print(f"clinic-tui: {clean(str(error))}", file=sys.stderr)
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
