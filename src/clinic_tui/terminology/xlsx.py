"""Just enough of the xlsx format, with the standard library: cell text row by row, and a writer.

An xlsx file is a zip of XML parts: xl/workbook.xml lists the sheets,
xl/_rels/workbook.xml.rels says which part holds each, xl/sharedStrings.xml
holds the text most cells point to. Formulas, styles and dates are not
interpreted: a code list needs only text and numbers.

The file comes from outside, so every part is read with a ceiling (domain.bounded_read:
declared and decompressed sizes), cell references stop at Excel's last column (XFD) and
a sheet at Excel's last row: a 913-byte file naming cell ZZZZZZZZ2 is refused, not
expanded into 200 billion empty cells.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from clinic_tui.domain.bounded_read import open_zip_member, read_zip_member

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


MAX_COLUMNS = 16_384
"""Excel's last column is XFD, the 16,384th; a reference beyond it is no spreadsheet's."""
MAX_ROWS = 1_048_576
"""Excel's last row."""
MAX_SHARED_STRINGS = 2_000_000
"""Distinct texts a workbook may hold (the national edition has under 100,000)."""
SHEET_LIMIT = 256 * 1024 * 1024
"""Bytes a sheet's XML may unpack to: it is streamed row by row, so only time is at stake."""
PART_LIMIT = 64 * 1024 * 1024
"""Bytes the workbook's other parts (shared strings, lists of sheets) may unpack to."""


class NotAnXlsxError(ValueError):
    """The file is not an xlsx workbook (no zip, or no workbook inside)."""


class XlsxLimitError(ValueError):
    """The workbook goes beyond what any real spreadsheet holds (columns, rows, texts)."""


def _column_index(reference: str) -> int:
    index = 0
    for char in reference:
        if not ("A" <= char <= "Z" or "a" <= char <= "z"):
            break
        index = index * 26 + ord(char.upper()) - ord("A") + 1
        if index > MAX_COLUMNS:
            raise XlsxLimitError(f"cell {reference[:20]!r} is beyond column XFD (16,384)")
    return index - 1


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings: list[str] = []
    with open_zip_member(archive, "xl/sharedStrings.xml", PART_LIMIT) as stream:
        # Streamed: each string item is read, kept as text and its elements dropped.
        for _, element in ElementTree.iterparse(stream):
            if element.tag != f"{_MAIN}si":
                continue
            strings.append(_string_item(element))
            element.clear()
            if len(strings) > MAX_SHARED_STRINGS:
                raise XlsxLimitError(f"more than {MAX_SHARED_STRINGS:,} shared strings")
    return strings


def _string_item(item: ElementTree.Element) -> str:
    # Plain (<t>) or rich text split into runs (<r><t>); phonetic guides (<rPh>) are not text.
    parts = [item.find(f"{_MAIN}t")] + [run.find(f"{_MAIN}t") for run in item.findall(f"{_MAIN}r")]
    return "".join(part.text or "" for part in parts if part is not None)


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    try:
        workbook = ElementTree.fromstring(read_zip_member(archive, "xl/workbook.xml", PART_LIMIT))
    except KeyError:
        raise NotAnXlsxError("no xl/workbook.xml inside") from None
    targets: dict[str, str] = {}
    try:
        rels_xml = read_zip_member(archive, "xl/_rels/workbook.xml.rels", PART_LIMIT)
        rels = ElementTree.fromstring(rels_xml)
        for rel in rels.iter(f"{_PKG_REL}Relationship"):
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            targets[rel.get("Id", "")] = posixpath.normpath(part)
    except KeyError:
        pass
    sheets = []
    for position, sheet in enumerate(workbook.iter(f"{_MAIN}sheet"), start=1):
        part = targets.get(sheet.get(f"{_REL}id", ""), f"xl/worksheets/sheet{position}.xml")
        sheets.append((sheet.get("name", f"Sheet{position}"), part))
    return sheets


def _rows(archive: zipfile.ZipFile, part: str, strings: list[str]) -> Iterator[list[str]]:
    rows = 0
    with open_zip_member(archive, part, SHEET_LIMIT) as handle:
        for _, element in ElementTree.iterparse(handle):
            if element.tag != f"{_MAIN}row":
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise XlsxLimitError(f"more than {MAX_ROWS:,} rows in one sheet")
            cells: dict[int, str] = {}
            for position, cell in enumerate(element.iter(f"{_MAIN}c")):
                reference = cell.get("r")
                column = _column_index(reference) if reference else position
                if column >= MAX_COLUMNS:
                    raise XlsxLimitError(f"a row has more than {MAX_COLUMNS:,} cells")
                cells[column] = _cell_text(cell, strings)
            element.clear()
            if cells:
                yield [cells.get(i, "") for i in range(max(cells) + 1)]


def _cell_text(cell: ElementTree.Element, strings: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{_MAIN}t")).strip()
    value = cell.find(f"{_MAIN}v")
    text = value.text if value is not None and value.text is not None else ""
    if kind == "s":
        try:
            return strings[int(text)].strip()
        except (ValueError, IndexError):
            return ""
    return text.strip()


def read_sheets(path: Path) -> Iterator[tuple[str, Iterator[list[str]]]]:
    """(sheet name, its rows of cell text) for every sheet, in workbook order."""
    if not zipfile.is_zipfile(path):
        raise NotAnXlsxError("not a zip archive")
    with zipfile.ZipFile(path) as archive:
        strings = _shared_strings(archive)
        for name, part in _sheet_parts(archive):
            if part in archive.namelist():
                yield name, _rows(archive, part, strings)


def write_xlsx(path: Path, rows: Sequence[Sequence[str]], sheet: str = "Sheet1") -> None:
    """Write one sheet of text cells (inline strings): for tests and the benchmark's files."""

    def column(index: int) -> str:
        letters = ""
        index += 1
        while index:
            index, remainder = divmod(index - 1, 26)
            letters = chr(ord("A") + remainder) + letters
        return letters

    lines = []
    for number, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{column(i)}{number}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'
            for i, value in enumerate(row)
            if value != ""
        )
        lines.append(f'<row r="{number}">{cells}</row>')
    main = _MAIN[1:-1]
    sheet_xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">'
        f"<sheetData>{''.join(lines)}</sheetData></worksheet>"
    )
    relationships = _REL[1:-1]
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" '
        f'xmlns:r="{relationships}"><sheets><sheet name="{escape(sheet)}" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'
    )
    package = _PKG_REL[1:-1]
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    workbook_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}">'
        f'<Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    )
    root_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}">'
        f'<Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
