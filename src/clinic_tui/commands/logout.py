"""`clinic-tui logout`: forget the stored secret for a server (and, if asked, the server).

No network: the keyring entry is removed whether or not the server can be reached. The
settings file keeps its [sync] server line unless `--forget-server`, so logging in again
needs no URL typed twice; a line that names another server is never touched.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Any

from clinic_tui.commands.cli import server_settings, server_url_option, subcommand
from clinic_tui.config import Settings
from clinic_tui.credentials import (
    TOKEN_ENV,
    NoKeyringError,
    delete_credential,
    normalise_server_url,
    stored_credential,
)
from clinic_tui.errors import ConfigError
from clinic_tui.i18n import tr
from clinic_tui.settings_file import update_section


@dataclass(frozen=True)
class LogoutResult:
    """What logout found and removed, for the lines it prints."""

    server: str
    removed: str | None
    """"bearer" or the OAuth client id whose credentials were removed; None: nothing stored."""
    no_keyring: bool
    settings: str | None
    """What happened to the settings file's server line, as a sentence (None: not named)."""
    env_token: bool

    def lines(self) -> list[str]:
        """The confirmation, one sentence a line."""
        if self.removed == "bearer":
            said = [tr("Logged out of {server}: removed its bearer token from the keyring.")]
        elif self.removed is not None:
            said = [
                tr(
                    "Logged out of {server}: removed the client credentials of {client} from "
                    "the keyring."
                )
            ]
        elif self.no_keyring:
            said = [
                tr(
                    "Nothing to remove: this machine has no usable keyring, so no credentials "
                    "for {server} were stored here."
                )
            ]
        else:
            said = [
                tr("Nothing to remove: no credentials for {server} were stored in the keyring.")
            ]
        said = [line.format(server=self.server, client=self.removed) for line in said]
        if self.settings:
            said.append(self.settings)
        if self.env_token:
            said.append(
                tr(
                    "Note: {env} is still set in this environment; clinic-tui goes on using "
                    "that token until it is unset."
                ).format(env=TOKEN_ENV)
            )
        return said


def _settings_line(settings: Settings, server: str, *, forget: bool) -> str | None:
    named = settings.config_file.exists() and _named_server(settings)
    if not named:
        return None
    path = settings.config_file
    if normalise_server_url(named) != server:
        return tr("{path} names another server ({other}); left as it is.").format(
            path=path, other=named
        )
    if not forget:
        return tr("{path} still names this server (add --forget-server to remove it too).").format(
            path=path
        )
    # ca_bundle and allow_insecure_http were written by login for this server alone.
    update_section(path, "sync", {"server": None, "ca_bundle": None, "allow_insecure_http": None})
    return tr(
        "Removed the server from {path} ([sync] server, ca_bundle, allow_insecure_http)."
    ).format(path=path)


def _named_server(settings: Settings) -> str | None:
    import tomllib

    try:
        document = tomllib.loads(settings.config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # load_settings has read it already; a file that changed since is left
    server = document.get("sync", {}).get("server")
    return server if isinstance(server, str) else None


def logout(settings: Settings, *, forget_server: bool = False) -> LogoutResult:
    """Remove the keyring entry of the server in settings; with forget_server, its settings."""
    if not settings.server_url:
        raise ConfigError(
            tr("no server to log out of: give --server URL (or set CLINIC_TUI_SERVER)")
        )
    server = normalise_server_url(settings.server_url)
    removed: str | None = None
    no_keyring = False
    try:
        found = stored_credential(server)
        if found is not None and delete_credential(server):
            removed = (found.client_id or "?") if found.kind == "client_credentials" else "bearer"
    except NoKeyringError:
        no_keyring = True  # nothing can have been stored; say so rather than fail
    return LogoutResult(
        server=server,
        removed=removed,
        no_keyring=no_keyring,
        settings=_settings_line(settings, server, forget=forget_server),
        env_token=bool(os.environ.get(TOKEN_ENV, "").strip()),
    )


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `logout` command."""
    logout_command = subcommand(
        commands,
        "logout",
        parents=[common, server_url_option()],
        help=tr("remove the stored token or client secret for the server from the OS keyring"),
        description=tr(
            "Remove the secret stored by `clinic-tui login` for the server from the OS keyring "
            "and say what was removed. No network is needed. The settings file keeps its "
            "[sync] server line unless --forget-server is given."
        ),
    )
    logout_command.add_argument(
        "--forget-server",
        action="store_true",
        help=tr(
            "also remove [sync] server (with ca_bundle, allow_insecure_http) from the settings"
        ),
    )


def run(args: argparse.Namespace) -> int:
    """Log out and say what was removed."""
    result = logout(server_settings(args), forget_server=args.forget_server)
    print("\n".join(result.lines()))
    return 0
