"""SyncScope's queries per type and the [sync] encounter_days setting."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from clinic_tui.config import load_settings
from clinic_tui.errors import ConfigError
from clinic_tui.sync.scope import SyncScope


def test_without_a_clinic_every_type_is_one_whole_query() -> None:
    for kind in ("Patient", "Encounter", "Task", "Organization"):
        (query,) = SyncScope().queries(kind)
        assert query.params == ()
        assert query.watermark_key == kind


def test_a_clinic_scopes_each_type_with_its_own_watermark_keys() -> None:
    scope = SyncScope(clinic_id="org-1", encounter_days=30)
    today = date(2026, 11, 24)
    # Typed references: a bare id is ambiguous where a parameter may point at several types.
    org = "Organization/org-1"
    assert [q.params for q in scope.queries("Patient", today)] == [(("organization", org),)]
    assert [q.params for q in scope.queries("Condition", today)] == [
        (("patient.organization", org),)
    ]
    assert [dict(q.params) for q in scope.queries("Task", today)] == [
        {"requester": org},
        {"owner": org},
    ]
    # Keys keep the bare id: caches made before keep their watermarks.
    assert [q.watermark_key for q in scope.queries("Task", today)] == [
        "Task?requester=org-1",
        "Task?owner=org-1",
    ]
    encounters = scope.queries("Encounter", today)
    assert dict(encounters[0].params) == {"service-provider": org, "date": "sa2026-10-24"}
    # The moving cut-off is not in the key (no daily re-download), the window length is.
    assert encounters[0].watermark_key == scope.queries("Encounter", date(2027, 1, 1))[0].key
    assert "30" in encounters[0].watermark_key
    keys = {q.watermark_key for k in ("Patient", "Encounter", "Task") for q in scope.queries(k)}
    assert len(keys) == 5
    assert not keys & {"Patient", "Encounter", "Task"}
    assert scope.queries("Practitioner", today)[0].params == ()


def _settings_with(tmp_path: Path, body: str) -> int:
    config = tmp_path / "config.toml"
    config.write_text(body, encoding="utf-8")
    return load_settings(config_flag=str(config), data_dir_flag=str(tmp_path)).sync_encounter_days


def test_encounter_days_is_read_and_checked(tmp_path: Path) -> None:
    assert _settings_with(tmp_path, "") == 365
    assert _settings_with(tmp_path, "[sync]\nencounter_days = 90\n") == 90
    for bad in ("0", "-3", '"a year"', "1.5", "true"):
        with pytest.raises(ConfigError, match="encounter_days"):
            _settings_with(tmp_path, f"[sync]\nencounter_days = {bad}\n")
