"""Clinical content is versioned and reviewable: the version in force on every table, in
`status`, on each signed MedicationRequest; `formulary coverage` per drug; a formulary TOML
import goes through the schema; every systemic drug has a ceiling or says it has none."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest

from clinic_tui.prescribing.content import (
    COLUMNS,
    TABLES,
    content_version_text,
    content_versions,
    coverage,
    missing_ceilings,
)
from clinic_tui.prescribing.formulary import starter_drugs, starter_formulary
from clinic_tui.prescribing.medication_request import CONTENT_URL, medication_request_for
from clinic_tui.prescribing.model import FormularyDrug
from clinic_tui.prescribing.order_line import parse_order_line
from clinic_tui.prescribing.slip_kinds import paediatric_below_age, slip_kind_for
from clinic_tui.terminology.starter import starter_concepts
from tests.conftest import Cli


def test_every_table_has_a_version_in_force() -> None:
    versions = content_versions()
    assert set(versions) == set(TABLES)
    assert all(version and version != "?" for version in versions.values())
    assert content_version_text(versions)


def test_a_signed_order_records_the_content_that_checked_it() -> None:
    parsed = parse_order_line("amoxicillin 500mg po tid 5d", starter_formulary())
    assert parsed.order is not None
    resource = medication_request_for(
        parsed.order,
        "pat-1",
        None,
        {"reference": "Practitioner/d-1"},
        "rx-1",
        datetime(2026, 12, 1, tzinfo=UTC),
        [],
        content=content_versions(),
    )
    MedicationRequest.model_validate(resource)
    stamp = next(e for e in resource["extension"] if e["url"] == CONTENT_URL)
    parts = {part["url"]: part["valueString"] for part in stamp["extension"]}
    assert parts == content_versions()


def test_status_shows_the_clinical_content_version(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli("status", "--json", "--data-dir", str(tmp_path / "data"))
    assert code == 0
    assert json.loads(out)["clinical_content"] == content_versions()


def rows_drug(code: str) -> FormularyDrug:
    """The starter formulary's row for code."""
    drug = starter_formulary().find(code)
    assert drug is not None, code
    return drug


def test_coverage_has_a_cell_per_column_and_shows_unverified_ceilings() -> None:
    rows = {row.code: row for row in coverage(starter_drugs())}
    assert all(len(row.cells) == len(COLUMNS) for row in rows.values())
    headings = [name for name, _ in COLUMNS]
    digoxin = dict(zip(headings, rows["digoxin"].cells, strict=True))
    assert digoxin["max/d"] == "1.5"
    assert digoxin["65+"] == "Beers"
    # A ceiling listed unverified shows '?' (issue #19 left no such row in the starter table).
    zinc = replace(rows_drug("zinc-sulfate"), adult_max_daily=None, unverified=("adult_max_daily",))
    assert dict(zip(headings, coverage([zinc])[0].cells, strict=True))["max/d"] == "?"
    assert dict(zip(headings, rows["metformin"].cells, strict=True))["renal"] == "<30"
    # Children's columns read children_doses.toml through FormularyDrug.children.
    amoxicillin = dict(zip(headings, rows["amoxicillin"].cells, strict=True))
    assert amoxicillin["child"] == "table"
    assert any(dict(zip(headings, row.cells, strict=True))["age"] for row in rows.values())


def test_coverage_command_draws_a_plain_table_with_no_color(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, _ = cli("formulary", "coverage", "--data-dir", str(tmp_path / "data"))
    assert code == 0
    assert "\x1b[" not in out
    assert "gliclazide-mr" in out
    assert re.search(r"interactions\.toml \S+: \d+ of \d+ rows reviewed", out)
    assert "unverified" in out.replace("\n", " ")


def test_every_systemic_drug_has_a_ceiling_or_is_listed_unverified() -> None:
    assert missing_ceilings(starter_drugs()) == []


def test_a_formulary_toml_with_an_unknown_key_is_refused_on_import(
    cli: Cli, tmp_path: Path
) -> None:
    source = tmp_path / "hospital.toml"
    source.write_text(
        '[meta]\nversion = "h1"\nreview = "unreviewed"\n[sources]\nh = "Hospital list"\n'
        '[[drug]]\ncode = "x"\nname_en = "X"\nname_zh = "某药"\nadult_max_dialy = 4\n'
        'products = [{ form = "tablet", strength = 5, unit_en = "tablet", unit_zh = "片" }]\n',
        encoding="utf-8",
    )
    code, _, err = cli("formulary", "import", "--from", str(source), "--data-dir",
                       str(tmp_path / "data"))  # fmt: skip
    assert code != 0
    assert "adult_max_dialy" in err
    assert "nothing was imported" in err


def test_a_formulary_toml_that_fits_is_imported(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "hospital.toml"
    source.write_text(
        '[meta]\nversion = "h1"\nreview = "unreviewed"\n[sources]\nh = "Hospital list"\n'
        '[[drug]]\ncode = "xdrug"\nname_en = "Xdrug"\nname_zh = "某药"\nadult_max_daily = 4\n'
        'products = [{ form = "tablet", strength = 5, unit_en = "tablet", unit_zh = "片" }]\n'
        '[drug.cite]\nadult_max_daily = "h: p. 3"\n',
        encoding="utf-8",
    )
    data = str(tmp_path / "data")
    code, out, _ = cli("formulary", "import", "--from", str(source), "--data-dir", data)
    assert code == 0, out
    code, out, _ = cli("formulary", "search", "xdrug", "--data-dir", data)
    assert code == 0
    assert "xdrug" in out


def test_the_slip_kind_follows_the_visit_the_strictest_winning() -> None:
    morphine = parse_order_line("morphine 10mg po q4h 1d", starter_formulary()).order
    assert morphine is not None
    child = paediatric_below_age() - 1
    assert slip_kind_for(None, 40, []) == "ordinary"
    assert slip_kind_for("EM", 40, []) == "emergency"
    assert slip_kind_for(None, child, []) == "paediatric"
    assert slip_kind_for("EM", child, []) == "emergency"  # 3 days before 7
    assert slip_kind_for("EM", child, [morphine]) == "narcotic-psychotropic-1"
    assert slip_kind_for("UR", paediatric_below_age(), []) == "ordinary"


def test_the_icd10_starter_codes_atrial_fibrillation_by_subcategory() -> None:
    codes = {concept.code for concept in starter_concepts()}
    assert "I48" not in codes
    assert {"I48.0", "I48.1", "I48.2", "I48.3", "I48.4", "I48.9"} <= codes


def test_oral_metronidazole_is_an_antiprotozoal_atc() -> None:
    drug = starter_formulary().find("metronidazole")
    assert drug is not None
    assert drug.atc == "P01AB01"


def test_a_csv_import_carries_the_per_dose_maximum_and_the_egfr_limit() -> None:
    from clinic_tui.prescribing.formulary_csv import read_formulary_csv

    rows = (
        "code,name_en,name_zh,form,strength,strength_unit,unit_en,unit_zh,adult_max_dose,"
        "egfr_avoid_below,source\n"
        "xmet,Xmet,某双胍,tablet,500,mg,tablet,片,1000,30,Hospital list p. 4\n"
    )
    (drug,) = read_formulary_csv(rows)
    assert drug.adult_max_dose == 1000
    assert drug.egfr_avoid_below == 30
    assert drug.source_of("egfr_avoid_below") == "Hospital list p. 4"


def test_each_table_counts_its_reviewed_rows() -> None:
    from clinic_tui.prescribing.content import table_reviews

    reviews = {review.table: review for review in table_reviews()}
    assert set(reviews) == set(TABLES)
    assert reviews["starter_formulary.toml"].rows == len(starter_drugs())
    assert reviews["interactions.toml"].rows > 0
    # Nothing is signed off yet: every row is unreviewed until a pharmacist reviews it.
    assert all(review.reviewed == 0 for review in reviews.values())


def test_coverage_in_chinese_says_its_words_in_chinese(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, _ = cli("--lang", "zh", "formulary", "coverage", "--data-dir", str(tmp_path / "d"))
    assert code == 0
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.split()}
    # A walk found 'table', 'avoid', 'yes', '16y' under Chinese headings.
    assert lines["编码"] == [
        "编码",
        "日最大量",
        "次最大量",
        "儿童",
        "年龄",
        "妊娠",
        "肾功能",
        "老年",
        "审核",
    ]
    assert lines["aspirin"][3:5] == ["剂量表", "16岁"]
    assert lines["atorvastatin"][5] == "避免"
    assert lines["allopurinol"][6] == "慎用"
    assert lines["cefaclor"][4] == "1月龄"
    english = {"table", "avoid", "caution", "ok", "yes", "CI", "indiv", "max/d", "preg", "rev"}
    assert not english & set(out.split()), english & set(out.split())
