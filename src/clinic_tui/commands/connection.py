"""From settings to a FhirClient that carries the right credentials."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from clinic_tui.config import Settings
from clinic_tui.credentials import Credential, credential_for
from clinic_tui.errors import ConfigError
from clinic_tui.i18n import tr
from clinic_tui.sync.errors import InsecureServerError

if TYPE_CHECKING:
    from clinic_tui.sync.client import FhirClient, RetryPolicy, TokenSupplier


def checked_server(url: str, *, allow_insecure: bool) -> str:
    """check_server_url, with the flag that allows plain http named in the refusal."""
    # The client (httpx) is imported when used: building the command line's parser imports
    # this module, and every start of the workstation builds it.
    from clinic_tui.sync.client import check_server_url

    try:
        return check_server_url(url, allow_insecure=allow_insecure)
    except InsecureServerError as error:
        if "refusing plain http" not in str(error):
            raise
        raise InsecureServerError(
            f"{error} (--allow-insecure-http, or allow_insecure_http = true in [sync])"
        ) from error


def require_server(settings: Settings) -> str:
    """The server URL from --server, CLINIC_TUI_SERVER or the settings file; else ConfigError."""
    if not settings.server_url:
        raise ConfigError(
            tr(
                "no FHIR server given: use --server URL, set CLINIC_TUI_SERVER, or run "
                "`clinic-tui login --server URL` once"
            )
        )
    return checked_server(settings.server_url, allow_insecure=settings.allow_insecure_http)


def checked_ca_bundle(path: Path | str | None) -> str | None:
    """The CA bundle as a path string, or ConfigError when the file is not there."""
    if path is None:
        return None
    found = Path(path).expanduser()
    if not found.is_file():
        raise ConfigError(f"CA bundle {found} is not a readable file")
    return str(found.resolve())


def token_supplier(credential: Credential, settings: Settings) -> TokenSupplier:
    """A FhirClient token supplier for a credential (OAuth tokens are fetched when needed)."""
    if credential.kind == "bearer":
        secret = credential.secret
        return lambda: secret
    from clinic_tui.sync.auth import ClientCredentials

    if not credential.token_url or not credential.client_id:
        raise ConfigError("the stored client credentials lack a token endpoint; log in again")
    return ClientCredentials(
        credential.token_url,
        credential.client_id,
        credential.secret,
        allow_insecure=settings.allow_insecure_http,
        ca_bundle=checked_ca_bundle(settings.ca_bundle),
    )


def open_client(settings: Settings, *, retry: RetryPolicy | None = None) -> FhirClient:
    """A client of the configured server with the stored (or CLINIC_TUI_TOKEN) credentials."""
    from clinic_tui.sync.client import FhirClient

    server = require_server(settings)
    credential = credential_for(server)
    return FhirClient(
        server,
        token_supplier(credential, settings),
        allow_insecure=settings.allow_insecure_http,
        ca_bundle=checked_ca_bundle(settings.ca_bundle),
        retry=retry,
    )
