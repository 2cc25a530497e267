"""seed-server --history-years on the real FHIR server: older records are added, none doubled."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Cli
from tests.integration.conftest import FhirServer

_RESULT = re.compile(r"(\d+) resources \((\d+) created, (\d+) updated\)")


def _sent(out: str) -> tuple[int, int, int]:
    found = _RESULT.search(out)
    assert found, out
    resources, created, updated = (int(group) for group in found.groups())
    return resources, created, updated


def test_seeding_again_with_more_years_adds_only_the_older_records(
    fhir_server: FhirServer, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv("CLINIC_TUI_TOKEN", fhir_server.token)
    monkeypatch.setenv("CLINIC_TUI_SERVER", fhir_server.base_url)
    seed = ("seed-server", "--patients", "5", "--seed", "43")
    code, out, err = cli(*seed)
    assert code == 0, err
    two_years, created, _ = _sent(out)
    assert created == two_years

    code, out, err = cli(*seed, "--history-years", "6")
    assert code == 0, err
    six_years, created, updated = _sent(out)
    assert six_years > two_years
    # The last two years keep their ids, so they are updated; only the older years are new.
    assert (created, updated) == (six_years - two_years, two_years)
