"""OAuth2 client credentials: discovery and token caching.

The test FHIR server (sekmet) offers bearer tokens only, so the OAuth token endpoint
and a server advertising it are played by httpx.MockTransport here.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import httpx
import pytest

from clinic_tui.sync.auth import OAUTH_URIS, ClientCredentials, discover_token_endpoint
from clinic_tui.sync.client import FhirClient, RetryPolicy
from clinic_tui.sync.errors import FhirAuthError, FhirUnreachable, InsecureServerError

BASE = "https://fhir.example/fhir"
TOKEN_URL = "https://auth.example/token"


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _token_endpoint(calls: list[httpx.Request], *, lifetime: int = 300) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        user, _, secret = (
            base64.b64decode(request.headers["authorization"].split()[1]).decode().partition(":")
        )
        form = parse_qs(request.content.decode())
        if (user, secret) != ("clinic-7", "right") or form["grant_type"] != ["client_credentials"]:
            return httpx.Response(401, json={"error": "invalid_client"})
        return httpx.Response(
            200,
            json={
                "access_token": f"access-{len(calls)}",
                "expires_in": lifetime,
                "token_type": "bearer",
            },
        )

    return httpx.MockTransport(answer)


def test_a_token_is_fetched_once_and_reused_until_it_nearly_expires() -> None:
    calls: list[httpx.Request] = []
    clock = Clock()
    supplier = ClientCredentials(
        TOKEN_URL, "clinic-7", "right", transport=_token_endpoint(calls), clock=clock
    )
    assert supplier() == "access-1"
    clock.now += 200
    assert supplier() == "access-1"
    assert len(calls) == 1
    clock.now += 80  # within 30 s of expiry: renewed
    assert supplier() == "access-2"
    assert calls[0].url == TOKEN_URL
    assert parse_qs(calls[0].content.decode())["scope"] == ["system/*.read system/*.write"]


def test_invalidate_forces_a_new_token() -> None:
    calls: list[httpx.Request] = []
    supplier = ClientCredentials(TOKEN_URL, "clinic-7", "right", transport=_token_endpoint(calls))
    supplier()
    supplier.invalidate()
    assert supplier() == "access-2"


def test_a_wrong_client_secret_is_an_auth_error() -> None:
    supplier = ClientCredentials(TOKEN_URL, "clinic-7", "wrong", transport=_token_endpoint([]))
    with pytest.raises(FhirAuthError, match=r"refused client 'clinic-7' \(401\)") as raised:
        supplier()
    # The endpoint's own error code is its text: a details line, not the message.
    assert raised.value.details == "invalid_client"
    assert "invalid_client" not in str(raised.value)


def test_an_unreachable_token_endpoint_is_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    supplier = ClientCredentials(TOKEN_URL, "c", "s", transport=httpx.MockTransport(refuse))
    with pytest.raises(FhirUnreachable):
        supplier()


def test_plain_http_token_endpoint_elsewhere_is_refused() -> None:
    with pytest.raises(InsecureServerError):
        ClientCredentials("http://auth.example/token", "c", "s")


def test_the_fhir_client_sends_the_fetched_token() -> None:
    seen: list[str] = []

    def fhir(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset"})

    supplier = ClientCredentials(TOKEN_URL, "clinic-7", "right", transport=_token_endpoint([]))
    client = FhirClient(BASE, supplier, transport=httpx.MockTransport(fhir))
    client.get_json("Patient")
    client.get_json("Patient")
    assert seen == ["Bearer access-1", "Bearer access-1"]


def _revoking_server(seen: list[str], refused: set[str]) -> httpx.MockTransport:
    """A FHIR server that answers 401 to the tokens in `refused` (revoked) and 200 otherwise."""

    def fhir(request: httpx.Request) -> httpx.Response:
        header = request.headers.get("authorization", "")
        seen.append(header)
        if header.removeprefix("Bearer ") in refused:
            return httpx.Response(
                401,
                json={
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "error", "code": "login", "diagnostics": "revoked"}],
                },
            )
        return httpx.Response(200, json={"resourceType": "Patient", "id": "p1"})

    return httpx.MockTransport(fhir)


def test_a_revoked_oauth_token_is_dropped_renewed_and_the_request_retried_once() -> None:
    seen: list[str] = []
    calls: list[httpx.Request] = []
    supplier = ClientCredentials(TOKEN_URL, "clinic-7", "right", transport=_token_endpoint(calls))
    client = FhirClient(BASE, supplier, transport=_revoking_server(seen, {"access-1"}))
    assert client.read("Patient", "p1")["id"] == "p1"
    assert seen == ["Bearer access-1", "Bearer access-2"]
    assert len(calls) == 2
    client.read("Patient", "p1")  # the renewed token is cached and reused
    assert seen[-1] == "Bearer access-2"
    assert len(calls) == 2


def test_a_second_401_after_renewal_is_an_auth_error() -> None:
    seen: list[str] = []
    calls: list[httpx.Request] = []
    supplier = ClientCredentials(TOKEN_URL, "clinic-7", "right", transport=_token_endpoint(calls))
    client = FhirClient(BASE, supplier, transport=_revoking_server(seen, {"access-1", "access-2"}))
    with pytest.raises(FhirAuthError) as raised:
        client.read("Patient", "p1")
    assert raised.value.status == 401
    assert seen == ["Bearer access-1", "Bearer access-2"]  # one retry, not a loop
    assert len(calls) == 2


def test_a_fixed_bearer_token_is_not_retried_on_401() -> None:
    seen: list[str] = []
    client = FhirClient(BASE, lambda: "static", transport=_revoking_server(seen, {"static"}))
    with pytest.raises(FhirAuthError):
        client.read("Patient", "p1")
    assert seen == ["Bearer static"]


def test_a_403_does_not_renew_the_token() -> None:
    calls: list[httpx.Request] = []
    supplier = ClientCredentials(TOKEN_URL, "clinic-7", "right", transport=_token_endpoint(calls))

    def forbidden(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"resourceType": "OperationOutcome", "issue": []})

    client = FhirClient(BASE, supplier, transport=httpx.MockTransport(forbidden))
    with pytest.raises(FhirAuthError):
        client.read("Patient", "p1")
    assert len(calls) == 1


def _server(routes: dict[str, httpx.Response]) -> FhirClient:
    def answer(request: httpx.Request) -> httpx.Response:
        for suffix, response in routes.items():
            if request.url.path.endswith(suffix):
                return response
        return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})

    return FhirClient(BASE, transport=httpx.MockTransport(answer), retry=RetryPolicy(attempts=1))


def test_discovery_reads_smart_configuration_first() -> None:
    client = _server(
        {
            "/.well-known/smart-configuration": httpx.Response(
                200, json={"token_endpoint": TOKEN_URL}
            )
        }
    )
    assert discover_token_endpoint(client) == TOKEN_URL


def test_discovery_falls_back_to_the_capability_statement() -> None:
    statement = {
        "resourceType": "CapabilityStatement",
        "rest": [
            {
                "mode": "server",
                "security": {
                    "extension": [
                        {
                            "url": OAUTH_URIS,
                            "extension": [
                                {"url": "authorize", "valueUri": "https://auth.example/authorize"},
                                {"url": "token", "valueUri": TOKEN_URL},
                            ],
                        }
                    ]
                },
            }
        ],
    }
    client = _server({"/metadata": httpx.Response(200, content=json.dumps(statement).encode())})
    assert discover_token_endpoint(client) == TOKEN_URL


def test_a_server_without_oauth_has_no_token_endpoint() -> None:
    client = _server(
        {"/metadata": httpx.Response(200, json={"resourceType": "CapabilityStatement", "rest": []})}
    )
    assert discover_token_endpoint(client) is None
