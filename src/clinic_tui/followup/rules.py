"""The follow-up rule table (control_rules.toml): its schema, its loader and its typed rows.

Like the prescribing tables (prescribing/table_specs.py), every key the table may hold is
named here, so a mistyped key is refused when the table is read, not silently ignored; every
row names a source in [sources] and how that source was read (`verified`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any, Final

from clinic_tui.domain.table_schema import (
    LEAF,
    META,
    REQUIRED,
    ROW_REVIEW,
    Named,
    Rows,
    Spec,
    Table,
    TableSchemaError,
    check,
)
from clinic_tui.followup.model import Programme

TABLE_NAME: Final = "control_rules.toml"
VERIFIED_STATES: Final = ("transcription", "form-software", "derived", "unverified")
"""How a row's source was read (see the table's header)."""

_ROW: Final[dict[str, Spec]] = {
    "en": REQUIRED,
    "zh": REQUIRED,
    "source": REQUIRED,
    "verified": REQUIRED,
    **ROW_REVIEW,
}

SCHEMA: Final[dict[str, Spec]] = {
    "meta": META,
    "sources": Named(
        Table({"short": REQUIRED, "short_zh": REQUIRED, "cite": REQUIRED, "read": REQUIRED})
    ),
    "target": Rows(
        {
            **_ROW,
            "id": REQUIRED,
            "programme": REQUIRED,
            "min_age": LEAF,
            "unless_programme": LEAF,
            "systolic_below": LEAF,
            "diastolic_below": LEAF,
            "glucose_below": LEAF,
        },
        required=True,
        name_key="id",
    ),
    "urgent": Rows(
        {
            **_ROW,
            "code": REQUIRED,
            "programmes": REQUIRED,
            "systolic_at_least": LEAF,
            "diastolic_at_least": LEAF,
            "glucose_at_least": LEAF,
            "glucose_at_most": LEAF,
            "heart_rate_above": LEAF,
        },
        required=True,
        name_key="code",
    ),
    "symptom": Rows({**_ROW, "code": REQUIRED, "programme": REQUIRED}, name_key="code"),
    "schedule": Table(
        {
            f"{key}_{part}": REQUIRED
            for key in ("satisfactory", "unsatisfactory", "referral", "consecutive")
            for part in ("source", "verified")
        }
        | {
            "satisfactory_days": REQUIRED,
            "unsatisfactory_days": REQUIRED,
            "referral_days": REQUIRED,
            "consecutive_to_refer": REQUIRED,
        },
        required=True,
    ),
    "indicators": Table(
        {
            "min_visits_per_year": REQUIRED,
            "min_visits_source": REQUIRED,
            "min_visits_verified": REQUIRED,
            "formula_source": REQUIRED,
            "formula_verified": REQUIRED,
        },
        required=True,
    ),
}


@dataclass(frozen=True)
class Target:
    """A control target: below these values the programme is controlled."""

    id: str
    programme: Programme
    en: str
    zh: str
    source: tuple[str, ...]
    min_age: int | None = None
    unless_programme: Programme | None = None
    systolic_below: int | None = None
    diastolic_below: int | None = None
    glucose_below: float | None = None


@dataclass(frozen=True)
class UrgentSign:
    """A sign that sends the patient up at once: a measured threshold or a ticked symptom."""

    code: str
    programmes: tuple[Programme, ...]
    en: str
    zh: str
    source: tuple[str, ...]
    systolic_at_least: int | None = None
    diastolic_at_least: int | None = None
    glucose_at_least: float | None = None
    glucose_at_most: float | None = None
    heart_rate_above: int | None = None

    @cached_property
    def measured(self) -> bool:
        """True when the sign compares a measured value (else it is a ticked symptom)."""
        return any(
            value is not None
            for value in (
                self.systolic_at_least,
                self.diastolic_at_least,
                self.glucose_at_least,
                self.glucose_at_most,
                self.heart_rate_above,
            )
        )


@dataclass(frozen=True)
class Symptom:
    """One box of a follow-up form's symptom list."""

    code: str
    programme: Programme
    en: str
    zh: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class Schedule:
    """Days to the next visit, and how many unsatisfactory visits in a row mean a referral."""

    satisfactory_days: int
    unsatisfactory_days: int
    referral_days: int
    consecutive_to_refer: int


@dataclass(frozen=True)
class ControlRules:
    """The whole table, typed."""

    version: str
    targets: tuple[Target, ...]
    urgent: tuple[UrgentSign, ...]
    symptoms: tuple[Symptom, ...]
    schedule: Schedule
    min_visits_per_year: int
    sources: dict[str, dict[str, str]]

    def cite(self, source: tuple[str, ...], zh: bool = False) -> str:
        """The short names of the sources a row names."""
        field = "short_zh" if zh else "short"
        return ("；" if zh else "; ").join(self.sources[key][field] for key in source)


def _sources(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _check_rows(data: dict[str, Any]) -> None:
    known = set(data["sources"])
    rows = [*data["target"], *data["urgent"], *data.get("symptom", [])]
    for row in rows:
        name = row.get("id") or row.get("code")
        for key in _sources(row["source"]):
            if key not in known:
                raise TableSchemaError(f"{TABLE_NAME}: {name}: unknown source {key!r}")
        if row["verified"] not in VERIFIED_STATES:
            raise TableSchemaError(f"{TABLE_NAME}: {name}: verified {row['verified']!r}")
    codes = [row["code"] for row in [*data["urgent"], *data.get("symptom", [])]]
    if len(codes) != len(set(codes)):
        raise TableSchemaError(f"{TABLE_NAME}: a symptom or urgent code is used twice")


def parse_rules(text: str) -> ControlRules:
    """The rules in TOML `text`, refused (TableSchemaError) unless they fit the schema."""
    data = tomllib.loads(text)
    check(TABLE_NAME, data, SCHEMA)
    _check_rows(data)
    targets = tuple(
        Target(
            id=row["id"],
            programme=Programme(row["programme"]),
            en=row["en"],
            zh=row["zh"],
            source=_sources(row["source"]),
            min_age=row.get("min_age"),
            unless_programme=(
                Programme(row["unless_programme"]) if "unless_programme" in row else None
            ),
            systolic_below=row.get("systolic_below"),
            diastolic_below=row.get("diastolic_below"),
            glucose_below=row.get("glucose_below"),
        )
        for row in data["target"]
    )
    urgent = tuple(
        UrgentSign(
            code=row["code"],
            programmes=tuple(Programme(p) for p in row["programmes"]),
            en=row["en"],
            zh=row["zh"],
            source=_sources(row["source"]),
            systolic_at_least=row.get("systolic_at_least"),
            diastolic_at_least=row.get("diastolic_at_least"),
            glucose_at_least=row.get("glucose_at_least"),
            glucose_at_most=row.get("glucose_at_most"),
            heart_rate_above=row.get("heart_rate_above"),
        )
        for row in data["urgent"]
    )
    symptoms = tuple(
        Symptom(
            code=row["code"],
            programme=Programme(row["programme"]),
            en=row["en"],
            zh=row["zh"],
            source=_sources(row["source"]),
        )
        for row in data.get("symptom", [])
    )
    schedule = data["schedule"]
    return ControlRules(
        version=str(data["meta"]["version"]),
        targets=targets,
        urgent=urgent,
        symptoms=symptoms,
        schedule=Schedule(
            satisfactory_days=int(schedule["satisfactory_days"]),
            unsatisfactory_days=int(schedule["unsatisfactory_days"]),
            referral_days=int(schedule["referral_days"]),
            consecutive_to_refer=int(schedule["consecutive_to_refer"]),
        ),
        min_visits_per_year=int(data["indicators"]["min_visits_per_year"]),
        sources={key: dict(value) for key, value in data["sources"].items()},
    )


@cache
def control_rules() -> ControlRules:
    """The packaged rule table, read and checked once per process."""
    text = resources.files("clinic_tui.followup").joinpath(TABLE_NAME).read_text(encoding="utf-8")
    return parse_rules(text)
