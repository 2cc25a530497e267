"""Conflicts in a clinician's words: which field, and each value as the app shows it.

A disputed path such as `telecom[system=phone].value` or `status` becomes
'Phone' or 'Status'; a value such as `arrived` becomes 'Waiting' and a
priority coding 'Emergency'. Raw JSON is what the advanced editor is for;
these words fall back to compact JSON only for elements the app does not model.
"""

from __future__ import annotations

import json
import re
from typing import Any

from clinic_tui.domain.fhir import concept_code, concept_text, human_name
from clinic_tui.domain.models import Priority, QueueStatus
from clinic_tui.domain.national_id import IDENTIFIER_SYSTEM
from clinic_tui.i18n import add_translations, tr

add_translations(
    {
        "Patient details": "患者信息",
        "Visit": "就诊",
        "Allergy": "过敏",
        "Problem": "诊断",
        "Measurement": "测量记录",
        "Prescription": "处方",
        "Address": "地址",
        "Email": "电子邮箱",
        "Identifier": "标识号",
        "Active": "有效",
        "Time": "时间",
        "Status history": "状态记录",
        "Substance": "过敏原",
        "Criticality": "危险程度",
        "Reaction": "反应",
        "Diagnosis": "诊断",
        "Onset": "起病日期",
        "Value": "数值",
        "Measured at": "测量时间",
        "Medicine": "药品",
        "Dosage": "用法用量",
        "Quantity": "数量",
        "Clinic": "机构",
        "Verification": "确认状态",
        "(not recorded)": "（未记录）",
        "Yes": "是",
        "No": "否",
        "Left without being seen": "未就诊离开",
        "Referral": "转诊",
        "Referral request": "转诊申请",
        "Referral message": "转诊留言",
        "Last changed": "最后修改",
        "Progress": "进展",
        "Reason for the state": "状态原因",
        "Appointment or due date": "预约或到期日期",
        "Sent to": "转至",
        "Outcome": "结果",
        "Doctor": "医生",
    }
)

RECORD_WORDS = {
    "Patient": "Patient details",
    "Encounter": "Visit",
    "AllergyIntolerance": "Allergy",
    "Condition": "Problem",
    "Observation": "Measurement",
    "MedicationRequest": "Prescription",
    "Task": "Referral",
    "ServiceRequest": "Referral request",
    "Communication": "Referral message",
}
"""What each resource type is, in English words (translated where shown)."""

_FIELD_LABELS: dict[str, str] = {
    "name": "Name",
    "birthDate": "Birth date",
    "gender": "Sex",
    "address": "Address",
    "active": "Active",
    "status": "Status",
    "priority": "Priority",
    "reasonCode": "Chief complaint",
    "period": "Time",
    "statusHistory": "Status history",
    "serviceProvider": "Clinic",
    "managingOrganization": "Clinic",
    "criticality": "Criticality",
    "reaction": "Reaction",
    "clinicalStatus": "Status",
    "verificationStatus": "Verification",
    "onsetDateTime": "Onset",
    "valueQuantity": "Value",
    "component": "Value",
    "effectiveDateTime": "Measured at",
    "medicationCodeableConcept": "Medicine",
    "dosageInstruction": "Dosage",
    "dispenseRequest": "Quantity",
    # A referral's Task (referral/fhir_shapes.py).
    "lastModified": "Last changed",
    "businessStatus": "Progress",
    "statusReason": "Reason for the state",
    "restriction": "Appointment or due date",
    "owner": "Sent to",
    "output": "Outcome",
    "executionPeriod": "Time",
    "extension": "Doctor",
}
"""Top-level elements by name; `code` depends on the record (see field_label)."""

_CODE_LABEL = {
    "AllergyIntolerance": "Substance",
    "Condition": "Diagnosis",
    "Observation": "Measurement",
}

_SEX = {"male": "Male", "female": "Female", "other": "Other", "unknown": "Unknown"}
_QUEUE_WORDS = {
    QueueStatus.WAITING: "Waiting",
    QueueStatus.IN_CONSULTATION: "In consultation",
    QueueStatus.DONE: "Done",
    QueueStatus.LEFT: "Left without being seen",
}
_PRIORITY_WORDS = {
    Priority.EMERGENCY: "Emergency",
    Priority.URGENT: "Urgent",
    Priority.ROUTINE: "Routine",
}
_KEYED = re.compile(r"^(\w+)\[([^\]]*)\]")


def record_words(resource_type: str) -> str:
    """'Visit' for an Encounter, and so on (the type itself when unknown)."""
    return tr(RECORD_WORDS.get(resource_type, resource_type))


def field_label(resource_type: str, path: str) -> str:
    """A disputed path as the field's label: 'Phone', 'Status', 'Birth date'."""
    keyed = _KEYED.match(path)
    top = keyed.group(1) if keyed else path.split(".", 1)[0]
    if top == "telecom":
        key = keyed.group(2) if keyed else ""
        return tr("Email") if "system=email" in key else tr("Phone")
    if top == "identifier":
        key = keyed.group(2) if keyed else ""
        return tr("Identity number") if IDENTIFIER_SYSTEM in key else tr("Identifier")
    if top == "code":
        return tr(_CODE_LABEL.get(resource_type, "Medicine"))
    label = _FIELD_LABELS.get(top)
    return tr(label) if label else path


def value_words(resource_type: str, path: str, value: Any) -> str:
    """A value as the app shows it: 'Waiting' for `arrived`, 'Emergency' for priority EM."""
    if value is None:
        return tr("(not recorded)")
    top = path.split(".", 1)[0].split("[", 1)[0]
    if resource_type == "Encounter" and top == "status" and isinstance(value, str):
        return tr(_QUEUE_WORDS[QueueStatus.from_encounter_status(value)])
    if resource_type == "Task" and top == "status" and isinstance(value, str):
        from clinic_tui.domain.referral_workflow import status_words

        return status_words(value)
    if top == "priority" and isinstance(value, dict):
        return tr(_PRIORITY_WORDS[Priority.from_code(concept_code(value))])
    if top == "gender" and isinstance(value, str):
        return tr(_SEX.get(value, value))
    if top == "name" and isinstance(value, list):
        return human_name({"name": value})[0]
    if top in ("telecom", "identifier"):
        return _listed(value, lambda item: item.get("value"))
    return _words(value)


def _listed(value: Any, pick: Any) -> str:
    items = value if isinstance(value, list) else [value]
    words = [str(pick(item)) for item in items if isinstance(item, dict) and pick(item)]
    if words and len(words) == len(items):
        return ", ".join(words)
    return _words(value)


def _words(value: Any) -> str:
    """Common FHIR shapes in words; compact JSON for anything else."""
    if isinstance(value, bool):
        return tr("Yes") if value else tr("No")
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, dict):
        text = concept_text(value)
        if text:
            return text
        if "value" in value and isinstance(value["value"], int | float):
            return f"{value['value']} {value.get('unit') or ''}".strip()
        if "start" in value or "end" in value:
            return f"{value.get('start') or ''} – {value.get('end') or ''}".strip(" –")
        if isinstance(value.get("text"), str):
            return str(value["text"])
        if isinstance(value.get("display"), str):
            return str(value["display"])
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        words = [_words(item) for item in value]
        if not any(word.startswith(("{", "[")) for word in words):
            return "; ".join(words)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
