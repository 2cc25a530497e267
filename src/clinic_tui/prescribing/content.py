"""Which clinical content is in force, and what the formulary covers.

Every rule table carries `[meta] version` (table_schema.py). `content_versions` reads them
all; the signed MedicationRequest records them in one extension (medication_request.py,
CONTENT_URL) so one can tell later which content checked an order, and `clinic-tui status`
shows them. `coverage` says, per drug, which of the checks' data the formulary holds, for
`clinic-tui formulary coverage`: one small function per column, so a column whose field is
added by another change (children's doses, minimum age) needs only its function changed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from clinic_tui.i18n import NC_, pgettext
from clinic_tui.prescribing.model import FormularyDrug, Pregnancy

TABLES = (
    "starter_formulary.toml",
    "children_doses.toml",
    "interactions.toml",
    "allergy_classes.toml",
    "duplicates.toml",
    "childbearing.toml",
    "hla.toml",
    "release_forms.toml",
    "china_rules.toml",
    "vital_ranges.toml",
)
"""Every clinical rule table shipped, by file name."""


@cache
def content_versions() -> dict[str, str]:
    """Table file name -> its `[meta] version`, for every shipped rule table."""
    from clinic_tui.domain import vital_ranges
    from clinic_tui.prescribing.rule_tables import load_table

    versions: dict[str, str] = {}
    for name in TABLES:
        if name == "vital_ranges.toml":
            meta = vital_ranges.table_meta()
        elif name == "starter_formulary.toml":
            text = resources.files("clinic_tui.prescribing").joinpath(name).read_text("utf-8")
            meta = tomllib.loads(text).get("meta", {})
        else:
            meta = load_table(name).get("meta", {})
        versions[name] = str(meta.get("version", "?"))
    return versions


@dataclass(frozen=True)
class TableReview:
    """How many rows of one table are reviewed (review_state of each, its [meta] default)."""

    table: str
    version: str
    rows: int
    reviewed: int


def table_reviews() -> list[TableReview]:
    """Per shipped table: its version and how many of its rows a named reviewer signed off."""
    from clinic_tui.domain import vital_ranges
    from clinic_tui.domain.table_schema import Named, Rows, Table, review_state
    from clinic_tui.prescribing.rule_tables import load_table
    from clinic_tui.prescribing.table_specs import SCHEMAS, formulary_schema

    found = []
    for name in TABLES:
        if name == "vital_ranges.toml":
            data, schema = vital_ranges.table_data(), vital_ranges.SCHEMA
        elif name == "starter_formulary.toml":
            text = resources.files("clinic_tui.prescribing").joinpath(name).read_text("utf-8")
            data, schema = tomllib.loads(text), formulary_schema()
        else:
            data, schema = load_table(name), SCHEMAS[name]
        meta = data.get("meta", {})
        rows = [
            row
            for key, spec in schema.items()
            if isinstance(spec, Rows)
            for row in data.get(key, [])
        ]
        # Rows keyed by id ([drug.<code>] of children_doses.toml) count as rows too.
        rows += [
            row
            for key, spec in schema.items()
            if key != "sources" and isinstance(spec, Named) and isinstance(spec.shape, Table)
            for row in data.get(key, {}).values()
        ]
        reviewed = sum(review_state(row, meta)[0] == "reviewed" for row in rows)
        found.append(TableReview(name, str(meta.get("version", "?")), len(rows), reviewed))
    return found


def content_version_text(versions: dict[str, str] | None = None) -> str:
    """One line: the version when every table has the same, else each table's."""
    found = versions if versions is not None else content_versions()
    distinct = set(found.values())
    if len(distinct) == 1:
        return next(iter(distinct))
    return "; ".join(f"{name.removesuffix('.toml')} {version}" for name, version in found.items())


# ----- coverage ------------------------------------------------------------------------------

UNVERIFIED = "?"
"""A cell whose field no source read gives (the row lists it in `unverified`)."""
NO_FIXED_MAXIMUM = "indiv"
"""A ceiling the row cites without a value: the source doses it individually (insulin)."""
Present = Callable[[FormularyDrug], str]
"""A column: what the drug holds for it, in a few words ('' when nothing)."""


def _ceiling(drug: FormularyDrug, field: str, value: float | None) -> str:
    if value is not None:
        # Mega units of benzylpenicillin in full (24000000), never 2.4e+07.
        return f"{value:g}" if value < 1e6 else f"{value:.0f}"
    if field in drug.unverified:
        return UNVERIFIED
    # Cited with no value: the source says there is no fixed maximum (dosed individually).
    return NO_FIXED_MAXIMUM if drug.source_of(field) else ""


def _adult_max(drug: FormularyDrug) -> str:
    return _ceiling(drug, "adult_max_daily", drug.adult_max_daily)


def _per_dose_max(drug: FormularyDrug) -> str:
    return _ceiling(drug, "adult_max_dose", drug.adult_max_dose)


def _children(drug: FormularyDrug) -> str:
    # Children's doses come from children_doses.toml (FormularyDrug.children); a drug it does
    # not name falls back to the formulary row's mg/kg/day range.
    if drug.children is not None:
        return "table"
    return "mg/kg" if drug.child_per_kg_day is not None else ""


def _minimum_age(drug: FormularyDrug) -> str:
    months = drug.min_age_months
    if months is None:
        return ""
    return f"{months // 12}y" if months % 12 == 0 else f"{months}mo"


_PREGNANCY_WORDS = {
    Pregnancy.CONTRAINDICATED: "CI",
    Pregnancy.AVOID: "avoid",
    Pregnancy.CAUTION: "caution",
    Pregnancy.COMPATIBLE: "ok",
}


def _pregnancy(drug: FormularyDrug) -> str:
    return _PREGNANCY_WORDS.get(drug.pregnancy, "")


def _renal(drug: FormularyDrug) -> str:
    if drug.egfr_avoid_below is not None:
        return f"<{drug.egfr_avoid_below:g}"
    return "yes" if drug.renal_caution else ""


def _elderly(drug: FormularyDrug) -> str:
    return "Beers" if "Beers" in drug.elderly_caution else ("yes" if drug.elderly_caution else "")


_HEADINGS = {
    "max/d": NC_("coverage", "max/d"),
    "max/dose": NC_("coverage", "max/dose"),
    "child": NC_("coverage", "child"),
    "age": NC_("coverage", "age"),
    "preg": NC_("coverage", "preg"),
    "renal": NC_("coverage", "renal"),
    "65+": NC_("coverage", "65+"),
    "rev": NC_("coverage", "rev"),
}
_CELL_WORDS = {
    "table": NC_("coverage", "table"),
    "mg/kg": "mg/kg",
    "CI": NC_("coverage", "CI"),
    "avoid": NC_("coverage", "avoid"),
    "caution": NC_("coverage", "caution"),
    "ok": NC_("coverage", "ok"),
    "yes": NC_("coverage", "yes"),
    NO_FIXED_MAXIMUM: NC_("coverage", "indiv"),
}
_AGE = re.compile(r"(\d+)(y|mo)")


def heading_words(heading: str) -> str:
    """A coverage column's heading in the language in force ('max/d', '日最大量')."""
    return pgettext("coverage", _HEADINGS.get(heading, heading))


def cell_words(cell: str) -> str:
    """A coverage cell in the language in force: 'avoid' is 避免, '16y' is 16岁 in Chinese.

    The cells stay short codes in `coverage` (tests and scripts compare them); only the
    printed table is worded. Numbers, limits ('<30') and names (Beers) are the same in both.
    """
    if cell in _CELL_WORDS:
        return pgettext("coverage", _CELL_WORDS[cell])
    age = _AGE.fullmatch(cell)
    if age is not None:
        unit = NC_("coverage", "{n}y") if age.group(2) == "y" else NC_("coverage", "{n}mo")
        return pgettext("coverage", unit).format(n=age.group(1))
    return cell


COLUMNS: tuple[tuple[str, Present], ...] = (
    ("max/d", _adult_max),
    ("max/dose", _per_dose_max),
    ("child", _children),
    ("age", _minimum_age),
    ("preg", _pregnancy),
    ("renal", _renal),
    ("65+", _elderly),
)
"""The coverage report's columns after the drug: heading and what fills it."""


@dataclass(frozen=True)
class CoverageRow:
    """One drug's line of the coverage report."""

    code: str
    name_zh: str
    cells: tuple[str, ...]
    review: str


def coverage(drugs: Iterable[FormularyDrug]) -> list[CoverageRow]:
    """Per drug, what each column holds ('' for nothing), and its review state."""
    return [
        CoverageRow(drug.code, drug.name_zh, tuple(fill(drug) for _, fill in COLUMNS), drug.review)
        for drug in drugs
    ]


SYSTEMIC_ROUTES = ("po", "iv", "im", "sc", "sl", "pr")


def missing_ceilings(drugs: Iterable[FormularyDrug]) -> list[str]:
    """Codes of systemic drugs with no adult ceiling, none listed as unverified and none
    cited as having no fixed maximum."""
    missing = []
    for drug in drugs:
        if not any(route in SYSTEMIC_ROUTES for route in drug.routes):
            continue
        has = drug.adult_max_dose is not None or drug.adult_max_daily is not None
        listed = {"adult_max_dose", "adult_max_daily"} & set(drug.unverified)
        no_fixed = any(drug.source_of(name) for name in ("adult_max_dose", "adult_max_daily"))
        if not (has or listed or no_fixed):
            missing.append(drug.code)
    return missing
