"""The conflicts screen names a record as a clinician would, not by its id."""

from __future__ import annotations

from typing import Any

from clinic_tui.domain.merge import Conflict
from clinic_tui.screens.conflicts import record_label


def _conflict(resource: dict[str, Any]) -> Conflict:
    return Conflict(
        id=1,
        resource_type=resource["resourceType"],
        resource_id=resource["id"],
        base=None,
        local=resource,
        remote=resource,
        fields=[],
        created_at="2026-11-24T09:00:00+08:00",
    )


def test_a_visit_is_named_by_its_date_and_chief_complaint() -> None:
    encounter = {
        "resourceType": "Encounter",
        "id": "018cc251-f52d",
        "period": {"start": "2026-11-24T08:05:00+08:00"},
        "reasonCode": [{"text": "发热咳嗽3天"}],
    }
    assert record_label(_conflict(encounter)) == "Visit 2026-11-24 发热咳嗽3天"


def test_a_patient_is_named_by_name_and_a_problem_by_its_text() -> None:
    patient = {"resourceType": "Patient", "id": "p", "name": [{"family": "王", "given": ["小明"]}]}
    condition = {"resourceType": "Condition", "id": "c", "code": {"text": "高血压"}}
    assert record_label(_conflict(patient)) == "Patient details 王小明"
    assert record_label(_conflict(condition)) == "Problem 高血压"


def test_a_record_with_nothing_recognisable_falls_back_to_its_id() -> None:
    assert record_label(_conflict({"resourceType": "Device", "id": "t-9"})) == "Device t-9"
