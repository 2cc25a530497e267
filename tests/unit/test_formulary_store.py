"""The formulary in the cache: the starter on first use, a CSV import, search from the shell."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from clinic_tui.offline_cache.cache_file import connect, prepare_cache
from clinic_tui.prescribing.formulary import starter_drugs
from clinic_tui.prescribing.formulary_csv import FormularyCsvError, decode, read_formulary_csv
from clinic_tui.prescribing.formulary_store import (
    drug_from_json,
    drug_json,
    ensure_starter_formulary,
    read_formulary,
    write_drugs,
)
from tests.conftest import Cli

HEADER = (
    "code,name_en,name_zh,atc,classes,routes,form,strength,strength_unit,unit_en,unit_zh,"
    "pack_size,pack_unit_en,pack_unit_zh,adult_dose_low,adult_dose_high,adult_max_daily,"
    "pregnancy,antimicrobial,synonyms,source\n"
)
GOOD = HEADER + (
    "cefixime,Cefixime,头孢克肟,J01DD08,cephalosporin;antimicrobial,po,capsule,100,mg,capsule,粒,"
    ",,,100,200,400,,yes,cfx;世福素,FDA label Suprax (cefixime) 2019\n"
    "cefixime,,,,,,capsule,50,mg,capsule,粒,,,,,,,,,,\n"
    "amlodipine,Amlodipine,氨氯地平,C08CA01,ccb,po,tablet,5,mg,tablet,片,14,box,盒,,,,,no,,\n"
)


def test_every_starter_drug_survives_its_json() -> None:
    for drug in starter_drugs():
        assert drug_from_json(drug_json(drug)) == drug


@pytest.fixture
def connection(tmp_path: Path) -> sqlite3.Connection:
    path = tmp_path / "clinic.sqlite3"
    prepare_cache(path)
    return connect(path)


def test_the_starter_loads_once_and_again_only_when_it_changes(
    connection: sqlite3.Connection,
) -> None:
    first = ensure_starter_formulary(connection)
    assert first is not None
    assert first.added == len(starter_drugs())
    assert ensure_starter_formulary(connection) is None
    assert len(read_formulary(connection)) == len(starter_drugs())
    # A changed starter file (another version) is written again, changing nothing here.
    connection.execute("UPDATE formulary_source SET version = 'old' WHERE source = 'starter'")
    connection.commit()
    again = ensure_starter_formulary(connection)
    assert again is not None
    assert (again.added, again.updated) == (0, 0)


def test_an_import_replaces_its_codes_and_the_starter_never_takes_them_back(
    connection: sqlite3.Connection,
) -> None:
    ensure_starter_formulary(connection)
    drugs = read_formulary_csv(GOOD)
    result = write_drugs(connection, drugs, "hospital.csv")
    assert (result.added, result.updated) == (1, 1)
    connection.execute("UPDATE formulary_source SET version = 'old' WHERE source = 'starter'")
    connection.commit()
    ensure_starter_formulary(connection)
    formulary = read_formulary(connection)
    amlodipine = formulary.find("amlodipine")
    assert amlodipine is not None
    assert amlodipine.products[0].pack_size == 14
    assert formulary.find("cfx") is not None
    assert len(formulary) == len(starter_drugs()) + 1


def test_csv_rows_of_one_code_are_one_drug_with_its_products() -> None:
    cefixime, amlodipine = read_formulary_csv(GOOD)
    assert [p.strength for p in cefixime.products] == [100, 50]
    assert cefixime.adult_dose is not None
    assert (cefixime.adult_dose.low, cefixime.adult_dose.high) == (100, 200)
    assert cefixime.antimicrobial
    assert cefixime.synonyms == ("cfx", "世福素")
    assert cefixime.source_of("adult_dose") == "FDA label Suprax (cefixime) 2019"
    assert cefixime.source_of("adult_max_daily") == "FDA label Suprax (cefixime) 2019"
    assert amlodipine.sources == ()
    assert amlodipine.products[0].pack_unit_zh == "盒"


@pytest.mark.parametrize(
    ("rows", "problems"),
    [
        ("", [(1, "the file is empty (a header row is needed)")]),
        ("code,name\n", [(1, "unknown column(s): name"),
                         (1, "missing column(s): name_en, name_zh, form, strength, "
                             "strength_unit, unit_en, unit_zh")]),
        (HEADER, [(2, "no drug rows under the header")]),
        (HEADER + "x,X,某药,,,,tablet,abc,mg,tablet,片,,,,,,,,,,\n",
         [(2, "strength 'abc' is not a number")]),
        (HEADER + "x,X,某药,,,,tablet,-5,mg,tablet,片,,,,,,,,,,\n",
         [(2, "strength '-5' must be a number above 0")]),
        (HEADER + "x,X,某药,,penicilin,,tablet,5,mg,tablet,片,,,,,,,,,,\n",
         [(2, "unknown class tag(s) penicilin (the README lists them)")]),
        (HEADER + "x,X,某药,,,oral,tablet,5,mg,tablet,片,,,,,,,,,,\n",
         [(2, "unknown route(s) oral: use eye, im, inh, iv, po, pr, sc, sl, top")]),
        (HEADER + "x,X,某药,,,,tablet,5,mg,tablet,片,,,,5,10,,,,,\n",
         [(2, "adult_dose given without a source")]),
        (HEADER + "x,X,某药,,,,tablet,5,mg,tablet,片,,,,10,5,,,,,BNF\n",
         [(2, "adult_dose_low is above adult_dose_high")]),
        (HEADER + "x,X,某药,,,,tablet,5,mg,tablet,片,,,,5,,,,,,BNF\n",
         [(2, "adult_dose_low and adult_dose_high go together")]),
        (HEADER + "x,X,某药,,,,tablet,5,mg,tablet,片,,,,,,,maybe,,,BNF\n",
         [(2, "pregnancy 'maybe': use one of contraindicated, avoid, caution, compatible, "
              "unknown")]),
        (HEADER + "x,X,某药,,,,tablet,5,mg,tablet,片,,,,,,,,perhaps,,\n",
         [(2, "antimicrobial 'perhaps': write yes or no")]),
        (HEADER + "x,X,某药,,,,tablet,5,mg,tablet,片,2.5,box,盒,,,,,,,\n",
         [(2, "pack_size '2.5' must be a whole number")]),
        (HEADER + "x,X,某药,,,,tablet,5,mg,tablet,片\n",
         [(2, "11 cells where the header has 21")]),
        (HEADER + ",X,某药,,,,tablet,5,mg,tablet,片,,,,,,,,,,\n", [(2, "empty code")]),
        (HEADER + "x,X,某药,,,,tablet,5,mg,tablet,片,,,,,,,,,,\n"
                  "x,Y,某药,,,,tablet,10,g,tablet,片,,,,,,,,,,\n",
         [(3, "name_en 'Y' differs from row 2 of drug 'x'"),
          (3, "strength_unit 'g' differs from row 2")]),
        (GOOD + "bad,,,,,,,,,,,,,,,,,,,,\n",
         [(5, "empty name_en, name_zh, form, strength, strength_unit, unit_en, unit_zh")]),
        (GOOD + "cefixime,,,,,,capsule,50,mg,capsule,粒,,,,,,,,,,\n",
         [(5, "the same product is listed twice")]),
    ],
)  # fmt: skip
def test_every_bad_row_is_named_with_its_number(rows: str, problems: list[tuple[int, str]]) -> None:
    with pytest.raises(FormularyCsvError) as raised:
        read_formulary_csv(rows)
    assert raised.value.problems == problems


def test_excel_csv_from_a_chinese_windows_is_read() -> None:
    assert decode(GOOD.encode("gb18030")) == GOOD
    assert decode(("\ufeff" + GOOD).encode("utf-8")) == GOOD


def _codes(data: Path) -> dict[str, str]:
    with closing(sqlite3.connect(data / "clinic.sqlite3")) as connection:
        return dict(connection.execute("SELECT code, source FROM formulary_drug"))


def test_cli_import_then_search(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    csv_file = tmp_path / "hospital.csv"
    csv_file.write_text(GOOD, encoding="utf-8")
    code, out, err = cli("formulary", "import", "--from", str(csv_file), "--data-dir", str(data))
    assert code == 0, err
    assert "2 drugs from hospital.csv: 1 added, 1 updated, 0 unchanged" in out
    assert _codes(data)["cefixime"] == "hospital.csv"
    code, out, _ = cli("formulary", "search", "cfx", "--data-dir", str(data))
    assert code == 0
    assert "头孢克肟" in out
    assert "hospital.csv" in out
    code, out, _ = cli("formulary", "search", "amxl", "--data-dir", str(data))
    assert code == 0
    assert "阿莫西林" in out
    code, out, _ = cli("formulary", "search", "zzzz", "--data-dir", str(data))
    assert code == 1
    assert "No drug matches 'zzzz'." in out


def test_cli_refuses_a_file_with_a_bad_row_and_imports_nothing(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    cli("formulary", "search", "amox", "--data-dir", str(data))
    before = _codes(data)
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text(GOOD + "x,X,某药,,,,tablet,abc,mg,tablet,片,,,,,,,,,,\n", encoding="utf-8")
    code, _, err = cli("formulary", "import", "--from", str(csv_file), "--data-dir", str(data))
    assert code == 4
    assert f"{csv_file}, row 5: strength 'abc' is not a number" in err
    assert f"clinic-tui: {csv_file}: 1 problem; nothing was imported" in err
    assert _codes(data) == before


def test_cli_speaks_chinese_with_lang_zh(cli: Cli, tmp_path: Path) -> None:
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text(HEADER + "x,X,某药,,,,tablet,abc,mg,tablet,片,,,,,,,,,,\n", "utf-8")
    code, _, err = cli("formulary", "import", "--from", str(csv_file), "--lang", "zh",
                       "--data-dir", str(tmp_path / "data"))  # fmt: skip
    assert code == 4
    assert "第 2 行：strength 'abc' 不是数字" in err
    assert "未导入任何内容" in err
    code, out, _ = cli("formulary", "--help", "--lang", "zh")
    assert "用 `formulary import` 导入医院自己的处方集" in out


def _no_pypinyin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any pinyin work on the spot fail: what passes after this read stored keys."""

    def refuse(name: str) -> tuple[str, str]:
        raise AssertionError(f"pinyin worked out on the spot for {name!r}")

    monkeypatch.setattr("clinic_tui.prescribing.formulary.search_keys", refuse)


def test_the_cached_formulary_completes_by_pinyin_from_stored_keys(
    connection: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_starter_formulary(connection)
    write_drugs(connection, read_formulary_csv(GOOD), "hospital.csv")
    _no_pypinyin(monkeypatch)
    formulary = read_formulary(connection)
    assert formulary.index_ready
    assert [drug.code for drug in formulary.complete("amxl")][:1] == ["amoxicillin"]
    assert [drug.code for drug in formulary.complete("toubaokewo")] == ["cefixime"]
    assert [drug.code for drug in formulary.complete("sfs")] == ["cefixime"]  # 世福素


def test_rows_written_before_the_keys_were_kept_get_them_on_the_next_start(
    connection: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_starter_formulary(connection)
    write_drugs(connection, read_formulary_csv(GOOD), "hospital.csv")
    # As a cache migrated to the pinyin column: every row without keys.
    connection.execute("UPDATE formulary_drug SET pinyin_keys = ''")
    connection.commit()
    assert not read_formulary(connection).index_ready
    assert ensure_starter_formulary(connection) is None  # the starter itself is current
    _no_pypinyin(monkeypatch)
    formulary = read_formulary(connection)
    assert formulary.index_ready
    assert [drug.code for drug in formulary.complete("toubaokewo")] == ["cefixime"]


def test_a_garbled_key_column_falls_back_to_working_the_keys_out(
    connection: sqlite3.Connection,
) -> None:
    ensure_starter_formulary(connection)
    connection.execute(
        "UPDATE formulary_drug SET pinyin_keys = 'not json' WHERE code = 'amoxicillin'"
    )
    connection.commit()
    formulary = read_formulary(connection)
    assert not formulary.index_ready
    assert [drug.code for drug in formulary.complete("amxl")][:1] == ["amoxicillin"]
    assert formulary.index_ready
