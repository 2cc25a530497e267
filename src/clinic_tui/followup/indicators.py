"""The figures a health bureau asks for (规范 考核指标), computed offline from the cache.

For a period [start, end] and each programme (control_rules.toml [indicators], source `kpi`):
- registered (年内已管理的患者人数): patients with an EpisodeOfCare of the programme that was
  open at some time in the period;
- managed to the standard (按要求规范管理的人数): of those, the ones with at least
  `min_visits_per_year` (4) follow-up visits in the period — the 规范 counts a calendar year,
  so the figure is the 规范's only for a one-year period;
- controlled (最近一次随访达标人数): of those, the ones whose latest follow-up in the period
  recorded a blood pressure below 140/90 (hypertension) or a fasting glucose below 7.0
  mmol/L (diabetes), the general targets of control_rules.toml; a patient with no follow-up
  in the period, or whose latest one recorded no value, is not controlled;
- overdue (per village, per clinician): patients with an active enrolment whose open
  'chronic-follow-up' Task was due before `end`, or who have no open Task and no follow-up in
  the period. A village is the home address up to its 村 (or 社区 / 居委会); clinicians are
  the enrolments' care managers.
A hospital (`referred_to`) sees the same figures per township (the enrolment's managing
organisation) for the patients referred to it.

A follow-up visit is an Encounter with an episode of care (encounter.episode_id); its blood
pressure is the BP panel Observation of that day (LOINC 85354-9, diastolic in value2), its
glucose the fasting-glucose Observation of that day (any of fhir_shapes.FASTING_GLUCOSE_CODES).
Everything is one SQL statement that aggregates in SQLite per township, village and care
manager: Python only adds up those rows (benchmarks/followup_indicators.py times it).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, text

from clinic_tui.domain.vital_entry import BP_PANEL
from clinic_tui.followup.classify import target_for
from clinic_tui.followup.fhir_shapes import FASTING_GLUCOSE, FASTING_GLUCOSE_CODES, TASK_KIND
from clinic_tui.followup.model import Programme
from clinic_tui.followup.rules import control_rules
from clinic_tui.i18n import N_
from clinic_tui.offline_cache.clinic_cache import ClinicCache

BP_PANEL_LOINC: Final = BP_PANEL[0]
"""The chart's blood-pressure panel: systolic in `value`, diastolic in `value2`."""
FASTING_GLUCOSE_LOINC: Final = FASTING_GLUCOSE[0]
"""The fasting glucose a 随访 records (mmol/L); FASTING_GLUCOSE_CODES are all read."""
FOLLOW_UP_TASK_KIND: Final = TASK_KIND
CLOSED_TASK_STATUSES: Final = ("completed", "cancelled", "failed", "rejected", "entered-in-error")
NO_VILLAGE: Final = "(no address)"
NO_CLINICIAN: Final = "(no clinician)"
VILLAGE_ENDS: Final = ("村", "社区", "居委会", "镇", "乡")
"""Where a village name ends, in the order tried (a town-seat address ends at its 镇)."""


@dataclass(frozen=True)
class ProgrammeFigures:
    """One programme's counts for the period."""

    programme: Programme
    registered: int
    managed_to_standard: int
    controlled: int

    def rate(self, count: int) -> float | None:
        """`count` as a share of the registered patients (None when none are registered)."""
        return count / self.registered if self.registered else None


@dataclass(frozen=True)
class TownshipFigures:
    """A township's figures, as a hospital sees them for the patients referred to it."""

    organization_id: str
    name: str
    programmes: tuple[ProgrammeFigures, ...]


@dataclass(frozen=True)
class Indicators:
    """Everything `compute_indicators` found for one period."""

    start: date
    end: date
    programmes: tuple[ProgrammeFigures, ...]
    overdue_by_village: tuple[tuple[str, int], ...]
    overdue_by_clinician: tuple[tuple[str, int], ...]
    min_visits: int
    rules_version: str
    organization_id: str | None = None
    referred_to: str | None = None
    by_township: tuple[TownshipFigures, ...] = field(default=())

    @property
    def overdue_total(self) -> int:
        """Overdue patients, all villages."""
        return sum(count for _village, count in self.overdue_by_village)


def village_of(address: str) -> str:
    """The village of a home address: up to its first 村, else 社区, else 居委会, else 镇 or 乡;
    else the whole address; NO_VILLAGE when there is none (the SQL below does the same)."""
    address = address.strip()
    if not address:
        return NO_VILLAGE
    for end in VILLAGE_ENDS:
        if end in address:
            return address[: address.find(end) + len(end)]
    return address


def _village_sql(column: str) -> str:
    """`village_of` as an SQL expression on `column` (grouped in SQLite, not in Python)."""
    value = f"trim(COALESCE({column}, ''))"
    cases = " ".join(
        f"WHEN instr({value}, '{end}') > 0 "
        f"THEN substr({value}, 1, instr({value}, '{end}') + {len(end) - 1})"
        for end in VILLAGE_ENDS
    )
    return f"CASE WHEN {value} = '' THEN '' {cases} ELSE {value} END"


def _engine(source: Engine | ClinicCache) -> Engine:
    return source.engine if isinstance(source, ClinicCache) else source


def _scope(organization_id: str | None, referred_to: str | None) -> str:
    """Extra WHERE terms on the enrolments (alias e)."""
    terms = ""
    if organization_id is not None:
        terms += " AND e.organization_id = :org"
    if referred_to is not None:
        terms += (
            " AND e.patient_id IN (SELECT patient_id FROM task"
            " WHERE kind = 'referral' AND owner_org = :referred_to)"
        )
    return terms


def _latest_sql(codes: str, test: str) -> str:
    """Whether the Observation of `codes` on the day of the latest follow-up passes `test`."""
    return f"""COALESCE((
        SELECT {test} FROM observation o
        WHERE o.patient_id = ep.patient_id AND o.code IN ({codes})
          AND o.effective >= v.day AND o.effective < v.day || '~'
        ORDER BY o.effective DESC LIMIT 1), 0)"""


def _indicators_sql(scope: str) -> str:
    """One statement: per (township, village, care manager), the programme counts and the
    overdue patients. Each patient is one row of `ep` (both programmes as flags), so a
    patient in both programmes is overdue once."""
    closed = ", ".join(f"'{status}'" for status in CLOSED_TASK_STATUSES)
    bp_ok = _latest_sql(":bp_code", "o.value < :sys_below AND o.value2 < :dia_below")
    glucose_codes = ", ".join(f":glucose_{n}" for n in range(len(FASTING_GLUCOSE_CODES)))
    glucose_ok = _latest_sql(glucose_codes, "o.value < :glucose_below")
    # Village and care manager are worked out for overdue patients only: the others are
    # grouped under NULL, so a large registry costs no address look-ups.
    overdue = "(ep.active AND (d.due < :end OR (d.due IS NULL AND v.patient_id IS NULL)))"
    return f"""
    WITH ep AS (
        SELECT e.patient_id AS patient_id,
               MIN(COALESCE(e.organization_id, '')) AS org,
               MIN(COALESCE(e.care_manager_id, '')) AS manager,
               MAX(e.programme = 'hypertension') AS ht,
               MAX(e.programme = 'diabetes') AS dm,
               MAX(e.status = 'active'
                   AND (e.period_end IS NULL OR substr(e.period_end, 1, 10) > :end)) AS active
        FROM episode_of_care e
        WHERE e.programme IN ('hypertension', 'diabetes')
          AND substr(e.period_start, 1, 10) <= :end
          AND (e.period_end IS NULL OR substr(e.period_end, 1, 10) >= :start){scope}
        GROUP BY e.patient_id
    ),
    v AS (
        SELECT patient_id, COUNT(*) AS n, substr(MAX(period_start), 1, 10) AS day
        FROM encounter
        WHERE episode_id IS NOT NULL AND period_start >= :start AND period_start < :stop
          AND status != 'entered-in-error'
        GROUP BY patient_id
    ),
    d AS (
        SELECT patient_id, MIN(substr(due_date, 1, 10)) AS due
        FROM task
        WHERE kind = :task_kind AND status NOT IN ({closed}) AND due_date IS NOT NULL
        GROUP BY patient_id
    )
    SELECT ep.org,
           CASE WHEN {overdue} THEN (
               SELECT {_village_sql("p.address")} FROM patient p WHERE p.id = ep.patient_id)
           END,
           CASE WHEN {overdue} THEN ep.manager END,
           SUM(ep.ht), SUM(ep.ht AND v.n >= :min_visits),
           SUM(CASE WHEN ep.ht AND v.day IS NOT NULL THEN {bp_ok} ELSE 0 END),
           SUM(ep.dm), SUM(ep.dm AND v.n >= :min_visits),
           SUM(CASE WHEN ep.dm AND v.day IS NOT NULL THEN {glucose_ok} ELSE 0 END),
           SUM({overdue})
    FROM ep
    LEFT JOIN v ON v.patient_id = ep.patient_id
    LEFT JOIN d ON d.patient_id = ep.patient_id
    GROUP BY 1, 2, 3
    """


def compute_indicators(
    source: Engine | ClinicCache,
    start: date,
    end: date,
    *,
    organization_id: str | None = None,
    referred_to: str | None = None,
) -> Indicators:
    """The indicators of [start, end] (both days included) from the cache, offline.

    `organization_id` keeps the enrolments one township manages; `referred_to` (a hospital's
    organisation id) keeps the patients referred to it and adds the figures per township.
    """
    if end < start:
        raise ValueError("the period ends before it starts")
    rules = control_rules()
    bp_target = target_for(Programme.HYPERTENSION, (Programme.HYPERTENSION,), None, rules)
    glucose_target = target_for(Programme.DIABETES, (Programme.DIABETES,), None, rules)
    params: dict[str, Any] = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "stop": (end + timedelta(days=1)).isoformat(),
        "org": organization_id,
        "referred_to": referred_to,
        "min_visits": rules.min_visits_per_year,
        "bp_code": BP_PANEL_LOINC,
        **{f"glucose_{n}": code for n, code in enumerate(FASTING_GLUCOSE_CODES)},
        "sys_below": bp_target.systolic_below,
        "dia_below": bp_target.diastolic_below,
        "glucose_below": glucose_target.glucose_below,
        "task_kind": FOLLOW_UP_TASK_KIND,
    }
    sql = _indicators_sql(_scope(organization_id, referred_to))
    with _engine(source).connect() as connection:
        rows = connection.execute(text(sql), params).all()
        names: dict[str, str] = (
            dict(connection.execute(text("SELECT id, name FROM organization")).all())
            if referred_to is not None
            else {}
        )
        clinician_names: dict[str, str] = dict(
            connection.execute(text("SELECT id, name FROM practitioner")).all()
        )
    per_org: dict[str, dict[Programme, list[int]]] = {}
    villages: Counter[str] = Counter()
    clinicians: Counter[str] = Counter()
    for org, village, manager, *counts in rows:
        figures = per_org.setdefault(str(org), {})
        for programme, part in (
            (Programme.HYPERTENSION, counts[0:3]),
            (Programme.DIABETES, counts[3:6]),
        ):
            into = figures.setdefault(programme, [0, 0, 0])
            for index, value in enumerate(part):
                into[index] += int(value or 0)
        overdue = int(counts[6] or 0)
        if overdue:
            villages[str(village) or NO_VILLAGE] += overdue
            name = clinician_names.get(str(manager)) or manager or NO_CLINICIAN
            clinicians[str(name)] += overdue
    townships: tuple[TownshipFigures, ...] = ()
    if referred_to is not None:
        townships = tuple(
            TownshipFigures(org, str(names.get(org) or org or "?"), _figures(counts))
            for org, counts in sorted(per_org.items(), key=lambda item: str(names.get(item[0])))
        )
    return Indicators(
        start=start,
        end=end,
        programmes=_figures(_sum(per_org.values())),
        overdue_by_village=_ranked(villages),
        overdue_by_clinician=_ranked(clinicians),
        min_visits=rules.min_visits_per_year,
        rules_version=rules.version,
        organization_id=organization_id,
        referred_to=referred_to,
        by_township=townships,
    )


def _sum(groups: Iterable[dict[Programme, list[int]]]) -> dict[Programme, list[int]]:
    total: dict[Programme, list[int]] = {}
    for group in groups:
        for programme, counts in group.items():
            into = total.setdefault(programme, [0, 0, 0])
            for index, value in enumerate(counts):
                into[index] += value
    return total


def _figures(counts: dict[Programme, list[int]]) -> tuple[ProgrammeFigures, ...]:
    return tuple(
        ProgrammeFigures(programme, *counts.get(programme, [0, 0, 0])) for programme in Programme
    )


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    """Most overdue first, then by name (stable output for the CSV and tests)."""
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


# ----- export -------------------------------------------------------------------------------

_WORDS: Final = {
    "title": ("Chronic-disease follow-up indicators", "慢性病随访管理指标"),
    "period": ("Period", "统计期间"),
    "programme": ("Programme", "项目"),
    "registered": ("Registered", "管理人数"),
    "standard": ("Managed to standard", "规范管理人数"),
    "standard_rate": ("Managed to standard %", "规范管理率(%)"),
    "controlled": ("Controlled", "控制达标人数"),
    "controlled_rate": ("Controlled %", "控制率(%)"),
    "village": ("Village", "村"),
    "clinician": ("Clinician", "责任医生"),
    "overdue": ("Overdue", "逾期未随访"),
    "township": ("Township", "乡镇卫生院"),
    "hypertension": (N_("Hypertension"), "高血压"),
    "diabetes": (N_("Type 2 diabetes"), "2型糖尿病"),
    "definition": (
        "Managed to standard: at least {n} follow-ups in the period (规范: a year). "
        "Controlled: latest follow-up BP < 140/90 mmHg, fasting glucose < 7.0 mmol/L.",
        "规范管理：统计期间内随访不少于{n}次（规范按年度计）。"
        "控制达标：最近一次随访血压<140/90 mmHg，空腹血糖<7.0 mmol/L。",
    ),
    "source": (
        "Source: NBPHS 3rd ed. (2017) assessment indicators; rules {version}",
        "依据：国家基本公共卫生服务规范（第三版）考核指标；规则版本 {version}",
    ),
}


def _word(key: str, language: str) -> str:
    english, chinese = _WORDS[key]
    return chinese if language == "zh" else english


def _percent(figures: ProgrammeFigures, count: int) -> str:
    rate = figures.rate(count)
    return "" if rate is None else f"{rate * 100:.1f}"


def _programme_rows(figures: Sequence[ProgrammeFigures], language: str) -> list[list[str]]:
    return [
        [
            _word(str(f.programme), language),
            str(f.registered),
            str(f.managed_to_standard),
            _percent(f, f.managed_to_standard),
            str(f.controlled),
            _percent(f, f.controlled),
        ]
        for f in figures
    ]


def _programme_header(language: str) -> list[str]:
    keys = ("programme", "registered", "standard", "standard_rate", "controlled")
    return [*(_word(key, language) for key in keys), _word("controlled_rate", language)]


def csv_text(indicators: Indicators, language: str = "en") -> str:
    """The indicators as CSV sections: programmes (per township for a hospital), villages,
    clinicians. Names from the cache are written as data (no spreadsheet formulas)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    period = f"{indicators.start.isoformat()}..{indicators.end.isoformat()}"
    writer.writerow([_word("period", language), period])
    writer.writerow([])
    if indicators.by_township:
        writer.writerow([_word("township", language), *_programme_header(language)])
        for township in indicators.by_township:
            for row in _programme_rows(township.programmes, language):
                writer.writerow([_cell(township.name), *row])
        writer.writerow([])
    writer.writerow(_programme_header(language))
    writer.writerows(_programme_rows(indicators.programmes, language))
    writer.writerow([])
    writer.writerow([_word("village", language), _word("overdue", language)])
    writer.writerows([_cell(name), str(count)] for name, count in indicators.overdue_by_village)
    writer.writerow([])
    writer.writerow([_word("clinician", language), _word("overdue", language)])
    writer.writerows([_cell(name), str(count)] for name, count in indicators.overdue_by_clinician)
    return out.getvalue()


def _cell(value: str) -> str:
    """A name as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    from clinic_tui.domain.untrusted import clean_line

    value = clean_line(value)
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


def write_csv(indicators: Indicators, path: Path, language: str = "en") -> Path:
    """Write the CSV (UTF-8 with a BOM, so spreadsheets read the Chinese) as a 0600 file."""
    from clinic_tui.private_files import private_dir, write_private

    private_dir(path.parent)
    write_private(path, ("\ufeff" + csv_text(indicators, language)).encode("utf-8"))
    return path


def write_pdf(
    indicators: Indicators,
    path: Path,
    language: str = "zh",
    *,
    font: tuple[Path, int] | None = None,
) -> Path:
    """Draw the indicators on one A4 page (fpdf2, the slips' Noto Sans CJK) as a 0600 file.

    `font` is (collection, face index) as clinic_tui.cjk_font.cjk_font gives it; the command
    passes that one, and without it the same font is looked up the same way.
    """
    from clinic_tui.followup.indicators_pdf import render

    return render(indicators, path, language, font, _word, _programme_header, _programme_rows)
