"""A real FHIR R4 server for the integration tests, started by the project's script.

One server per pytest process: under pytest-xdist every worker starts its own on a
free port of 127.0.0.1, with its own data folder and a random bearer token, and
stops it when the worker ends. The token travels in the environment, not argv.
The implementation is sekmet-fhir unless CLINIC_TUI_FHIR_SERVER or --fhir-server names
another (tests/netlab/fhir_server.py); a test marked `server_feature(name)` skips, with
the reason, on a server without that behaviour.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from clinic_tui.sync.client import FhirClient, RetryPolicy
from tests.netlab.fhir_server import (
    FEATURES,
    run_script,
    running_fhir_server,
    selected_server,
    server_home,
)
from tests.netlab.server_quirks import QuirksTransport

INTEGRATION_DIR = Path(__file__).resolve().parent


class FhirServer(NamedTuple):
    """A running test server: its FHIR base URL and the bearer token it accepts."""

    base_url: str
    token: str


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder `integration`; skip those the server cannot serve."""
    server = selected_server()
    for item in items:
        if INTEGRATION_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)
        for marker in item.iter_markers("server_feature"):
            feature = str(marker.args[0])
            if feature not in FEATURES:
                raise pytest.UsageError(f"{item.nodeid}: unknown server_feature {feature!r}")
            if feature not in server.features:
                reason = marker.kwargs.get("reason", FEATURES[feature])
                item.add_marker(pytest.mark.skip(reason=f"{server.name} lacks {feature}: {reason}"))


def _stop_orphans() -> None:
    """Stop servers left by test processes that died before their teardown ran."""
    for instance in (server_home() / "run").glob("pytest-*-*"):
        owner = instance.name.rsplit("-", 1)[-1]
        if owner.isdigit() and not _alive(int(owner)):
            run_script("stop", "--name", instance.name, "--clean")


def instance_name(prefix: str) -> str:
    """A server instance name for this test process; the owner pid last, for _stop_orphans."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{prefix}-{worker}-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirServer]:
    """Install (if needed) and start a FHIR server for this test process; stop it afterwards."""
    _stop_orphans()
    token = secrets.token_urlsafe(24)
    data_dir = tmp_path_factory.mktemp("fhir-server-data")
    with running_fhir_server(instance_name("pytest"), data_dir, token) as base_url:
        yield FhirServer(base_url, token)


@pytest.fixture
def fhir_client(fhir_server: FhirServer) -> Iterator[FhirClient]:
    """A client of the test server with the right token and quick retries."""
    client = FhirClient(
        fhir_server.base_url,
        lambda: fhir_server.token,
        retry=RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2),
    )
    yield client
    client.close()


@pytest.fixture(params=["as-is", "other-server"], ids=["sekmet", "other-server"])
def server_flavour(request: pytest.FixtureRequest) -> str:
    """How the real server answers: as it is, or as another conformant server would.

    'other-server': opaque versionIds (as Medplum's UUIDs) and transactions run entry
    by entry with a status per entry (tests/netlab/server_quirks.py).
    """
    return str(request.param)


def flavoured_transport(flavour: str) -> QuirksTransport | None:
    """The transport that makes the real server answer in `flavour` (None: as it is)."""
    if flavour == "as-is":
        return None
    return QuirksTransport(opaque_versions=True, batch_transactions=True)


@pytest.fixture
def conformant_client(server_flavour: str, fhir_server: FhirServer) -> Iterator[FhirClient]:
    """A client of the test server in each flavour; a module opts in by using it."""
    client = FhirClient(
        fhir_server.base_url,
        lambda: fhir_server.token,
        retry=RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2),
        transport=flavoured_transport(server_flavour),
    )
    yield client
    client.close()
