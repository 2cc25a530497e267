"""`clinic-tui login`: check a secret against the server, keep it in the keyring, note the server.

The secret is read from a no-echo prompt on a terminal, else one line of standard
input; never from argv. Nothing is stored unless the server accepted it.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clinic_tui.commands.cli import server_options, server_settings, subcommand
from clinic_tui.config import Settings
from clinic_tui.credentials import (
    Credential,
    CredentialError,
    keyring_backend,
    normalise_server_url,
    store_credential,
)
from clinic_tui.errors import ConfigError
from clinic_tui.i18n import tr
from clinic_tui.settings_file import update_section
from clinic_tui.sync.errors import FhirAuthError

if TYPE_CHECKING:
    from clinic_tui.sync.auth import ClientCredentials
    from clinic_tui.sync.client import FhirClient

"""A person is waiting: fail fast rather than back off for a minute."""


@dataclass(frozen=True)
class LoginResult:
    """What login stored, for the one-line confirmation."""

    server: str
    kind: str
    backend: str
    config_file: str
    comments_kept: bool


def read_secret(prompt: str) -> str:
    """The secret from a no-echo prompt on a terminal, else the first line of standard input."""
    secret = (getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline()).strip()
    if not secret:
        raise ConfigError("no secret given (type it at the prompt, or pipe it on standard input)")
    return secret


def _verify(client: FhirClient) -> None:
    try:
        # A search needs authorisation on a protected server, unlike /metadata.
        client.get_json("Patient", params={"_count": "1", "_summary": "count"})
    except FhirAuthError as error:
        refused = (
            tr("the server refused this token (401 not authorised); nothing was stored")
            if error.status == 401
            else tr(
                "the server refused this account permission (403 forbidden); nothing was stored"
            )
        )
        raise CredentialError(refused) from error


def login(
    settings: Settings,
    server_url: str,
    *,
    client_id: str | None = None,
    ca_bundle: str | None = None,
    secret_reader: Callable[[str], str] = read_secret,
) -> LoginResult:
    """Verify the secret against the server, store it in the keyring, write [sync] server."""
    # Imported here (httpx): building the command line's parser imports this module.
    from clinic_tui.sync.auth import ClientCredentials, discover_token_endpoint
    from clinic_tui.sync.client import FhirClient, RetryPolicy, check_server_url

    retry = RetryPolicy(attempts=2, base_delay=0.5, max_delay=2.0)
    server = check_server_url(server_url, allow_insecure=settings.allow_insecure_http)
    # Before the prompt: nobody should type a secret that then cannot be kept.
    backend = keyring_backend()
    insecure = settings.allow_insecure_http
    with FhirClient(server, retry=retry, allow_insecure=insecure, ca_bundle=ca_bundle) as anonymous:
        if client_id is None:
            credential = Credential(kind="bearer", secret=secret_reader("Bearer token: "))
            supplier: ClientCredentials | None = None
        else:
            token_url = discover_token_endpoint(anonymous)
            if token_url is None:
                raise CredentialError(
                    f"{server} advertises no OAuth2 token endpoint (neither "
                    ".well-known/smart-configuration nor /metadata rest.security); log in "
                    "with a bearer token instead (without --client-id)"
                )
            credential = Credential(
                kind="client_credentials",
                secret=secret_reader(f"Client secret for {client_id}: "),
                client_id=client_id,
                token_url=token_url,
            )
            supplier = ClientCredentials(
                token_url,
                client_id,
                credential.secret,
                allow_insecure=insecure,
                ca_bundle=ca_bundle,
            )
    token = supplier if supplier is not None else (lambda: credential.secret)
    try:
        if supplier is not None:
            supplier()  # the token endpoint judges the client secret first, in its own words
        with FhirClient(
            server, token, retry=retry, allow_insecure=insecure, ca_bundle=ca_bundle
        ) as client:
            _verify(client)
    except FhirAuthError as error:  # the token endpoint refused the client secret
        raise CredentialError(tr("{error}; nothing was stored").format(error=error)) from error
    finally:
        if supplier is not None:
            supplier.close()
    store_credential(server, credential)
    kept = update_section(
        settings.config_file,
        "sync",
        {
            "server": normalise_server_url(server),
            "ca_bundle": ca_bundle,
            "allow_insecure_http": True if settings.allow_insecure_http else None,
        },
    )
    return LoginResult(
        server=normalise_server_url(server),
        kind=credential.kind,
        backend=f"{type(backend).__module__}.{type(backend).__name__}",
        config_file=str(settings.config_file),
        comments_kept=kept,
    )


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `login` command."""
    login_command = subcommand(
        commands,
        "login",
        parents=[common, server_options()],
        help=tr("check a token against the server and keep it in the OS keyring"),
        description=tr(
            "Read the secret from a no-echo prompt (or one line of standard input), check it "
            "against the server, keep it in the OS keyring and write the server to the "
            "settings file. The secret is never taken from the command line."
        ),
    )
    login_command.add_argument(
        "--client-id",
        metavar="ID",
        help=tr(
            "log in with OAuth2 client credentials (the prompt then asks for the client secret)"
        ),
    )


def run(args: argparse.Namespace) -> int:
    """Log in, then say where the secret and the server were kept."""
    from clinic_tui.commands.connection import checked_ca_bundle, require_server

    settings = server_settings(args)
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
