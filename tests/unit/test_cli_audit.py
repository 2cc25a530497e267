"""`clinic-tui audit --patient ID` lists a patient's audit trail from the cache, offline."""

from __future__ import annotations

import json
from pathlib import Path

from clinic_tui.domain.audit import AuditAgent
from clinic_tui.offline_cache.audit import AuditTrail, set_acting_agent
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import record_local_change
from tests.conftest import Cli


def _cache_with_trail(data_dir: Path) -> None:
    engine = open_cache(data_dir / "clinic.sqlite3")
    set_acting_agent(engine, AuditAgent("dr-wang", "王医生", "org-1", "青山镇卫生院"))
    AuditTrail(engine).chart_opened("p1")
    record_local_change(
        engine,
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}},
        "create",
    )
    AuditTrail(engine).chart_opened("p2")
    engine.dispose()


def test_audit_lists_the_patients_reads_and_writes_with_who(cli: Cli, tmp_path: Path) -> None:
    _cache_with_trail(tmp_path)
    code, out, _err = cli("audit", "--patient", "p1", "--data-dir", str(tmp_path), "--json")
    assert code == 0
    records = json.loads(out)
    assert [(r["action"], r["entity"]) for r in records] == [
        ("create", "Condition/c1"),
        ("read", "Patient/p1"),
    ]
    assert {r["agent"] for r in records} == {"Practitioner/dr-wang"}
    assert not any(r["sent"] for r in records)


def test_audit_table_in_chinese(cli: Cli, tmp_path: Path) -> None:
    _cache_with_trail(tmp_path)
    code, out, _err = cli("audit", "--patient", "p1", "--data-dir", str(tmp_path), "--lang", "zh")
    assert code == 0
    assert "患者 p1 的审计记录" in out
    assert "查看" in out
    assert "新建" in out
    assert "待上传" in out


def test_audit_of_a_patient_with_no_records_says_so(cli: Cli, tmp_path: Path) -> None:
    _cache_with_trail(tmp_path)
    code, out, _err = cli("audit", "--patient", "nobody", "--data-dir", str(tmp_path))
    assert code == 0
    assert "No audit records for patient nobody" in out


def test_audit_without_a_cache_is_a_clear_message_not_a_new_cache(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli("audit", "--patient", "p1", "--data-dir", str(tmp_path / "none"))
    assert code == 2
    assert "No cache at" in out + err
    assert not (tmp_path / "none").exists()


def test_audit_needs_a_patient(cli: Cli, tmp_path: Path) -> None:
    code, _out, err = cli("audit", "--data-dir", str(tmp_path))
    assert code == 2
    assert "--patient" in err
