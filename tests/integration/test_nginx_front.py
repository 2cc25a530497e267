"""nginx in front of the real FHIR server (tests/netlab/nginx_front.py): gzip on, links rewritten.

Skipped where nginx is not installed: the benchmark installs it (`make bench-sync`), the
default test run does not install system packages.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from clinic_tui.sync.client import FhirClient
from tests.integration.conftest import FhirServer
from tests.netlab.nginx_front import NginxFront, gzip_check, nginx_binary

pytestmark = pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed")


@pytest.fixture
def front(fhir_server: FhirServer) -> Iterator[NginxFront]:
    """nginx with gzip before the test server; the server's links rewritten to nginx's URL."""
    port = urlsplit(fhir_server.base_url).port
    assert port is not None
    nginx = NginxFront(port, upstream_base=fhir_server.base_url)
    nginx.public_base = f"{nginx.url}/fhir"
    with nginx:
        yield nginx


def test_fhir_json_comes_back_gzipped(front: NginxFront, fhir_server: FhirServer) -> None:
    encoding, wire, size = gzip_check(f"{front.url}/fhir/metadata", fhir_server.token)

    assert encoding == "gzip"
    assert wire * 3 < size  # FHIR JSON compresses well; a 3x bound cannot flake


def test_a_client_pages_through_nginx_with_links_on_nginx(
    front: NginxFront, fhir_server: FhirServer, fhir_client: FhirClient
) -> None:
    tag = uuid.uuid4().hex[:8]
    ids = {f"ngx-{tag}-{n}" for n in range(7)}
    for ident in ids:
        fhir_client.put({"resourceType": "Practitioner", "id": ident, "active": True})

    seen: set[str] = set()
    with FhirClient(f"{front.url}/fhir", lambda: fhir_server.token) as client:
        url: str | None = "Practitioner"
        params: dict[str, str] | None = {"_count": "3"}
        for _ in range(1000):  # bounded: the server holds far fewer pages
            if url is None:
                break
            page = client.bundle_page(url, params)
            if page.next_url is not None:
                assert page.next_url.startswith(f"{front.url}/fhir/")
            seen.update(entry["resource"]["id"] for entry in page.entries)
            url, params = page.next_url, None

    assert ids <= seen
