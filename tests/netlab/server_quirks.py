"""A real FHIR server, made to answer as other conformant FHIR R4 servers do.

sekmet numbers versions 1, 2, 3 and runs a `transaction` as one atomic unit; other
servers are as conformant and answer differently. `QuirksTransport` sits between the
client and the real server (every request still reaches it and every answer is its
own) and changes only what the FHIR R4 specification leaves to the server:

- `opaque_versions`: versionIds become opaque strings (as Medplum's UUIDs), in every
  answer (meta.versionId, ETag, Location, Bundle entry etag), and are mapped back in
  requests (If-Match, Bundle entry ifMatch, vread URLs). Their order says nothing.
- `batch_transactions`: a `transaction` is run entry by entry (sent to the server as a
  `batch`) and answered HTTP 200 with a `transaction-response` whose entries carry their
  own status, as a server does when its transaction support is off.
- `transaction_cap`: a transaction with more entries than this is refused with 400 and
  an OperationOutcome, before it reaches the server (Medplum refuses more than 50
  update operations with "Transaction contains more update operations than allowed").
- `no_system_history`: `GET [base]/_history` answers an empty `searchset` Bundle, as a
  server without system-level history may.
- `no_type_history`: `GET [base]/[type]/_history` answers 404 with an OperationOutcome.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx

Resource = dict[str, Any]

_NAMESPACE = uuid.UUID("6f1c9a52-0d5e-4f43-9a59-0c8f6e2d7b11")
MEDPLUM_CAP_MESSAGE = "Transaction contains more update operations than allowed"
_HISTORY_IN_PATH = re.compile(r"/(?P<type>[A-Z][A-Za-z]+)/(?P<id>[^/]+)/_history/(?P<v>[^/?#]+)")


def _outcome(status: int, code: str, text: str, request: httpx.Request) -> httpx.Response:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/fhir+json"},
        request=request,
    )


class QuirksTransport(httpx.BaseTransport):
    """The real transport to a real server, with the answers of another conformant server."""

    def __init__(
        self,
        *,
        opaque_versions: bool = False,
        batch_transactions: bool = False,
        transaction_cap: int | None = None,
        no_system_history: bool = False,
        no_type_history: bool = False,
    ) -> None:
        self.inner = httpx.HTTPTransport()
        self.opaque_versions = opaque_versions
        self.batch_transactions = batch_transactions
        self.transaction_cap = transaction_cap
        self.no_system_history = no_system_history
        self.no_type_history = no_type_history
        self._real: dict[str, str] = {}
        """opaque version -> the server's own version."""
        self.transaction_sizes: list[int] = []
        """Entries of every transaction the client sent (refused ones included)."""
        self.refused_transactions = 0

    # ---- versions ---------------------------------------------------------------

    def opaque(self, resource_type: str, ident: str, version: str) -> str:
        """The opaque version standing for the server's `version` of one resource."""
        token = str(uuid.uuid5(_NAMESPACE, f"{resource_type}/{ident}/{version}"))
        self._real[token] = version
        return token

    def real(self, version: str) -> str:
        """The server's own version behind an opaque one (unknown ones pass unchanged)."""
        return self._real.get(version, version)

    def _real_etag(self, etag: str) -> str:
        bare = etag.removeprefix("W/").strip('"')
        return f'W/"{self.real(bare)}"'

    def _opaque_etag(self, etag: str, resource_type: str, ident: str) -> str:
        bare = etag.removeprefix("W/").strip('"')
        return f'W/"{self.opaque(resource_type, ident, bare)}"'

    def _opaque_location(self, location: str) -> str:
        def swap(found: re.Match[str]) -> str:
            token = self.opaque(found["type"], found["id"], found["v"])
            return f"/{found['type']}/{found['id']}/_history/{token}"

        return _HISTORY_IN_PATH.sub(swap, location)

    def _real_location(self, location: str) -> str:
        def swap(found: re.Match[str]) -> str:
            return f"/{found['type']}/{found['id']}/_history/{self.real(found['v'])}"

        return _HISTORY_IN_PATH.sub(swap, location)

    def _opaque_json(self, value: Any) -> None:
        """Every versionId and entry etag in an answer made opaque, in place."""
        if isinstance(value, list):
            for item in value:
                self._opaque_json(item)
            return
        if not isinstance(value, dict):
            return
        kind, ident, meta = value.get("resourceType"), value.get("id"), value.get("meta")
        if isinstance(kind, str) and isinstance(ident, str) and isinstance(meta, dict):
            version = meta.get("versionId")
            if isinstance(version, str) and kind not in ("Bundle", "OperationOutcome"):
                meta["versionId"] = self.opaque(kind, ident, version)
        response = value.get("response")
        if isinstance(response, dict):
            self._opaque_entry_response(value, response)
        for key, item in value.items():
            if key != "meta":
                self._opaque_json(item)

    def _opaque_entry_response(self, entry: dict[str, Any], response: Any) -> None:
        if not isinstance(response, dict):
            return
        location = response.get("location")
        found = _HISTORY_IN_PATH.search(location) if isinstance(location, str) else None
        target: tuple[str, str] | None = None
        if found is not None:
            target = (found["type"], found["id"])
            response["location"] = self._opaque_location(location)
        resource = entry.get("resource")
        if target is None and isinstance(resource, dict):
            kind, ident = resource.get("resourceType"), resource.get("id")
            if isinstance(kind, str) and isinstance(ident, str):
                target = (kind, ident)
        if target is None:
            request = entry.get("request")
            url = request.get("url") if isinstance(request, dict) else None
            if isinstance(url, str):
                parts = url.split("?", 1)[0].strip("/").split("/")
                if len(parts) >= 2:
                    target = (parts[-2], parts[-1])
        etag = response.get("etag")
        if isinstance(etag, str) and target is not None:
            response["etag"] = self._opaque_etag(etag, *target)

    # ---- the exchange -----------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` to the real server, changed and answered as configured."""
        path = request.url.path
        tail = path.rstrip("/").rsplit("/", 1)[-1]
        if request.method == "GET" and tail == "_history":
            segments = [s for s in path.split("/") if s]
            before = segments[-2] if len(segments) >= 2 else ""
            instance = len(segments) >= 3 and segments[-3][:1].isupper()
            type_level = before[:1].isupper() and not instance
            if not type_level and not instance and self.no_system_history:
                empty = {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}
                return httpx.Response(200, json=empty, request=request)
            if type_level and self.no_type_history:
                return _outcome(404, "not-supported", "history is not supported", request)
        body = self._request_json(request)
        is_bundle_post = (
            request.method == "POST"
            and isinstance(body, dict)
            and body.get("resourceType") == "Bundle"
            and body.get("type") == "transaction"
        )
        if is_bundle_post and isinstance(body, dict):
            entries = body.get("entry") or []
            self.transaction_sizes.append(len(entries))
            if self.transaction_cap is not None and len(entries) > self.transaction_cap:
                self.refused_transactions += 1
                return _outcome(400, "invalid", MEDPLUM_CAP_MESSAGE, request)
            if self.batch_transactions:
                body["type"] = "batch"
        request = self._rewrite_request(request, body)
        response = self.inner.handle_request(request)
        return self._rewrite_response(request, response, is_bundle_post)

    @staticmethod
    def _request_json(request: httpx.Request) -> Any:
        content = request.read()
        if not content:
            return None
        try:
            return json.loads(content)
        except ValueError:
            return None

    def _rewrite_request(self, request: httpx.Request, body: Any) -> httpx.Request:
        if not self.opaque_versions and not self.batch_transactions:
            return request
        headers = dict(request.headers)
        if self.opaque_versions:
            if "if-match" in headers:
                headers["if-match"] = self._real_etag(headers["if-match"])
            if isinstance(body, dict) and body.get("resourceType") == "Bundle":
                for entry in body.get("entry") or []:
                    req = entry.get("request") if isinstance(entry, dict) else None
                    if isinstance(req, dict) and isinstance(req.get("ifMatch"), str):
                        req["ifMatch"] = self._real_etag(req["ifMatch"])
        url = request.url
        if self.opaque_versions and "/_history/" in url.path:
            url = url.copy_with(path=self._real_location(url.path))
        content = request.content
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode()
            headers.pop("content-length", None)
        return httpx.Request(request.method, url, headers=headers, content=content)

    def _rewrite_response(
        self, request: httpx.Request, response: httpx.Response, was_transaction: bool
    ) -> httpx.Response:
        if not self.opaque_versions and not (self.batch_transactions and was_transaction):
            return response
        content = response.read()
        headers = dict(response.headers)
        for name in ("content-length", "content-encoding", "transfer-encoding"):
            headers.pop(name, None)
        segments = [s for s in request.url.path.split("/") if s]
        if self.opaque_versions:
            if "etag" in headers and len(segments) >= 2:
                headers["etag"] = self._opaque_etag(headers["etag"], segments[-2], segments[-1])
            if "location" in headers:
                headers["location"] = self._opaque_location(headers["location"])
        try:
            body = json.loads(content) if content else None
        except ValueError:
            body = None
        if body is not None:
            batch_answer = isinstance(body, dict) and body.get("type") == "batch-response"
            if self.batch_transactions and was_transaction and batch_answer:
                body["type"] = "transaction-response"
            if self.opaque_versions:
                self._opaque_json(body)
            content = json.dumps(body, ensure_ascii=False).encode()
        return httpx.Response(
            response.status_code, headers=headers, content=content, request=request
        )

    def close(self) -> None:
        """Close the real transport."""
        self.inner.close()
