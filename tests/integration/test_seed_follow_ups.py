"""seed-server enrols the demo patients with their year of 随访; a township that syncs has the
registries offline: the follow-up list and the indicators work on what came down."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from clinic_tui.followup.indicators import compute_indicators
from clinic_tui.followup.registry import ChronicRegistry
from clinic_tui.locations import cache_path
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.engine import open_cache
from tests.conftest import Cli
from tests.integration.conftest import FhirServer


def test_seeded_registries_sync_down_and_count(
    fhir_server: FhirServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv("CLINIC_TUI_TOKEN", fhir_server.token)
    monkeypatch.setenv("CLINIC_TUI_SERVER", fhir_server.base_url)
    seed = ("seed-server", "--patients", "40", "--seed", "44")
    code, out, err = cli(*seed)
    assert code == 0, err
    code, out, err = cli(*seed)
    assert code == 0, err
    assert "0 created" in out, "seeding again duplicated registry records"

    data = tmp_path / "data"
    code, out, err = cli("sync", "--data-dir", str(data))
    assert code == 0, err + out
    engine = open_cache(cache_path(data))
    try:
        with engine.connect() as c:
            episodes = c.exec_driver_sql("SELECT count(*) FROM episode_of_care").scalar_one()
            answers = c.exec_driver_sql("SELECT count(*) FROM questionnaire_response").scalar_one()
        assert episodes > 0
        assert answers > 0
        today = date.today()
        found = compute_indicators(engine, today - timedelta(days=364), today)
        assert sum(f.registered for f in found.programmes) == episodes
        assert sum(f.managed_to_standard for f in found.programmes) > 0
        registry = ChronicRegistry(engine, ClinicCache(engine).clinic)
        assert registry.due_list(today)
    finally:
        engine.dispose()
