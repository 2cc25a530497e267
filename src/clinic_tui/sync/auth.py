"""OAuth2 client credentials for FhirClient: find the token endpoint, fetch and cache tokens.

A server that offers OAuth2 advertises its token endpoint in
`.well-known/smart-configuration` or in its CapabilityStatement
(rest.security, the SMART oauth-uris extension). ClientCredentials is a
FhirClient token supplier: it asks the endpoint for an access token with the
client_credentials grant and keeps it in memory (never on disk) until shortly
before it expires.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from clinic_tui.i18n import tr
from clinic_tui.redaction import remember_secret
from clinic_tui.sync.client import FhirClient, check_server_url
from clinic_tui.sync.errors import FhirAuthError, FhirError, FhirResponseError, FhirUnreachable

OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
EXPIRY_MARGIN = 30.0
"""Seconds before expiry at which a cached token is renewed, so no request carries a stale one."""
DEFAULT_LIFETIME = 300.0
"""Assumed lifetime of a token whose answer gives no expires_in."""


def _from_capabilities(statement: dict[str, Any]) -> str | None:
    for rest in statement.get("rest") or []:
        security = rest.get("security") if isinstance(rest, dict) else None
        if not isinstance(security, dict):
            continue
        for extension in security.get("extension") or []:
            if not isinstance(extension, dict) or extension.get("url") != OAUTH_URIS:
                continue
            for inner in extension.get("extension") or []:
                if isinstance(inner, dict) and inner.get("url") == "token":
                    value = inner.get("valueUri") or inner.get("valueUrl")
                    if isinstance(value, str) and value:
                        return value
    return None


def discover_token_endpoint(client: FhirClient) -> str | None:
    """The OAuth2 token endpoint a server advertises, or None when it offers none."""
    try:
        _response, data = client.request("GET", ".well-known/smart-configuration")
        document = json.loads(data)
    except FhirUnreachable:
        raise
    except (
        FhirError,
        ValueError,
        RecursionError,
    ):  # no such document (or a locked one): try /metadata
        document = None
    if isinstance(document, dict) and isinstance(document.get("token_endpoint"), str):
        return str(document["token_endpoint"])
    try:
        return _from_capabilities(client.capabilities())
    except (FhirAuthError, FhirUnreachable):
        raise
    except FhirError:
        return None


class ClientCredentials:
    """A FhirClient token supplier using the OAuth2 client_credentials grant."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = "system/*.read system/*.write",
        allow_insecure: bool = False,
        ca_bundle: str | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = check_server_url(token_url, allow_insecure=allow_insecure)
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._http = httpx.Client(
            verify=ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True,
            timeout=httpx.Timeout(30.0, connect=10.0),
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def close(self) -> None:
        """Close the connection to the token endpoint."""
        self._http.close()

    def __call__(self) -> str:
        """A valid access token: the cached one, or a new one when it is about to expire."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - EXPIRY_MARGIN:
                self._token, lifetime = self._fetch()
                self._expires_at = self._clock() + lifetime
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token (after the server refused it), so the next call fetches one."""
        with self._lock:
            self._token = None

    def _fetch(self) -> tuple[str, float]:
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        try:
            response = self._http.post(
                self.token_url,
                data=form,
                auth=(self.client_id, self._secret),
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as error:
            raise FhirUnreachable(
                f"cannot reach the token endpoint {self.token_url} ({type(error).__name__})"
            ) from error
        if response.status_code in (400, 401, 403):
            # The endpoint's own error code ("invalid_client") is its text: a details line.
            raise FhirAuthError(
                tr("the token endpoint refused client {client} ({status})").format(
                    client=repr(self.client_id), status=response.status_code
                ),
                status=response.status_code,
                outcome=_oauth_error(response),
            )
        if response.status_code >= 300:
            raise FhirResponseError(
                f"the token endpoint answered {response.status_code}", status=response.status_code
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FhirResponseError("the token endpoint's answer has no access_token")
        remember_secret(token)  # blanked from every log and crash report from now on
        expires = body.get("expires_in") if isinstance(body, dict) else None
        lifetime = float(expires) if isinstance(expires, int | float) else DEFAULT_LIFETIME
        return token, max(lifetime, 0.0)


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return response.reason_phrase
