"""Vital signs against their cited normal ranges, by age: classify_vital(code, value, age).

The ranges are data (vital_ranges.toml beside this file), one band per row with its
source; this module only reads and applies them. Pure apart from reading that file once.
A value no band of its age covers is left unflagged (None), never guessed; a value outside
the plausible limits is a typing error to refuse on entry (implausible()).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

from clinic_tui.domain.ages import age_in_months, age_in_years
from clinic_tui.domain.table_schema import (
    LEAF,
    META,
    REQUIRED,
    ROW_REVIEW,
    Named,
    Rows,
    Spec,
    Table,
    check,
)

Flag = Literal["normal", "low", "high", "very low", "very high"]
SYSTOLIC: Final = "8480-6"
DIASTOLIC: Final = "8462-4"
BLOOD_PRESSURE: Final = "85354-9"
BMI: Final = "39156-5"
WEIGHT: Final = "29463-7"
HEIGHT: Final = "8302-2"
_SEVERITY: Final[dict[str, int]] = {
    "normal": 0,
    "low": 1,
    "high": 1,
    "very low": 2,
    "very high": 2,
}


@dataclass(frozen=True)
class Age:
    """Completed days, months and years of age on the day of a measurement."""

    days: int
    months: int
    years: int

    @classmethod
    def on(cls, birth_date: date, day: date) -> Age:
        """The age on `day` of someone born on `birth_date` (0 before birth)."""
        return cls(
            days=max((day - birth_date).days, 0),
            months=age_in_months(birth_date, day),
            years=age_in_years(birth_date, day) or 0,
        )

    def at_least(self, bound: str) -> bool:
        """True when this age has reached `bound` ('28d', '6mo', '16y')."""
        number, unit = _bound(bound)
        held = {"d": self.days, "mo": self.months, "y": self.years}[unit]
        return held >= number


def _bound(text: str) -> tuple[int, str]:
    for unit in ("mo", "d", "y"):
        if text.endswith(unit) and text[: -len(unit)].isdigit():
            return int(text[: -len(unit)]), unit
    raise ValueError(f"not an age bound: {text!r}")


@dataclass(frozen=True)
class Source:
    """Where a band comes from: the full citation and the short name shown beside a flag."""

    cite: str
    short: str
    short_zh: str


@dataclass(frozen=True)
class Band:
    """One row of the table: a flag for values of one code at some ages."""

    code: str
    flag: Flag
    meaning: str
    meaning_zh: str
    source: Source
    age_from: str | None = None
    age_below: str | None = None
    low: float | None = None
    below: float | None = None

    def covers(self, value: float, age: Age) -> bool:
        """True when `value` at `age` falls in this band."""
        if self.age_from is not None and not age.at_least(self.age_from):
            return False
        if self.age_below is not None and age.at_least(self.age_below):
            return False
        if self.low is not None and value < self.low:
            return False
        return self.below is None or value < self.below


@dataclass(frozen=True)
class VitalFlag:
    """How a measurement compares with its range: the flag, what it means, and the source."""

    flag: Flag
    meaning: str
    """English, e.g. 'hypertension grade 2 (systolic 160-179)'."""
    meaning_zh: str
    """The same in Chinese, e.g. '2级高血压（收缩压 160–179）'."""
    source: Source

    @property
    def abnormal(self) -> bool:
        """Outside the normal range (shown with '!')."""
        return self.flag != "normal"

    @property
    def critical(self) -> bool:
        """Far outside it (shown with '!!')."""
        return self.flag in ("very low", "very high")


@cache
def bands() -> tuple[Band, ...]:
    """Every band of vital_ranges.toml, checked: a known flag and a cited source each."""
    table = _table()
    sources = {key: Source(**value) for key, value in table["sources"].items()}
    loaded = []
    for row in table["band"]:
        if row["flag"] not in _SEVERITY:
            raise ValueError(f"unknown flag {row['flag']!r} in vital_ranges.toml")
        if row["source"] not in sources:
            raise ValueError(f"no source {row['source']!r} in vital_ranges.toml")
        for key in ("age_from", "age_below"):
            if key in row:
                _bound(row[key])
        loaded.append(
            Band(
                code=row["code"],
                flag=row["flag"],
                meaning=row["meaning"],
                meaning_zh=row["meaning_zh"],
                source=sources[row["source"]],
                age_from=row.get("age_from"),
                age_below=row.get("age_below"),
                low=row.get("from"),
                below=row.get("below"),
            )
        )
    return tuple(loaded)


SCHEMA: Final[dict[str, Spec]] = {
    "meta": META,
    "sources": Named(Table({"cite": REQUIRED, "short": REQUIRED, "short_zh": REQUIRED})),
    "band": Rows(
        {
            "code": REQUIRED,
            "flag": REQUIRED,
            "meaning": REQUIRED,
            "meaning_zh": REQUIRED,
            "source": REQUIRED,
            "age_from": LEAF,
            "age_below": LEAF,
            "from": LEAF,
            "below": LEAF,
            **ROW_REVIEW,
        },
        name_key="code",
    ),
    "plausible": Named(LEAF),
}
"""Every key vital_ranges.toml may hold (domain/table_schema.py): others are refused."""


@cache
def _table() -> dict[str, Any]:
    text = resources.files("clinic_tui.domain").joinpath("vital_ranges.toml").read_text("utf-8")
    data = tomllib.loads(text)
    check("vital_ranges.toml", data, SCHEMA)
    return data


def classify_vital(
    code: str, value: float, age: Age | None, *, diastolic: float | None = None
) -> VitalFlag | None:
    """The flag of a measurement of LOINC `code` at `age`; None when no cited range covers it
    (unknown age, or no range for that age).

    A blood pressure (85354-9) is its systolic `value` and `diastolic`, flagged by the worse.
    """
    if age is None:
        return None
    if code == BLOOD_PRESSURE:
        found = [classify_vital(SYSTOLIC, value, age)]
        if diastolic is not None:
            found.append(classify_vital(DIASTOLIC, diastolic, age))
        known = [flag for flag in found if flag is not None]
        if not known:
            return None
        return max(known, key=lambda flag: _SEVERITY[flag.flag])
    matches = [band for band in bands() if band.code == code and band.covers(value, age)]
    if not matches:
        return None
    worst = max(matches, key=lambda band: _SEVERITY[band.flag])
    return VitalFlag(worst.flag, worst.meaning, worst.meaning_zh, worst.source)


def plausible_range(code: str) -> tuple[float, float] | None:
    """The (lowest, highest) value a measurement of `code` can have; None when unlimited."""
    limits = _table()["plausible"].get(code)
    return (float(limits[0]), float(limits[1])) if limits else None


def implausible(code: str, value: float) -> str | None:
    """Why `value` cannot be a measurement of `code` (a typing error), or None when it can."""
    limits = plausible_range(code)
    if limits is None or limits[0] <= value <= limits[1]:
        return None
    low, high = (f"{limit:g}" for limit in limits)
    return f"{value:g} is outside {low}-{high}: a typing error?"


def bmi(weight_kg: float, height_cm: float) -> float | None:
    """Body mass index, kg/m2, to one decimal; None for a height or weight no person has."""
    if implausible(WEIGHT, weight_kg) or implausible(HEIGHT, height_cm):
        return None
    return round(weight_kg / (height_cm / 100) ** 2, 1)


def table_data() -> dict[str, Any]:
    """The whole table as read (schema-checked), for content review counts."""
    return _table()


def table_meta() -> dict[str, Any]:
    """The table's `[meta]`: content version and review state (table_schema.META)."""
    return dict(_table()["meta"])
