"""A demo referral's summary, read from the patient's own demo records at the referral's date.

A township doctor's summary states what the chart held when the referral was written
(referral/summary.py assembles it so in the app): the active problems, the allergies, the
active medicines and the latest vital signs. The demo's summaries once drew those at random
(a hypertension of N years, a made-up blood pressure, an allergy the chart did not have);
here they are read from the records themselves, so the hospital's preview and the chart
agree. Everything dated on or before the referral's day counts, as a chart of that day
would have shown it. The labels are the Chinese ones assemble_summary writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clinic_tui.domain.fhir import NO_KNOWN_ALLERGY_CODE, Resource, concept_code, concept_text

PROBLEMS = "诊断 / 问题列表"
ALLERGIES = "过敏史"
MEDICATIONS = "当前用药"
VITALS = "生命体征"
NONE_RECORDED = "未记录"
NO_KNOWN_ALLERGIES = "无已知过敏"
ALLERGIES_NOT_RECORDED = "过敏史未记录"
SEPARATOR = "；"
"""Between the items of one line (problem and drug names hold commas, never this)."""

_UNITS_ZH = {"/min": "次/分"}
"""Units a Chinese summary writes in words (the chart does the same)."""
_ACTIVE = ("active", "recurrence", "relapse")
_PANEL = "85354-9"
"""Blood-pressure panel: systolic/diastolic in its components."""


def _day(value: Any) -> str:
    """The calendar day (YYYY-MM-DD) a FHIR date or dateTime names; '' when absent."""
    return str(value)[:10] if isinstance(value, str) else ""


def _number(value: Any) -> str:
    return f"{float(value):g}"


def _problems(resources: Iterable[Resource], day: str) -> list[str]:
    named: dict[str, None] = {}
    for resource in resources:
        if resource.get("resourceType") != "Condition":
            continue
        onset = _day(resource.get("onsetDateTime") or resource.get("recordedDate"))
        status = concept_code(resource.get("clinicalStatus"))
        if status in _ACTIVE and onset and onset <= day:
            code = concept_code(resource.get("code"), "icd-10") or ""
            named[f"{code} {concept_text(resource.get('code')) or ''}".strip()] = None
    return list(named)


def _allergies(resources: Iterable[Resource], day: str, *, drugs_only: bool = False) -> str:
    found: list[str] = []
    no_known = False
    for resource in resources:
        if resource.get("resourceType") != "AllergyIntolerance":
            continue
        recorded = _day(resource.get("recordedDate"))
        if not recorded or recorded > day:
            continue
        if concept_code(resource.get("code")) == NO_KNOWN_ALLERGY_CODE:
            no_known = True
            continue
        if drugs_only and "medication" not in (resource.get("category") or []):
            continue
        substance = concept_text(resource.get("code")) or "?"
        reactions = resource.get("reaction") or [{}]
        manifestation = (reactions[0].get("manifestation") or [None])[0]
        reaction = concept_text(manifestation)
        found.append(f"{substance}（{reaction}）" if reaction else substance)
    if found:
        return SEPARATOR.join(found)
    return NO_KNOWN_ALLERGIES if no_known else ALLERGIES_NOT_RECORDED


def drug_allergy_answer(resources: Iterable[Resource], day: str) -> str:
    """The township's answer to 'any drug allergy?' on `day`, as its records say."""
    found = _allergies(list(resources), day, drugs_only=True)
    if found in (NO_KNOWN_ALLERGIES, ALLERGIES_NOT_RECORDED):
        return "否认药物过敏史。"
    return f"有：{found}。"


def medication_answer(resources: Iterable[Resource], day: str) -> str:
    """The township's answer to 'what does the patient take?' on `day`, as its records say."""
    found = _medications(resources, day)
    if not found:
        return "目前无长期用药。"
    return f"{SEPARATOR.join(found)}，家属诉偶有漏服。"


def _medications(resources: Iterable[Resource], day: str) -> list[str]:
    found = []
    for resource in resources:
        if resource.get("resourceType") != "MedicationRequest":
            continue
        authored = _day(resource.get("authoredOn"))
        if resource.get("status") != "active" or not authored or authored > day:
            continue
        name = concept_text(resource.get("medicationCodeableConcept")) or "?"
        dosage = (resource.get("dosageInstruction") or [{}])[0].get("text") or ""
        found.append(f"{name} {dosage}".strip())
    return found


def _vital_sign(resource: Resource) -> bool:
    """In the vital-signs category (a laboratory result such as fasting glucose is not one)."""
    categories = resource.get("category")
    if not isinstance(categories, list):
        return True  # uncategorised: the chart's vital codes decide, as it always did
    return any(
        coding.get("code") == "vital-signs"
        for category in categories
        if isinstance(category, dict)
        for coding in category.get("coding") or []
        if isinstance(coding, dict)
    )


def _vitals(resources: Iterable[Resource], day: str) -> tuple[str, list[str]]:
    """(the latest day measured, 'label value unit' of each sign's latest value by then)."""
    latest: dict[str, tuple[str, Resource]] = {}
    for resource in resources:
        if resource.get("resourceType") != "Observation" or not _vital_sign(resource):
            continue
        measured = str(resource.get("effectiveDateTime") or "")
        if not measured or _day(measured) > day:
            continue
        code = concept_code(resource.get("code"), "loinc") or ""
        if code not in latest or latest[code][0] < measured:
            latest[code] = (measured, resource)
    readings = []
    for code, (_, resource) in latest.items():
        label = concept_text(resource.get("code")) or code
        if code == _PANEL:
            values = [part.get("valueQuantity") or {} for part in resource.get("component") or []]
            if len(values) < 2 or any("value" not in value for value in values[:2]):
                continue
            shown = f"{_number(values[0]['value'])}/{_number(values[1]['value'])}"
            unit = str(values[0].get("unit") or "")
        else:
            quantity = resource.get("valueQuantity")
            if not isinstance(quantity, dict) or "value" not in quantity:
                continue
            shown, unit = _number(quantity["value"]), str(quantity.get("unit") or "")
            unit = _UNITS_ZH.get(unit, unit)
        readings.append(f"{label} {shown} {unit}".strip())
    when = max((_day(measured) for measured, _ in latest.values()), default="")
    return when, readings


def referral_summary(resources: Iterable[Resource], authored: str) -> str:
    """The summary of a referral written at `authored`, from the patient's `resources` (any
    of them; only that patient's should be given). The reason travels beside it (reasonCode)."""
    records = list(resources)
    day = _day(authored)
    problems = _problems(records, day)
    medications = _medications(records, day)
    when, readings = _vitals(records, day)
    vitals = (
        f"{VITALS}（{when}）：{SEPARATOR.join(readings)}"
        if readings
        else f"{VITALS}：{NONE_RECORDED}"
    )
    return "\n".join(
        (
            f"{PROBLEMS}：{SEPARATOR.join(problems) or NONE_RECORDED}",
            f"{ALLERGIES}：{_allergies(records, day)}",
            f"{MEDICATIONS}：{SEPARATOR.join(medications) or NONE_RECORDED}",
            vitals,
        )
    )
