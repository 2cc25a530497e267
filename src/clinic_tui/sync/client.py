"""An httpx client for a FHIR R4 REST server: retries, timeouts, and typed errors.

Every failure becomes a FhirError subclass carrying the server's OperationOutcome
text, so the sync engine can quarantine one page or resource and go on, and the
CLI can print one line. Answers that are not FHIR JSON (a proxy's HTML page,
invalid JSON, a wrong shape, an oversized body) are errors too, never crashes.
"""

from __future__ import annotations

import email.utils
import importlib.util
import ipaddress
import json
import random
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from clinic_tui.domain.untrusted import clean_json
from clinic_tui.i18n import tr
from clinic_tui.sync.errors import (
    FhirAuthError,
    FhirConflictError,
    FhirError,
    FhirGoneError,
    FhirNotFoundError,
    FhirRequestError,
    FhirResponseError,
    FhirServerError,
    FhirUnreachable,
    InsecureServerError,
)
from clinic_tui.sync.inbound import loads_bounded
from clinic_tui.sync.transaction_answer import outcome_text

Resource = dict[str, Any]
TokenSupplier = Callable[[], str | None]
Params = Mapping[str, str] | Sequence[tuple[str, str]]
"""Query parameters: a mapping, or (name, value) pairs when a name repeats."""

FHIR_JSON = "application/fhir+json"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_SNIPPET = 200


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry connection errors, 5xx and 429."""

    attempts: int = 5
    """Tries in all, the first included."""
    base_delay: float = 0.5
    """Seconds before the first retry; doubles each time, with full jitter."""
    max_delay: float = 30.0
    """Ceiling of one backoff wait."""
    max_retry_after: float = 120.0
    """A server's Retry-After beyond this is cut to it, so one sync never hangs for hours."""

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1-based), jittered to spread clients."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return random.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True)
class BundlePage:
    """One page of a searchset or history Bundle, checked for shape."""

    entries: list[dict[str, Any]]
    """Entries that are JSON objects; what each holds is checked by the caller."""
    next_url: str | None
    total: int | None
    server_time: str | None
    """Bundle.meta.lastUpdated, else the Date header: the server's clock at the answer."""
    problems: list[str] = field(default_factory=list)
    """Entries that were not JSON objects, described for the sync report."""
    body_bytes: int = 0
    """Size of the (decoded) response body: no entry can be larger."""
    bundle_type: str | None = None
    """Bundle.type as the server wrote it ('searchset', 'history', ...); None when absent."""


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_server_url(base_url: str, *, allow_insecure: bool = False) -> str:
    """The normalised base URL, or InsecureServerError for plain http to another machine."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InsecureServerError(f"not an http(s) server URL: {base_url!r}")
    if parts.scheme == "http" and not allow_insecure and not is_loopback(parts.hostname):
        raise InsecureServerError(
            f"refusing plain http:// to {parts.hostname}: use https://, "
            "or allow insecure connections explicitly"
        )
    return base_url.strip().rstrip("/")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _outcome_text(body: Any) -> str | None:
    # One reading of an OperationOutcome for the whole sync (element names included).
    return outcome_text(body)


def _snippet(content: bytes) -> str:
    text = content[:_SNIPPET].decode("utf-8", errors="replace")
    return " ".join(text.split())


def _looks_like_html(response: httpx.Response, content: bytes) -> bool:
    content_type = response.headers.get("content-type", "").lower()
    return "html" in content_type or content.lstrip()[:1] == b"<"


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or HTTP-date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


_DNS_FAILURES = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "getaddrinfo failed",
)


def transport_problem(error: httpx.TransportError, timeout: httpx.Timeout) -> str:
    """What went wrong on the wire, in a person's words (no exception names, no errno)."""
    text = str(error).lower()
    host = error.request.url.host if _has_request(error) else ""
    if isinstance(error, httpx.ConnectTimeout):
        return tr("no answer within {seconds:g} s (server down or link too slow?)").format(
            seconds=timeout.connect or 0
        )
    if isinstance(error, httpx.ReadTimeout):
        return tr("the server stopped answering (nothing for {seconds:g} s)").format(
            seconds=timeout.read or 0
        )
    if isinstance(error, httpx.TimeoutException):
        return tr("the connection timed out")
    if "refused" in text:
        return tr("connection refused")
    if any(failure in text for failure in _DNS_FAILURES):
        return tr("the name {host} could not be looked up (DNS)").format(host=host)
    if "certificate" in text:
        return tr(
            "its TLS certificate is not trusted (a hospital's own certificate authority: "
            "--ca-bundle FILE)"
        )
    if "ssl" in text or "tls" in text:
        return tr("the secure (TLS) connection could not be set up")
    if "network is unreachable" in text:
        return tr("the network is unreachable (is this computer connected?)")
    if "no route to host" in text:
        return tr("no route to the server (the network path is down)")
    if "without sending" in text:
        return tr("the server closed the connection without answering")
    if "reset" in text:
        return tr("the connection was reset")
    return tr("the connection broke")


def _has_request(error: httpx.TransportError) -> bool:
    try:
        error.request  # noqa: B018  (httpx raises when the error was made without a request)
    except RuntimeError:
        return False
    return True


def _h2_available() -> bool:
    # HTTP/2 when h2 is installed (httpx[http2] is a dependency; a trimmed install may lack it).
    return importlib.util.find_spec("h2") is not None


class FhirClient:
    """A FHIR R4 REST client with bearer auth, bounded retries and typed errors."""

    def __init__(
        self,
        base_url: str,
        token: TokenSupplier | None = None,
        *,
        allow_insecure: bool = False,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        max_body_bytes: int = 64 * 1024 * 1024,
        ca_bundle: str | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = check_server_url(base_url, allow_insecure=allow_insecure)
        self._token = token
        self.retry = retry or RetryPolicy()
        self.max_body_bytes = max_body_bytes
        self._sleep = sleep
        self._answered = False
        """True once the server has sent the head of any answer over this client."""
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._http = httpx.Client(
            # TLS is always verified; a private CA may be named, never switched off.
            verify=ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True,
            timeout=timeout,
            http2=transport is None and _h2_available(),
            transport=transport,
            headers={"Accept": FHIR_JSON, "Accept-Encoding": "gzip"},
            limits=httpx.Limits(max_keepalive_connections=4, keepalive_expiry=60.0),
            follow_redirects=False,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> FhirClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---- URLs -------------------------------------------------------------

    def url(self, path_or_url: str) -> str:
        """An absolute URL on this server; refuses another origin (it would receive our token)."""
        if "://" not in path_or_url:
            return f"{self.base_url}/{path_or_url.lstrip('/')}"
        if _origin(path_or_url) != _origin(self.base_url):
            raise FhirResponseError(f"the server sent a link to another server: {path_or_url}")
        return path_or_url

    # ---- the one request path --------------------------------------------

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Params | None = None,
        body: Resource | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """Send one request with retries; returns the response and its (size-checked) body."""
        url = self.url(path_or_url)
        sent_headers = dict(headers or {})
        content = None
        if body is not None:
            # Compact: on a thin link every byte of an upload bundle is paid for.
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            sent_headers["Content-Type"] = f"{FHIR_JSON}; charset=utf-8"
        try:
            return self._with_retries(method, url, params, content, sent_headers)
        except FhirAuthError as error:
            # A revoked or expired OAuth token: forget it, fetch a new one, try once more.
            # A 401 means the server did not act on the request, so resending is safe.
            invalidate = getattr(self._token, "invalidate", None)
            if error.status != 401 or not callable(invalidate):
                raise
            invalidate()
        return self._with_retries(method, url, params, content, sent_headers)

    def _with_retries(
        self,
        method: str,
        url: str,
        params: Params | None,
        content: bytes | None,
        sent_headers: dict[str, str],
    ) -> tuple[httpx.Response, bytes]:
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            token = self._token() if self._token else None
            if token:
                sent_headers["Authorization"] = f"Bearer {token}"
            try:
                response, data = self._send(method, url, params, content, sent_headers)
            except httpx.TransportError as error:
                connecting = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
                # A POST that may have reached the server is not resent (it could apply twice).
                safe = method != "POST" or connecting
                # A server that has never answered this client and now refuses the connection
                # (or has no such name, or an untrusted certificate) will not change its mind
                # during a backoff: say so at once. Once it has answered, a failed connection is
                # more likely a restart or a blip of the link, and is retried like a reset.
                first_contact = connecting and not self._answered
                if last or not safe or first_contact:
                    raise self._unreachable(error, attempt) from error
                self._sleep(self.retry.backoff(attempt))
                continue
            if response.status_code in RETRY_STATUSES and not last:
                wait = retry_after_seconds(response.headers.get("retry-after"))
                if wait is None:
                    wait = self.retry.backoff(attempt)
                self._sleep(min(wait, self.retry.max_retry_after))
                continue
            if response.status_code >= 400:
                raise self._status_error(method, url, response, data)
            return response, data
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send(
        self,
        method: str,
        url: str,
        params: Params | None,
        content: bytes | None,
        headers: dict[str, str],
    ) -> tuple[httpx.Response, bytes]:
        # No params at all for a next link: an empty QueryParams would wipe the link's query.
        query = None
        if params is not None:
            query = httpx.QueryParams(params if isinstance(params, Mapping) else list(params))
        with self._http.stream(
            method, url, params=query, content=content, headers=headers
        ) as response:
            self._answered = True
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                raise self._too_large(url)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise self._too_large(url)
                chunks.append(chunk)
        return response, b"".join(chunks)

    def _unreachable(self, error: httpx.TransportError, attempts: int) -> FhirUnreachable:
        reason = transport_problem(error, self._http.timeout)
        tried = tr(" (tried {attempts} times)").format(attempts=attempts) if attempts > 1 else ""
        return FhirUnreachable(
            tr("cannot reach the server at {server}: {reason}").format(
                server=self.base_url, reason=reason
            )
            + tried
        )

    def _too_large(self, url: str) -> FhirResponseError:
        limit = self.max_body_bytes // (1024 * 1024)
        return FhirResponseError(f"the answer from {url} is larger than {limit} MiB; not read")

    def _status_error(
        self, method: str, url: str, response: httpx.Response, data: bytes
    ) -> FhirError:
        status = response.status_code
        outcome = None
        if data and not _looks_like_html(response, data):
            try:
                outcome = _outcome_text(loads_bounded(data))
            except ValueError:
                outcome = None
        if outcome is None and data:
            outcome = _snippet(data) if not _looks_like_html(response, data) else None
        where = f"{method} {urlsplit(url).path}"
        kinds: dict[int, type[FhirError]] = {
            401: FhirAuthError,
            403: FhirAuthError,
            404: FhirNotFoundError,
            410: FhirGoneError,
            412: FhirConflictError,
        }
        if status == 401:
            # Servers word a refused token in their own ways ("Unsupported or invalid
            # Authorization scheme 'bearer'"): the message says what it means, in the
            # language in force; theirs stays in `outcome` (FhirAuthError).
            return FhirAuthError(
                tr(
                    "the server refused this workstation's token ({where}: 401 not "
                    "authorised); sign in again with clinic-tui login"
                ).format(where=where),
                status=status,
                outcome=outcome,
            )
        if status == 403:
            return FhirAuthError(
                tr("the server refused this account permission ({where}: 403 forbidden)").format(
                    where=where
                ),
                status=status,
                outcome=outcome,
            )
        if status in kinds:
            label = response.reason_phrase
            return kinds[status](f"{where}: {status} {label}", status=status, outcome=outcome)
        if status >= 500 or status == 429:
            return FhirServerError(
                f"{where}: server error {status} after {self.retry.attempts} attempts",
                status=status,
                outcome=outcome,
            )
        return FhirRequestError(f"{where}: rejected with {status}", status=status, outcome=outcome)

    # ---- JSON and Bundles --------------------------------------------------

    def _json_object(self, response: httpx.Response, data: bytes) -> dict[str, Any]:
        where = urlsplit(str(response.request.url)).path
        if _looks_like_html(response, data):
            raise FhirResponseError(
                f"{where}: the server answered with an HTML page, not FHIR JSON "
                f"(a proxy or login page?): {_snippet(data)}",
                status=response.status_code,
            )
        try:
            # Bounded: a body nested 50,000 deep parses with its deep parts cut, and the
            # resources holding them are refused one by one (sync/inbound.py).
            body = loads_bounded(data)
        except ValueError as error:
            raise FhirResponseError(
                f"{where}: the answer is not valid JSON ({error.__class__.__name__}): "
                f"{_snippet(data)}",
                status=response.status_code,
            ) from None
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise FhirResponseError(
                f"{where}: the answer is not a FHIR resource", status=response.status_code
            )
        return body

    def get_json(self, path_or_url: str, params: Params | None = None) -> Resource:
        """GET a FHIR resource (any JSON object with a resourceType)."""
        return self._json_object(*self.request("GET", path_or_url, params=params))

    def read(self, resource_type: str, resource_id: str) -> Resource:
        """Read one resource; FhirNotFoundError or FhirGoneError when it is not there.

        Its text is cleaned (domain/untrusted.py): a read feeds the merge and the conflicts
        screen, which keep what the server said.
        """
        found: Resource = clean_json(self.get_json(f"{resource_type}/{resource_id}"))
        return found

    def capabilities(self) -> Resource:
        """The server's CapabilityStatement (answers without credentials on most servers)."""
        return self.get_json("metadata")

    def put(self, resource: Resource, *, if_match: str | None = None) -> Resource:
        """Create or update with the resource's own id; If-Match W/"version" when given."""
        headers = {"If-Match": f'W/"{if_match}"'} if if_match is not None else {}
        path = f"{resource['resourceType']}/{resource['id']}"
        response, data = self.request("PUT", path, body=resource, headers=headers)
        answer: Resource = clean_json(self._json_object(response, data))  # may be cached as is
        return answer

    def delete(self, resource_type: str, resource_id: str) -> None:
        """Delete one resource."""
        self.request("DELETE", f"{resource_type}/{resource_id}")

    def bundle_page(self, path_or_url: str, params: Params | None = None) -> BundlePage:
        """GET a Bundle page and check its shape (search, history or a next link)."""
        response, data = self.request("GET", path_or_url, params=params)
        body = self._json_object(response, data)
        where = urlsplit(str(response.request.url)).path
        if body["resourceType"] != "Bundle":
            raise FhirResponseError(f"{where}: expected a Bundle, got {body['resourceType']}")
        raw_entries = body.get("entry", [])
        raw_links = body.get("link", [])
        if not isinstance(raw_entries, list) or not isinstance(raw_links, list):
            raise FhirResponseError(f"{where}: Bundle.entry and Bundle.link must be lists")
        entries = [entry for entry in raw_entries if isinstance(entry, dict)]
        # Described by content, not position: the same junk met again is reported once.
        problems = [
            f"{where}: an entry is not a JSON object: {json.dumps(entry)[:_SNIPPET]}"
            for entry in raw_entries
            if not isinstance(entry, dict)
        ]
        next_url = None
        for link in raw_links:
            if isinstance(link, dict) and link.get("relation") == "next":
                if not isinstance(link.get("url"), str):
                    raise FhirResponseError(f"{where}: Bundle next link without a URL")
                next_url = self.url(urljoin(self.base_url + "/", link["url"]))
        total = body.get("total")
        bundle_type = body.get("type")
        meta = body.get("meta")
        server_time = meta.get("lastUpdated") if isinstance(meta, dict) else None
        if not isinstance(server_time, str):
            server_time = _http_date_as_instant(response.headers.get("date"))
        return BundlePage(
            entries=entries,
            next_url=next_url,
            total=total if isinstance(total, int) and not isinstance(total, bool) else None,
            server_time=server_time,
            problems=problems,
            body_bytes=len(data),
            bundle_type=bundle_type if isinstance(bundle_type, str) else None,
        )


def _http_date_as_instant(value: str | None) -> str | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    # Milliseconds always, as FHIR servers write instants: a server that compares `_since`
    # as text would put "...:17Z" after "...:17.500Z" and skip that second's changes.
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
