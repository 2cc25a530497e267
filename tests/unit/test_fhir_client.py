"""FHIR client failure shapes a real server cannot be made to produce (httpx.MockTransport).

Everything a real server does (auth errors, 404/410/412, validation outcomes, paging) is
tested against sekmet-fhir in tests/integration.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from clinic_tui import i18n
from clinic_tui.sync.client import (
    FhirClient,
    RetryPolicy,
    check_server_url,
    retry_after_seconds,
)
from clinic_tui.sync.errors import (
    FhirAuthError,
    FhirResponseError,
    FhirServerError,
    FhirUnreachable,
    InsecureServerError,
)

BASE = "https://fhir.example.org/fhir"
Handler = Callable[[httpx.Request], httpx.Response]

BUNDLE = {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}
HTML = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>nginx</body></html>"


def _json(body: object, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/fhir+json", **headers},
    )


def _scripted(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering each request with the next response (or raising the next error)."""
    queue: Iterator[httpx.Response | Exception] = iter(responses)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = next(queue)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


class Sleeps(list[float]):
    """Records the waits the client asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _client(handler: Handler, sleeps: Sleeps, **options: object) -> FhirClient:
    return FhirClient(
        BASE,
        lambda: "tok-123",
        transport=httpx.MockTransport(handler),
        sleep=sleeps,
        retry=RetryPolicy(attempts=3, base_delay=1.0, max_delay=8.0, max_retry_after=60.0),
        **options,  # type: ignore[arg-type]
    )


def test_an_html_page_from_a_proxy_is_a_clear_error() -> None:
    handler, _ = _scripted(httpx.Response(200, content=HTML, headers={"content-type": "text/html"}))
    with pytest.raises(FhirResponseError, match="HTML page"):
        _client(handler, Sleeps()).bundle_page("Patient")


def test_an_html_error_page_is_retried_then_reported_without_the_markup() -> None:
    page = httpx.Response(502, content=HTML, headers={"content-type": "text/html"})
    handler, seen = _scripted(page, page, page)
    sleeps = Sleeps()
    with pytest.raises(FhirServerError) as raised:
        _client(handler, sleeps).bundle_page("Patient")
    assert raised.value.status == 502
    assert raised.value.outcome is None
    assert "<html>" not in str(raised.value)
    assert len(seen) == 3
    assert len(sleeps) == 2


def test_429_waits_as_long_as_retry_after_says() -> None:
    handler, seen = _scripted(
        _json({"resourceType": "OperationOutcome"}, 429, **{"retry-after": "7"}), _json(BUNDLE)
    )
    sleeps = Sleeps()
    page = _client(handler, sleeps).bundle_page("Patient")
    assert page.entries == []
    assert sleeps == [7.0]
    assert len(seen) == 2


def test_a_huge_retry_after_is_capped() -> None:
    handler, _ = _scripted(_json({}, 429, **{"retry-after": "86400"}), _json(BUNDLE))
    sleeps = Sleeps()
    _client(handler, sleeps).bundle_page("Patient")
    assert sleeps == [60.0]


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Sun, 01 Mar 2026 08:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("soon", now=now) is None


def test_503_then_ok_backs_off_once_with_jitter() -> None:
    handler, seen = _scripted(_json({}, 503), _json(BUNDLE))
    sleeps = Sleeps()
    _client(handler, sleeps).bundle_page("Patient")
    assert len(seen) == 2
    assert len(sleeps) == 1
    assert 0.5 <= sleeps[0] <= 1.0


def test_5xx_every_time_gives_up_after_the_bounded_attempts_with_the_outcome() -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "fatal", "code": "exception", "diagnostics": "database is locked"}],
    }
    handler, seen = _scripted(*[_json(outcome, 500)] * 3)
    sleeps = Sleeps()
    with pytest.raises(FhirServerError) as raised:
        _client(handler, sleeps).read("Patient", "p-1")
    assert raised.value.outcome == "database is locked"
    assert len(seen) == 3
    assert sleeps[1] > sleeps[0] / 2  # the ceiling doubles: 1 s then 2 s, each jittered


def test_a_connection_reset_is_retried() -> None:
    handler, seen = _scripted(httpx.ReadError("Connection reset by peer"), _json(BUNDLE))
    _client(handler, Sleeps()).bundle_page("Patient")
    assert len(seen) == 2


def test_a_link_that_stays_down_is_unreachable() -> None:
    handler, _ = _scripted(*[httpx.ConnectError("Connection refused")] * 3)
    with pytest.raises(FhirUnreachable, match="cannot reach"):
        _client(handler, Sleeps()).bundle_page("Patient")


def test_a_refused_first_connection_is_reported_at_once_in_words() -> None:
    handler, seen = _scripted(*[httpx.ConnectError("[Errno 111] Connection refused")] * 3)
    sleeps = Sleeps()
    with pytest.raises(FhirUnreachable) as raised:
        _client(handler, sleeps).bundle_page("Patient")
    assert str(raised.value) == f"cannot reach the server at {BASE}: connection refused"
    assert len(seen) == 1
    assert sleeps == []


def test_a_refused_connection_after_the_server_answered_is_retried() -> None:
    # Mid-sync the server may restart: by then it has answered, so backing off is worth it.
    handler, seen = _scripted(
        _json(BUNDLE), httpx.ConnectError("[Errno 111] Connection refused"), _json(BUNDLE)
    )
    sleeps = Sleeps()
    client = _client(handler, sleeps)
    client.bundle_page("Patient")
    client.bundle_page("Patient")
    assert len(seen) == 3
    assert len(sleeps) == 1


def test_a_link_cut_mid_transfer_says_how_often_it_was_tried() -> None:
    handler, _ = _scripted(*[httpx.ReadError("[Errno 104] Connection reset by peer")] * 3)
    with pytest.raises(FhirUnreachable) as raised:
        _client(handler, Sleeps()).bundle_page("Patient")
    assert str(raised.value) == (
        f"cannot reach the server at {BASE}: the connection was reset (tried 3 times)"
    )


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (httpx.ConnectError("[Errno -2] Name or service not known"), "the name"),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            "--ca-bundle",
        ),
        (httpx.ConnectTimeout("timed out"), "no answer within 10 s"),
        (httpx.ConnectError("[Errno 101] Network is unreachable"), "network is unreachable"),
    ],
)
def test_a_failed_connection_is_told_in_words(error: httpx.TransportError, words: str) -> None:
    handler, _ = _scripted(error)
    with pytest.raises(FhirUnreachable) as raised:
        FhirClient(BASE, transport=httpx.MockTransport(handler)).bundle_page("Patient")
    message = str(raised.value)
    assert words in message
    assert "Errno" not in message
    assert "Error" not in message


def test_a_refused_connection_is_told_in_chinese() -> None:
    i18n.set_language("zh")
    handler, _ = _scripted(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(FhirUnreachable) as raised:
        _client(handler, Sleeps()).bundle_page("Patient")
    assert str(raised.value) == f"无法连接服务器 {BASE}：连接被拒绝"


def test_a_post_that_may_have_arrived_is_not_sent_twice() -> None:
    handler, seen = _scripted(httpx.ReadError("Connection reset by peer"), _json(BUNDLE))
    with pytest.raises(FhirUnreachable):
        _client(handler, Sleeps()).request("POST", "", body={"resourceType": "Bundle"})
    assert len(seen) == 1


def test_invalid_json_is_a_clear_error() -> None:
    handler, _ = _scripted(
        httpx.Response(200, content=b'{"resourceType": "Bundle", "entry": [', headers={})
    )
    with pytest.raises(FhirResponseError, match="not valid JSON"):
        _client(handler, Sleeps()).bundle_page("Patient")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2, 3], "not a FHIR resource"),
        ({"resourceType": "Patient", "id": "p"}, "expected a Bundle"),
        ({"resourceType": "Bundle", "entry": {"resource": {}}}, "must be lists"),
        ({"resourceType": "Bundle", "link": [{"relation": "next", "url": 5}]}, "next link"),
    ],
)
def test_a_bundle_of_the_wrong_shape_is_a_clear_error(body: object, message: str) -> None:
    handler, _ = _scripted(_json(body))
    with pytest.raises(FhirResponseError, match=message):
        _client(handler, Sleeps()).bundle_page("Patient")


def test_entries_that_are_not_objects_are_reported_and_the_rest_kept() -> None:
    good = {"resource": {"resourceType": "Patient", "id": "p-1"}}
    handler, _ = _scripted(_json({"resourceType": "Bundle", "entry": [good, "junk", 7]}))
    page = _client(handler, Sleeps()).bundle_page("Patient")
    assert page.entries == [good]
    assert len(page.problems) == 2


def test_a_body_over_the_limit_is_refused_unread() -> None:
    big = json.dumps({"resourceType": "Binary", "data": "x" * 5000}).encode()

    def streamed(_request: httpx.Request) -> httpx.Response:
        # No content-length: the limit must hold while streaming too.
        return httpx.Response(200, content=iter([big[:2500], big[2500:]]))

    with pytest.raises(FhirResponseError, match="larger than"):
        _client(streamed, Sleeps(), max_body_bytes=4096).get_json("Binary/b")
    handler, _ = _scripted(httpx.Response(200, content=big))
    with pytest.raises(FhirResponseError, match="larger than"):
        _client(handler, Sleeps(), max_body_bytes=4096).get_json("Binary/b")


def test_sends_bearer_token_and_accepts_gzip() -> None:
    compressed = gzip.compress(json.dumps(BUNDLE).encode())
    handler, seen = _scripted(
        httpx.Response(200, content=compressed, headers={"content-encoding": "gzip"})
    )
    page = _client(handler, Sleeps()).bundle_page("Patient", {"_count": "10"})
    assert page.entries == []
    assert seen[0].headers["authorization"] == "Bearer tok-123"
    assert seen[0].headers["accept-encoding"] == "gzip"
    assert seen[0].url.params["_count"] == "10"


def test_401_is_an_auth_error_and_not_retried() -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [{"diagnostics": "token expired"}]}
    handler, seen = _scripted(_json(outcome, 401))
    with pytest.raises(FhirAuthError, match="refused this workstation's token") as raised:
        _client(handler, Sleeps()).bundle_page("Patient")
    assert len(seen) == 1
    # The server's words are kept for a details line, never in the message itself.
    assert "token expired" not in str(raised.value)
    assert raised.value.details == "token expired"


def test_a_refused_token_message_is_ours_and_the_servers_words_are_cleaned_details() -> None:
    # What a server may say is its own: here with an escape sequence and a second line.
    words = "Unsupported or invalid Authorization scheme 'bearer'\x1b[31m\nsecond line"
    outcome = {"resourceType": "OperationOutcome", "issue": [{"diagnostics": words}]}
    handler, _ = _scripted(_json(outcome, 401))
    with pytest.raises(FhirAuthError) as raised:
        _client(handler, Sleeps()).bundle_page("Patient")
    assert str(raised.value) == (
        "the server refused this workstation's token (GET /fhir/Patient: 401 not authorised); "
        "sign in again with clinic-tui login"
    )
    assert "\x1b" not in raised.value.details
    assert "\n" not in raised.value.details
    assert raised.value.details.startswith("Unsupported or invalid Authorization scheme")


def test_a_refused_token_is_said_in_chinese() -> None:
    from clinic_tui.i18n import set_language

    set_language("zh")
    handler, _ = _scripted(_json({"resourceType": "OperationOutcome", "issue": []}, 401))
    with pytest.raises(FhirAuthError) as raised:
        _client(handler, Sleeps()).bundle_page("Patient")
    assert str(raised.value).startswith(
        "服务器拒绝了本工作站的令牌（GET /fhir/Patient：401 未授权）"
    )


def test_a_next_link_to_another_server_is_refused() -> None:
    evil = {
        "resourceType": "Bundle",
        "link": [{"relation": "next", "url": "https://evil.example/x"}],
    }
    handler, _ = _scripted(_json(evil))
    with pytest.raises(FhirResponseError, match="another server"):
        _client(handler, Sleeps()).bundle_page("Patient")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/fhir", "http://localhost/fhir", "http://[::1]:9/fhir", BASE]
)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert check_server_url(url) == url


@pytest.mark.parametrize("url", ["http://hospital.example/fhir", "http://10.1.2.3/fhir", "ftp://x"])
def test_plain_http_to_another_machine_is_refused(url: str) -> None:
    with pytest.raises(InsecureServerError):
        FhirClient(url)


def test_plain_http_elsewhere_only_when_allowed_explicitly() -> None:
    url = "http://hospital.example/fhir"
    assert check_server_url(url, allow_insecure=True) == url
