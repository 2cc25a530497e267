"""Every clinical rule table fits its schema; an unknown key is refused, never ignored;
every key a schema allows is read by the code (no field typed in TOML and never used)."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from clinic_tui.domain import vital_ranges
from clinic_tui.domain.table_schema import Leaf, Named, Rows, Table, TableSchemaError, check
from clinic_tui.prescribing.formulary import FormularyDataError, drugs_from_toml
from clinic_tui.prescribing.model import FormularyDrug
from clinic_tui.prescribing.rule_tables import parse_table
from clinic_tui.prescribing.table_specs import (
    DERIVED_DRUG_FIELDS,
    SCHEMAS,
    drug_keys,
    formulary_schema,
)

PRESCRIBING = Path(str(resources.files("clinic_tui.prescribing")))
DOMAIN = Path(str(resources.files("clinic_tui.domain")))
READERS = {
    "interactions.toml": ["interaction_check.py"],
    "allergy_classes.toml": ["allergy_check.py"],
    "duplicates.toml": ["checks.py"],
    "china_rules.toml": ["china_rules.py", "slip_kinds.py"],
    "childbearing.toml": ["checks.py"],
    "hla.toml": ["hla_check.py"],
    "release_forms.toml": ["release_forms.py"],
    "children_doses.toml": ["children_table.py"],
}
"""The modules that read each check table (a key they never name is a key never used)."""


def _text(name: str) -> str:
    folder = DOMAIN if name == "vital_ranges.toml" else PRESCRIBING
    return (folder / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_shipped_check_table_fits_its_schema(name: str) -> None:
    data = parse_table(name, _text(name), SCHEMAS[name])
    assert data["meta"]["version"]


def test_the_formulary_and_vital_ranges_fit_their_schemas() -> None:
    check("starter_formulary.toml", tomllib.loads(_text("starter_formulary.toml")),
          formulary_schema())  # fmt: skip
    check("vital_ranges.toml", tomllib.loads(_text("vital_ranges.toml")), vital_ranges.SCHEMA)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_an_unknown_key_in_a_row_is_refused_naming_table_row_and_key(name: str) -> None:
    data = tomllib.loads(_text(name))
    schema = SCHEMAS[name]
    rows = next((key for key, spec in schema.items() if isinstance(spec, Rows)), None)
    named = next((k for k, v in schema.items() if k != "sources" and isinstance(v, Named)), None)
    if rows is not None:
        data[rows][0]["severity_typo"] = "high"
        where = f"{rows} > row 1"
    elif named is not None:  # children_doses.toml: rows keyed by drug code
        first = next(iter(data[named]))
        data[named][first]["severity_typo"] = "high"
        where = f"{named} > {first}"
    else:  # china_rules.toml: no rows, tables instead
        data["slip"]["severity_typo"] = 5
        where = "slip"
    with pytest.raises(TableSchemaError, match=rf"{name}: {where}.*: unknown key 'severity_typo'"):
        check(name, data, schema)


def test_a_misspelt_formulary_key_is_refused_not_ignored() -> None:
    text = _text("starter_formulary.toml").replace(
        "adult_max_daily = 4000\n", "adult_max_dialy = 4000\n", 1
    )
    with pytest.raises(
        FormularyDataError, match=r"drug > row \d+ \(\w+\): unknown key 'adult_max_dialy'"
    ):
        drugs_from_toml(text)


def test_a_vital_band_with_an_unknown_key_is_refused() -> None:
    data = tomllib.loads(_text("vital_ranges.toml"))
    data["band"][3]["below_"] = 90
    with pytest.raises(TableSchemaError, match=r"vital_ranges.toml: band > row 4 .*'below_'"):
        check("vital_ranges.toml", data, vital_ranges.SCHEMA)


def test_a_table_without_its_version_is_refused() -> None:
    data = tomllib.loads(_text("duplicates.toml"))
    del data["meta"]["version"]
    with pytest.raises(TableSchemaError, match="meta: missing key 'version'"):
        check("duplicates.toml", data, SCHEMAS["duplicates.toml"])


def test_the_formulary_keys_follow_formulary_drug() -> None:
    keys = drug_keys()
    for item in dataclasses.fields(FormularyDrug):
        assert (item.name in keys) is (item.name not in DERIVED_DRUG_FIELDS), item.name


def _every_field_row() -> str:
    """A [[drug]] row setting every key the schema allows, each to a value not the default."""
    return """
[meta]
version = "t"
review = "unreviewed"
[sources]
s = "Source"
[[drug]]
code = "x"
name_en = "X"
name_zh = "某药"
atc = "A01"
classes = ["nsaid"]
routes = ["po", "iv"]
unit = "µg"
products = [{ form = "tablet", strength = 5, unit_en = "tablet", unit_zh = "片" }]
adult_dose = [1, 2]
adult_max_daily = 8
child_per_kg_day = [1, 2]
child_max_daily = 4
pregnancy = "avoid"
breastfeeding = "avoid"
antimicrobial = true
controlled = "toxic"
no_long_term = true
renal_caution = "r"
elderly_caution = "e"
synonyms = ["y"]
adult_max_dose = 3
egfr_avoid_below = 30
generic = false
review = "reviewed"
reviewed_by = "Dr Wang"
reviewed_on = "2026-12-01"
unverified = ["child_max_daily"]
elderly_max_daily = 1
elderly_max_days = 56
[drug.cite]
adult_dose = "s: p. 1"
adult_max_daily = "s"
adult_max_dose = "s"
child_per_kg_day = "s"
pregnancy = "s"
breastfeeding = "s"
renal_caution = "s"
elderly_caution = "s"
egfr_avoid_below = "s"
elderly_max_daily = "s"
elderly_max_days = "s"
"""


def test_every_formulary_key_is_read_into_the_drug() -> None:
    # A field added to FormularyDrug is a key the table may hold (the schema follows the
    # dataclass); this fails until formulary.py reads it too.
    text = _every_field_row()
    present = set(re.findall(r"^(\w+) =", text.split("[drug.cite]")[0], re.MULTILINE))
    present.add("cite")
    for key in drug_keys():
        if key not in present:
            pytest.fail(f"the every-field row lacks {key!r}: add it, and read it in formulary.py")
    drug = drugs_from_toml(text)[0]
    blank = FormularyDrug(code="", name_en="", name_zh="", atc="")
    other_tables = DERIVED_DRUG_FIELDS - {"sources", "cited"}  # children_doses.toml's
    for item in dataclasses.fields(FormularyDrug):
        if item.name not in other_tables:
            assert getattr(drug, item.name) != getattr(blank, item.name), item.name


def _keys(spec: Table | Rows | Named | Leaf) -> set[str]:
    if isinstance(spec, Table | Rows):
        found = set(spec.keys)
        for inner in spec.keys.values():
            found |= _keys(inner)
        return found
    if isinstance(spec, Named):
        return _keys(spec.shape)
    return set()


REVIEW_KEYS = {"meta", "version", "review", "reviewed_by", "reviewed_on", "note"}
"""Read for every table by content.py (versions, review counts) through table_schema.py's
review_state, not by the check that uses the rows: test_review_keys_are_read below."""


def test_review_keys_are_read() -> None:
    source = (PRESCRIBING / "content.py").read_text(encoding="utf-8") + (
        DOMAIN / "table_schema.py"
    ).read_text(encoding="utf-8")
    for key in REVIEW_KEYS - {"meta", "note"}:
        assert f'"{key}"' in source, key


@pytest.mark.parametrize("name", sorted(READERS))
def test_every_key_a_check_table_allows_is_read_by_its_checker(name: str) -> None:
    source = "".join(
        (PRESCRIBING / module).read_text(encoding="utf-8")
        for module in [*READERS[name], "rule_tables.py"]
    )
    schema = SCHEMAS[name]
    keys = set(schema)
    for spec in schema.values():
        keys |= _keys(spec)
    unread = sorted(
        key
        for key in keys - REVIEW_KEYS
        if f'"{key}"' not in source and f"'{key}'" not in source and key != "sources"
    )
    assert not unread, f"{name}: keys the schema allows but no checker reads: {unread}"
