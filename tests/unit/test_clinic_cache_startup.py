"""The first screen's reads need only the standard library: the ORM loads afterwards."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.store import upsert_resources

CLINIC = {"resourceType": "Organization", "id": "org-t", "name": "青山镇卫生院",
          "type": [{"coding": [{"code": "township"}]}]}  # fmt: skip
PATIENT = {"resourceType": "Patient", "id": "p-1", "name": [{"family": "张", "given": ["三"]}]}
ENCOUNTER = {
    "resourceType": "Encounter",
    "id": "e-1",
    "status": "arrived",
    "subject": {"reference": "Patient/p-1"},
    "serviceProvider": {"reference": "Organization/org-t"},
    "period": {"start": "2026-11-24T08:05:00+08:00"},
    "reasonCode": [{"text": "发热"}],
    "identifier": [{"system": "urn:clinic-tui:queue-number", "value": "1"}],
}

PROBE = """
import sys
from datetime import date
from pathlib import Path
from clinic_tui.offline_cache.cache_file import prepare_cache
from clinic_tui.offline_cache.clinic_cache import ClinicCache
path = Path(sys.argv[1])
prepare_cache(path)
cache = ClinicCache(path)
entries = cache.queue_today(date(2026, 11, 24))
print(cache.clinic.name, len(entries), cache.pending_changes())
print(sorted(m for m in ("sqlalchemy", "sqlmodel", "pypinyin") if m in sys.modules))
"""


def _filled(engine: Engine) -> Path:
    with engine.begin() as connection:
        upsert_resources(connection, [CLINIC, PATIENT, ENCOUNTER])
    return Path(str(engine.url.database))


def test_queue_and_clinic_are_read_without_loading_the_orm(engine: Engine) -> None:
    path = _filled(engine)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.splitlines() == ["青山镇卫生院 1 0", "[]"]


def test_a_cache_opened_by_path_builds_its_repositories_on_first_use(engine: Engine) -> None:
    path = _filled(engine)
    cache = ClinicCache(path)
    cache.warm_up()
    entries = cache.queue.today(date(2026, 11, 24))
    assert [entry.patient_name for entry in entries] == ["张三"]
    assert cache.queue_today(date(2026, 11, 24)) == entries
