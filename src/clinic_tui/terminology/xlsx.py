"""Just enough of the xlsx format, with the standard library: cell text row by row, and a writer.

An xlsx file is a zip of XML parts: xl/workbook.xml lists the sheets,
xl/_rels/workbook.xml.rels says which part holds each, xl/sharedStrings.xml
holds the text most cells point to. Formulas, styles and dates are not
interpreted: a code list needs only text and numbers.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class NotAnXlsxError(ValueError):
    """The file is not an xlsx workbook (no zip, or no workbook inside)."""


def _column_index(reference: str) -> int:
    index = 0
    for char in reference:
        if not char.isalpha():
            break
        index = index * 26 + ord(char.upper()) - ord("A") + 1
    return index - 1


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    try:
        data = archive.read("xl/sharedStrings.xml")
    except KeyError:
        return []
    root = ElementTree.fromstring(data)
    return [_string_item(item) for item in root]


def _string_item(item: ElementTree.Element) -> str:
    # Plain (<t>) or rich text split into runs (<r><t>); phonetic guides (<rPh>) are not text.
    parts = [item.find(f"{_MAIN}t")] + [run.find(f"{_MAIN}t") for run in item.findall(f"{_MAIN}r")]
    return "".join(part.text or "" for part in parts if part is not None)


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    except KeyError:
        raise NotAnXlsxError("no xl/workbook.xml inside") from None
    targets: dict[str, str] = {}
    try:
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
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
    with archive.open(part) as handle:
        for _, element in ElementTree.iterparse(handle):
            if element.tag != f"{_MAIN}row":
                continue
            cells: dict[int, str] = {}
            for position, cell in enumerate(element.iter(f"{_MAIN}c")):
                reference = cell.get("r")
                column = _column_index(reference) if reference else position
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
