"""Hostile import files end in one line and exit 4, with memory bounded while refusing.

Each file is built small in tmp_path: a 1 KB xlsx naming cell ZZZZZZZZ2, zips whose
members unpack far beyond the cap (or whose headers lie about it), CSVs saved as
Windows-1252 or UTF-16, and a CSV too big to be a formulary.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clinic_tui.domain.bounded_read import CountingReader, TooLargeError, read_zip_member
from clinic_tui.terminology.errors import TerminologyFileError
from clinic_tui.terminology.national import read_national
from clinic_tui.terminology.xlsx import write_xlsx
from tests.conftest import Cli
from tests.terminology_fixtures import ROOT, gnuhealth_wheel

MIB = 1024 * 1024
PEAK_LIMIT = 40 * MIB
"""Memory a refusal may take: far below what the hostile file asks for (GiB)."""


def _peak(action: Callable[[], Any]) -> tuple[BaseException | None, int]:
    """What `action` raised and the most memory Python held while it ran."""
    tracemalloc.start()
    try:
        action()
    except BaseException as error:
        raised: BaseException | None = error
    else:
        raised = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return raised, peak


def _rewrite_member(path: Path, name: str, data: bytes) -> None:
    """Replace one member of a zip (deflated), keeping the others."""
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members[name] = data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("clinic-tui:")]
    assert "Traceback" not in err
    assert len(lines) == 1, err
    return lines[0]


def _xlsx_with_cell(tmp_path: Path, reference: str) -> Path:
    path = tmp_path / "national.xlsx"
    write_xlsx(path, [["疾病编码", "疾病名称"], ["I10.x00", "原发性高血压"]])
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = (
        f'<worksheet xmlns="{main}"><sheetData><row r="2">'
        f'<c r="{reference}" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>'
    )
    _rewrite_member(path, "xl/worksheets/sheet1.xml", sheet.encode())
    return path


def test_a_tiny_xlsx_naming_cell_zzzzzzzz2_is_refused_without_building_the_row(
    tmp_path: Path, cli: Cli
) -> None:
    path = _xlsx_with_cell(tmp_path, "ZZZZZZZZ2")
    assert path.stat().st_size < 2000

    raised, peak = _peak(lambda: read_national(path))

    assert isinstance(raised, TerminologyFileError)
    assert "beyond column XFD" in str(raised)
    assert peak < PEAK_LIMIT
    code, _, err = cli("terminology", "import", "ICD10", "--from", str(path),
                       "--data-dir", str(tmp_path / "data"))  # fmt: skip
    assert code == 4
    assert "beyond column XFD" in _one_error_line(err)


def test_column_xfd_itself_is_still_read(tmp_path: Path) -> None:
    path = _xlsx_with_cell(tmp_path, "XFD2")
    with pytest.raises(TerminologyFileError, match="no sheet holds a column of ICD-10 codes"):
        read_national(path)


def _zeros_xml(size: int) -> bytes:
    return b"<sst>" + b" " * size + b"</sst>"


def test_an_xlsx_whose_shared_strings_unpack_beyond_the_cap_is_refused(
    tmp_path: Path, cli: Cli
) -> None:
    path = _xlsx_with_cell(tmp_path, "A2")
    _rewrite_member(path, "xl/sharedStrings.xml", _zeros_xml(80 * MIB))
    assert path.stat().st_size < 200_000  # the bomb is small compressed

    raised, peak = _peak(lambda: read_national(path))

    assert isinstance(raised, TerminologyFileError)
    assert "xl/sharedStrings.xml unpacks to more than 64 MiB" in str(raised)
    assert peak < PEAK_LIMIT
    code, _, err = cli("terminology", "import", "ICD10", "--from", str(path),
                       "--data-dir", str(tmp_path / "data"))  # fmt: skip
    assert code == 4
    assert "unpacks to more than" in _one_error_line(err)


def test_a_gnuhealth_wheel_whose_diseases_xml_is_a_bomb_is_refused(
    tmp_path: Path, cli: Cli
) -> None:
    wheel = gnuhealth_wheel(tmp_path)
    _rewrite_member(wheel, f"{ROOT}/data/diseases.xml", _zeros_xml(80 * MIB))
    assert wheel.stat().st_size < 200_000

    code, _, err = cli("terminology", "import", "ICD10", "--from", str(wheel),
                       "--data-dir", str(tmp_path / "data"))  # fmt: skip

    assert code == 4
    assert "diseases.xml unpacks to more than 64 MiB" in _one_error_line(err)


def _lie_about_size(path: Path, name: str, declared: int) -> None:
    """Set the uncompressed size a zip's headers give for `name` (local and central)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    position = 0
    encoded = name.encode()
    while True:
        central = data.find(b"PK\x01\x02", position)
        assert central >= 0
        length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + length]) == encoded:
            struct.pack_into("<I", data, central + 24, declared)
            break
        position = central + 4
    path.write_bytes(bytes(data))


def test_a_member_whose_header_lies_about_its_size_stays_bounded(tmp_path: Path) -> None:
    path = _xlsx_with_cell(tmp_path, "A2")
    _rewrite_member(path, "xl/sharedStrings.xml", _zeros_xml(80 * MIB))
    _lie_about_size(path, "xl/sharedStrings.xml", 1000)

    raised, peak = _peak(lambda: read_national(path))

    assert isinstance(raised, TerminologyFileError)
    assert peak < PEAK_LIMIT


def test_the_counting_reader_stops_what_decompression_produces_beyond_the_limit() -> None:
    bomb = zlib.compress(b"\0" * (8 * MIB))
    stream = io.BufferedReader(CountingReader(io.BytesIO(zlib.decompress(bomb)), "bomb", 1 * MIB))
    with pytest.raises(TooLargeError, match="bomb unpacks to more than 1 MiB"):
        stream.read()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("small.txt", b"ok")
    with zipfile.ZipFile(buffer) as archive:
        assert read_zip_member(archive, "small.txt") == b"ok"


HEADER = "code,name_en,name_zh,form,strength,strength_unit,unit_en,unit_zh\n"


def _csv(tmp_path: Path, text: str, encoding: str) -> Path:
    path = tmp_path / "hospital.csv"
    path.write_bytes((HEADER + text).encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "named"),
    [
        ("cp1252", "Windows-1252"),
        ("utf-16", "UTF-16"),
        ("utf-16-le", "UTF-16 (no byte-order mark)"),
        ("utf-32", "UTF-32"),
    ],
)
def test_a_formulary_csv_in_another_encoding_is_refused_naming_it(
    tmp_path: Path, cli: Cli, encoding: str, named: str
) -> None:
    path = _csv(tmp_path, "paracetamol,Paracétamol,对乙酰氨基酚,tablet,500,mg,tablet,片\n"
                if encoding != "cp1252" else
                "paracetamol,Paracétamol,Paracétamol,tablet,500,mg,tablet,comprimé\n",
                encoding)  # fmt: skip

    code, _, err = cli("formulary", "import", "--from", str(path),
                       "--data-dir", str(tmp_path / "data"))  # fmt: skip

    assert code == 4
    line = _one_error_line(err)
    assert f"it looks like {named}" in line
    assert 'save it from Excel as "CSV UTF-8"' in line


def test_a_windows_1252_name_never_imports_as_wrong_chinese(tmp_path: Path, cli: Cli) -> None:
    # Parac\xe9tamol decodes without error as GB18030 (Parac閠amol): it must be refused.
    path = tmp_path / "hospital.csv"
    path.write_bytes(
        (HEADER + "paracetamol,Paracetamol,Parac\xe9tamol,tablet,500,mg,tablet,tab\n").encode(
            "cp1252"
        )
    )
    assert "閠" in path.read_bytes().decode("gb18030")

    code, out, err = cli("formulary", "import", "--from", str(path),
                         "--data-dir", str(tmp_path / "data"))  # fmt: skip

    assert code == 4
    assert "Windows-1252" in _one_error_line(err)
    assert "閠" not in out + err


def test_a_gb18030_csv_with_a_rare_character_is_still_read(tmp_path: Path, cli: Cli) -> None:
    path = _csv(
        tmp_path, "diazepam,Diazepam,地西泮（苯二氮䓬类）,tablet,5,mg,tablet,片\n", "gb18030"
    )

    code, out, err = cli("formulary", "import", "--from", str(path),
                         "--data-dir", str(tmp_path / "data"))  # fmt: skip

    assert code == 0, err
    assert "1 drugs from hospital.csv" in out


def test_a_formulary_csv_too_big_is_refused_before_it_is_read(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "hospital.csv"
    with path.open("wb") as handle:
        handle.write(HEADER.encode())
        handle.truncate(600 * MIB)  # sparse: no disk used, but 600 MB as far as stat knows

    raised, peak = _peak(
        lambda: cli("formulary", "import", "--from", str(path), "--data-dir", str(tmp_path))
    )

    assert raised is None
    assert peak < PEAK_LIMIT


def test_a_formulary_csv_too_big_says_so_in_one_line(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "hospital.csv"
    with path.open("wb") as handle:
        handle.write(HEADER.encode())
        handle.truncate(600 * MIB)

    code, _, err = cli("formulary", "import", "--from", str(path),
                       "--data-dir", str(tmp_path / "data"))  # fmt: skip

    assert code == 4
    assert "hospital.csv is 600 MiB, more than 32 MiB: refused" in _one_error_line(err)


def test_imported_names_are_cleaned_where_they_enter(tmp_path: Path) -> None:
    from clinic_tui.prescribing.formulary_csv import read_formulary_csv

    drugs = read_formulary_csv(HEADER + "evil,Evil\x1b[2J,恶\u202e霉素,tablet,250,mg,tablet,片\n")
    assert drugs[0].name_en == "Evil␛[2J"
    assert drugs[0].name_zh == "恶霉素"
    path = tmp_path / "national.xlsx"
    # XML cannot hold an ESC; a bidi override and a C1 control it can.
    write_xlsx(path, [["疾病编码", "疾病名称"], ["I10.x00", "原发性\u202e高血压\x9b"]])
    assert [c.display_zh for c in read_national(path)] == ["原发性高血压\ufffd"]


def test_a_huge_title_is_indexed_from_its_start_only() -> None:
    from clinic_tui.terminology.keys import concept_forms, search_keys

    forms = concept_forms("I10", "高血压" * 100_000, "hypertension " * 100_000)

    assert len(forms.title_key) <= 200
    assert len(search_keys(forms)) < 5_000


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("x,对乙酰氨基酚,地西泮（苯二氮䓬类）\n", "gb18030"),
        ("x,對乙醯氨基酚,頭孢克肟\n", "gbk"),  # traditional characters, outside GB2312
        ("x,Paracétamol 对乙酰氨基酚\n", "gb18030"),  # é as GB18030's own four bytes
        ("x,Paracétamol,Ibuprofène\n", "utf-8"),
    ],
)
def test_real_chinese_and_utf8_files_decode_as_written(text: str, encoding: str) -> None:
    from clinic_tui.prescribing.formulary_csv import decode

    assert decode(text.encode(encoding)) == text


@pytest.mark.parametrize(
    "text", ["x,Paracétamol\n", "x,Café,crème brûlée\n", "x,Müller,Größe\n", "x,Ibuprofène\n"]
)
def test_western_windows_files_are_never_read_as_chinese(text: str) -> None:
    from clinic_tui.prescribing.formulary_csv import FormularyEncodingError, decode

    with pytest.raises(FormularyEncodingError, match="Windows-1252"):
        decode(text.encode("cp1252"))
