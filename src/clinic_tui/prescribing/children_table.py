"""Reading children_doses.toml: each drug's children's doses, minimum age and adolescent rule.

The table has a schema: an unknown key, a value of the wrong kind, a citation naming a
source the table does not list or a row without its review state is refused with the drug
and key named, so a typing slip in the data never reads as "no limit". Citations are
expanded to the source's full text followed by where in it ("bnfc: Child 1-5 years" ->
"BNF for Children ..., Child 1-5 years").
"""

from __future__ import annotations

from functools import cache
from typing import Any

from clinic_tui.prescribing.model import ChildBand, ChildDosing
from clinic_tui.prescribing.rule_tables import load_table
from clinic_tui.prescribing.table_specs import BAND_KEYS, DRUG_KEYS

TABLE = "children_doses.toml"
REVIEW_STATES = ("unreviewed", "reviewed")

_NEEDS_CITE = {
    "adult_from_years": "adult_cite",
    "adult_from_kg": "adult_cite",
    "min_age_months": "min_age_cite",
    "not_for_children": "not_for_children_cite",
    "caution_below_months": "caution_cite",
    "parts": "parts_cite",
    "ors_plan_a": "ors_cite",
    "ors_plan_b_ml_per_kg": "ors_cite",
}
"""A drug-level value and the citation it must carry."""


class ChildrenTableError(ValueError):
    """A row of children_doses.toml that cannot be used, named by drug and key."""


def _cite(code: str, reference: object, sources: dict[str, Any]) -> str:
    if not isinstance(reference, str) or not reference.strip():
        raise ChildrenTableError(f"{code}: a citation must be 'source-key: where'")
    key, _, where = reference.partition(":")
    source = sources.get(key.strip())
    if source is None:
        raise ChildrenTableError(f"{code}: source {key.strip()!r} is not listed under [sources]")
    text = str(source["cite"])
    return f"{text}; {where.strip()}" if where.strip() else text


def _number(code: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ChildrenTableError(f"{code}: {key} must be a number")
    return float(value)


def _pair(code: str, key: str, value: object) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ChildrenTableError(f"{code}: {key} must be [low, high]")
    low, high = (_number(code, key, item) for item in value)
    if low > high:
        raise ChildrenTableError(f"{code}: {key} low is above high")
    return low, high


def _months(code: str, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ChildrenTableError(f"{code}: {key} must be whole months, 0 or more")
    return value


def _optional(row: dict[str, Any], key: str, code: str) -> float | None:
    return _number(code, key, row[key]) if key in row else None


def _band(code: str, row: dict[str, Any], sources: dict[str, Any]) -> ChildBand:
    unknown = set(row) - BAND_KEYS
    if unknown:
        raise ChildrenTableError(f"{code}: unknown band keys {sorted(unknown)}")
    if "cite" not in row:
        raise ChildrenTableError(f"{code}: a band without its cite")
    if not any(key in row for key in ("per_kg_day", "dose", "max_dose", "max_daily")):
        raise ChildrenTableError(f"{code}: a band with no dose or limit")
    return ChildBand(
        cite=_cite(code, row["cite"], sources),
        from_months=_months(code, "from_months", row["from_months"])
        if "from_months" in row
        else None,
        below_months=_months(code, "below_months", row["below_months"])
        if "below_months" in row
        else None,
        above_kg=_optional(row, "above_kg", code),
        up_to_kg=_optional(row, "up_to_kg", code),
        neonatal=bool(row.get("neonatal", False)),
        per_kg_day=_pair(code, "per_kg_day", row["per_kg_day"]) if "per_kg_day" in row else None,
        max_per_kg_day=_optional(row, "max_per_kg_day", code),
        dose=_pair(code, "dose", row["dose"]) if "dose" in row else None,
        above_usual_moderate=bool(row.get("above_usual_moderate", False)),
        max_dose=_optional(row, "max_dose", code),
        max_daily=_optional(row, "max_daily", code),
    )


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key, "")
    return value if isinstance(value, str) else ""


def _plan_a(code: str, rows: object) -> tuple[tuple[int | None, int | None, float, float], ...]:
    if not isinstance(rows, list):
        raise ChildrenTableError(f"{code}: ors_plan_a must be a list")
    found: list[tuple[int | None, int | None, float, float]] = []
    for item in rows:
        if not isinstance(item, list) or len(item) != 4:
            raise ChildrenTableError(f"{code}: ors_plan_a rows are [from, below, low, high]")
        start, stop = (
            None if value == -1 else _months(code, "ors_plan_a", value) for value in item[:2]
        )
        low, high = _pair(code, "ors_plan_a", item[2:])
        found.append((start, stop, low, high))
    return tuple(found)


def _dosing(code: str, row: dict[str, Any], sources: dict[str, Any]) -> ChildDosing:
    unknown = set(row) - DRUG_KEYS
    if unknown:
        raise ChildrenTableError(f"{code}: unknown keys {sorted(unknown)}")
    if row.get("review") not in REVIEW_STATES:
        raise ChildrenTableError(f"{code}: review must be one of {REVIEW_STATES}")
    for key, cite_key in _NEEDS_CITE.items():
        if key in row and cite_key not in row:
            raise ChildrenTableError(f"{code}: {key} without {cite_key}")

    def cited(key: str) -> str:
        return _cite(code, row[key], sources) if key in row else ""

    parts = tuple(
        (
            _number(code, "parts", item[0]),
            _number(code, "parts", item[1]),
            _number(code, "parts", item[2]),
        )
        for item in row.get("parts", ())
    )
    names = row.get("parts_en", ["", ""])
    return ChildDosing(
        review=row["review"],
        bands=tuple(_band(code, band, sources) for band in row.get("band", ())),
        adult_from_years=_months(code, "adult_from_years", row["adult_from_years"])
        if "adult_from_years" in row
        else None,
        adult_from_kg=_optional(row, "adult_from_kg", code),
        adult_needs_both=bool(row.get("adult_needs_both", False)),
        adult_cite=cited("adult_cite"),
        min_age_cite=cited("min_age_cite"),
        min_age_en=_text(row, "min_age_en"),
        min_age_zh=_text(row, "min_age_zh"),
        not_for_children=bool(row.get("not_for_children", False)),
        not_for_children_cite=cited("not_for_children_cite"),
        caution_below_months=_months(code, "caution_below_months", row["caution_below_months"])
        if "caution_below_months" in row
        else None,
        caution_en=_text(row, "caution_en"),
        caution_zh=_text(row, "caution_zh"),
        caution_cite=cited("caution_cite"),
        parts=parts,
        parts_en=(str(names[0]), str(names[1])),
        second_max_per_kg_day=_optional(row, "second_max_per_kg_day", code),
        parts_cite=cited("parts_cite"),
        ors_plan_a=_plan_a(code, row["ors_plan_a"]) if "ors_plan_a" in row else (),
        ors_plan_b_ml_per_kg=_optional(row, "ors_plan_b_ml_per_kg", code),
        ors_cite=cited("ors_cite"),
    )


def read_children(table: dict[str, Any]) -> dict[str, tuple[ChildDosing, int | None]]:
    """Drug code -> (its children's dosing, its minimum age in months) of a parsed table."""
    sources: dict[str, Any] = table.get("sources", {})
    for key, source in sources.items():
        if not isinstance(source, dict) or not str(source.get("cite", "")).strip():
            raise ChildrenTableError(f"source {key!r} has no cite")
    unknown = set(table) - {"meta", "sources", "drug"}
    if unknown:
        raise ChildrenTableError(f"unknown top-level keys {sorted(unknown)}")
    found: dict[str, tuple[ChildDosing, int | None]] = {}
    for code, row in table.get("drug", {}).items():
        minimum = row.get("min_age_months")
        found[code] = (
            _dosing(code, row, sources),
            _months(code, "min_age_months", minimum) if minimum is not None else None,
        )
    return found


@cache
def children_table() -> dict[str, tuple[ChildDosing, int | None]]:
    """The shipped children_doses.toml, read and checked once."""
    return read_children(load_table(TABLE))
