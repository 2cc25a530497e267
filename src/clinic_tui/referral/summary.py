"""The clinical summary a referral carries, assembled from the chart (pure).

Problems, allergies, active medicines, the latest vital signs and today's note, as plain
text the doctor then edits before sending. It goes to the hospital as ServiceRequest.note;
the records it names go as supportingInfo. The hospital reads it in its own language,
which the township cannot know: a Chinese session writes Chinese labels, any other writes
each label in its language and in Chinese ("Problems 诊断 / 问题列表: ..."), so a Chinese
expert never reads an English-only summary.
"""

from __future__ import annotations

from datetime import date

from clinic_tui.domain.ages import age_in_years
from clinic_tui.domain.chart_entry import NoteEntry
from clinic_tui.domain.models import AllergyState, Chart, Gender
from clinic_tui.i18n import N_, in_chinese, language, tr

_SEX = {Gender.MALE: N_("Male"), Gender.FEMALE: N_("Female")}


def _label(text: str) -> str:
    """A label in the session's language, followed by its Chinese when that is not Chinese."""
    words = tr(text)
    if language() == "zh":
        return words
    chinese = in_chinese(text)
    return words if chinese == words else f"{words} {chinese}"


def _note_text(note: NoteEntry) -> list[str]:
    if note.is_soap:
        sections = (
            (N_("Subjective"), note.subjective),
            (N_("Objective"), note.objective),
            (N_("Assessment"), note.assessment),
            (N_("Plan"), note.plan),
        )
        return [f"  {_label(label)}: {text}" for label, text in sections if text.strip()]
    return [f"  {line}" for line in note.free_text.strip().splitlines() if line.strip()]


def _vital_value(value: float) -> str:
    return f"{value:g}"


def assemble_summary(chart: Chart, note: NoteEntry | None, today: date) -> str:
    """The summary text of `chart` (and today's note), one fact per line."""
    patient = chart.patient
    age = age_in_years(patient.birth_date, today)
    who = [patient.name, _label(_SEX.get(patient.gender, N_("Unknown")))]
    if age is not None:
        who.append(f"{age} {tr('years')}" if language() == "zh" else f"{age} years ({age}岁)")
    lines = [f"{_label('Patient')}: {', '.join(who)}"]
    problems = [
        p for p in chart.problems if p.clinical_status in ("active", "recurrence", "relapse")
    ]
    # A problem recorded at several visits is named once.
    named = dict.fromkeys(f"{p.code or ''} {p.display}".strip() for p in problems)
    listed = "; ".join(named)
    lines.append(f"{_label(N_('Problems'))}: {listed or _label(N_('none recorded'))}")
    if chart.allergy_state is AllergyState.NO_KNOWN_ALLERGIES:
        allergies = _label(N_("No known allergies"))
    elif chart.allergy_state is AllergyState.NOT_RECORDED:
        allergies = _label(N_("Allergies not recorded"))
    else:
        allergies = "; ".join(
            a.substance + (f" ({a.reaction})" if a.reaction else "") for a in chart.allergies
        )
    lines.append(f"{_label('Allergies')}: {allergies}")
    medicines = "; ".join(f"{m.name} {m.dosage}".strip() for m in chart.medications)
    lines.append(f"{_label('Active medications')}: {medicines or _label(N_('none recorded'))}")
    if chart.vitals:
        latest = max(v.effective for v in chart.vitals).date().isoformat()
        readings = []
        for vital in chart.vitals:
            value = _vital_value(vital.value)
            if vital.second_value is not None:
                value += f"/{_vital_value(vital.second_value)}"
            # The unit as the session's language writes it: '/min' is 次/分 in Chinese.
            readings.append(f"{_label(vital.label)} {value} {tr(vital.unit)}".strip())
        lines.append(f"{_label(N_('Vital signs'))} ({latest}): " + ", ".join(readings))
    else:
        lines.append(f"{_label(N_('Vital signs'))}: {_label(N_('none recorded'))}")
    if note is not None:
        body = _note_text(note)
        if body:
            lines.append(_label(N_("Today's note")) + ":")
            lines.extend(body)
    return "\n".join(lines)
