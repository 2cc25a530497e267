"""Consultation notes of the demo clinic's past visits, shaped as the chart's note form writes them.

Built from what the visit already holds (its complaint, vital signs and diagnosis)
and given ids derived from the visit's, so adding notes draws nothing from the
random stream: every other demo record stays exactly as it was.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from clinic_tui.domain.chart_entry import NoteEntry
from clinic_tui.domain.chart_resources import note_document
from clinic_tui.domain.fhir import Resource, concept_code
from clinic_tui.i18n import N_

_NOTE_IDS = uuid.UUID("6f1c2f3e-6a8b-4c1d-9a57-0d3c2b1e8f40")
"""Namespace of the notes' uuid5 ids (one note per visit id)."""

_VITAL_WORDS = {
    "8867-4": ("心率", "次/分"),
    "8310-5": ("体温", "°C"),
    "59408-5": ("血氧饱和度", "%"),
    "9279-1": ("呼吸", "次/分"),
    "29463-7": ("体重", "kg"),
}


def _findings(observations: list[Resource]) -> str:
    parts = []
    for observation in observations:
        code = concept_code(observation.get("code"))
        if code == "85354-9":
            values = [c["valueQuantity"]["value"] for c in observation.get("component") or []]
            if len(values) == 2:
                parts.append(f"血压 {values[0]:g}/{values[1]:g} mmHg")
        elif code in _VITAL_WORDS:
            label, unit = _VITAL_WORDS[code]
            parts.append(f"{label} {observation['valueQuantity']['value']:g} {unit}")
    return "，".join(parts) or "一般情况可"


def visit_note(
    encounter: Resource,
    observations: list[Resource],
    diagnosis: tuple[str, str] | None,
    meta: dict[str, Any],
) -> Resource:
    """The SOAP note of one finished visit: complaint, findings, diagnosis, plan."""
    if diagnosis is not None:
        code, words = diagnosis
        assessment, plan = f"{words}（{code}）", "对症治疗，嘱多饮水休息，3天后未好转复诊"
    else:
        assessment, plan = "慢病随访，病情稳定", "继续原方案治疗，1个月后随访"
    note = NoteEntry(
        subjective=str((encounter.get("reasonCode") or [{}])[0].get("text") or ""),
        objective=_findings(observations),
        assessment=assessment,
        plan=plan,
    )
    period = encounter.get("period") or {}
    written = datetime.fromisoformat(period.get("end") or period["start"])
    participant = (encounter.get("participant") or [{}])[0]
    author: dict[str, str] = dict(
        participant.get("individual") or encounter.get("serviceProvider") or {}
    )
    resource = note_document(
        str(uuid.uuid5(_NOTE_IDS, str(encounter["id"]))),
        str(encounter["subject"]["reference"]).split("/", 1)[1],
        str(encounter["id"]),
        note,
        written,
        author,
    )
    return {"resourceType": N_("DocumentReference"), "id": resource["id"], "meta": meta, **resource}
