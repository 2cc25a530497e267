"""tests/netlab/fhir_server.py: which FHIR server the integration tests run against."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.netlab.fhir_server import (
    FEATURES,
    SERVER_VARIABLE,
    SERVERS,
    FhirServerError,
    selected_server,
    server_home,
)


def test_sekmet_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SERVER_VARIABLE, raising=False)
    assert selected_server().name == "sekmet"
    assert selected_server().script.name == "fhir_server.py"


def test_the_variable_picks_medplum_with_its_own_home_and_base(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SERVER_VARIABLE, " Medplum ")
    monkeypatch.setenv("FHIR_SERVER_HOME", str(tmp_path))
    server = selected_server()
    assert server.name == "medplum"
    assert server_home() == tmp_path / "medplum"
    assert server.public_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/fhir/R4"


def test_an_unknown_server_is_refused_with_the_known_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SERVER_VARIABLE, "hapi")
    with pytest.raises(FhirServerError, match="one of medplum, medplum-transactions, sekmet"):
        selected_server()


def test_every_declared_feature_is_one_the_tests_know() -> None:
    for server in SERVERS.values():
        assert server.features <= set(FEATURES), server.name
    # sekmet runs every test: the default suite skips nothing for want of a feature.
    assert SERVERS["sekmet"].features == set(FEATURES)
