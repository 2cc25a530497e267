"""The clinical summary a referral carries, assembled from the chart (pure).

Problems, allergies, active medicines, the latest vital signs and today's note, in
the language in force, as plain text the doctor then edits before sending. It goes
to the hospital as ServiceRequest.note; the records it names go as supportingInfo.
"""

from __future__ import annotations

from datetime import date

from clinic_tui.domain.ages import age_in_years
from clinic_tui.domain.chart_entry import NoteEntry
from clinic_tui.domain.models import AllergyState, Chart, Gender
from clinic_tui.i18n import add_translations, tr

add_translations(
    {
        "Patient": "患者",
        "years": "岁",
        "Problems": "诊断 / 问题列表",
        "none recorded": "未记录",
        "Allergies": "过敏史",
        "No known allergies": "无已知过敏",
        "Allergies not recorded": "过敏史未记录",
        "Active medications": "当前用药",
        "Vital signs": "生命体征",
        "Today's note": "本次病程记录",
        "Subjective": "主观",
        "Objective": "客观",
        "Assessment": "评估",
        "Plan": "计划",
    }
)

_SEX = {Gender.MALE: "Male", Gender.FEMALE: "Female"}


def _note_text(note: NoteEntry) -> list[str]:
    if note.is_soap:
        sections = (
            ("Subjective", note.subjective),
            ("Objective", note.objective),
            ("Assessment", note.assessment),
            ("Plan", note.plan),
        )
        return [f"  {tr(label)}: {text}" for label, text in sections if text.strip()]
    return [f"  {line}" for line in note.free_text.strip().splitlines() if line.strip()]


def _vital_value(value: float) -> str:
    return f"{value:g}"


def assemble_summary(chart: Chart, note: NoteEntry | None, today: date) -> str:
    """The summary text of `chart` (and today's note), one fact per line."""
    patient = chart.patient
    age = age_in_years(patient.birth_date, today)
    who = [patient.name, tr(_SEX.get(patient.gender, "Unknown"))]
    if age is not None:
        who.append(f"{age} {tr('years')}")
    lines = [f"{tr('Patient')}: {', '.join(who)}"]
    problems = [
        p for p in chart.problems if p.clinical_status in ("active", "recurrence", "relapse")
    ]
    # A problem recorded at several visits is named once.
    named = dict.fromkeys(f"{p.code or ''} {p.display}".strip() for p in problems)
    listed = "; ".join(named)
    lines.append(f"{tr('Problems')}: {listed or tr('none recorded')}")
    if chart.allergy_state is AllergyState.NO_KNOWN_ALLERGIES:
        allergies = tr("No known allergies")
    elif chart.allergy_state is AllergyState.NOT_RECORDED:
        allergies = tr("Allergies not recorded")
    else:
        allergies = "; ".join(
            a.substance + (f" ({a.reaction})" if a.reaction else "") for a in chart.allergies
        )
    lines.append(f"{tr('Allergies')}: {allergies}")
    medicines = "; ".join(f"{m.name} {m.dosage}".strip() for m in chart.medications)
    lines.append(f"{tr('Active medications')}: {medicines or tr('none recorded')}")
    if chart.vitals:
        latest = max(v.effective for v in chart.vitals).date().isoformat()
        readings = []
        for vital in chart.vitals:
            value = _vital_value(vital.value)
            if vital.second_value is not None:
                value += f"/{_vital_value(vital.second_value)}"
            readings.append(f"{tr(vital.label)} {value} {vital.unit}".strip())
        lines.append(f"{tr('Vital signs')} ({latest}): " + ", ".join(readings))
    else:
        lines.append(f"{tr('Vital signs')}: {tr('none recorded')}")
    if note is not None:
        body = _note_text(note)
        if body:
            lines.append(tr("Today's note") + ":")
            lines.extend(body)
    return "\n".join(lines)
