"""Read China's ICD-10 national clinical edition 2.0 (国家临床版 2.0) from the clinic's xlsx.

The edition is not on any registry; clinics receive it as a spreadsheet of code
and name (35,862 codes, extension codes like I10.x00x002). Its layout varies
between copies, so the columns are found, not assumed: a header cell naming
the code (编码, 代码, code) and the name (名称, 诊断, name), else the column
whose cells look like ICD-10 codes and the one with the most Chinese text.
Title rows, blank rows and notes are skipped: only rows with a code are read.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from xml.etree import ElementTree

from clinic_tui.domain.untrusted import clean_line
from clinic_tui.terminology.errors import TerminologyFileError
from clinic_tui.terminology.store import Concept
from clinic_tui.terminology.xlsx import NotAnXlsxError, read_sheets

CODE = re.compile(r"[A-Z]\d{2}(?:\.[0-9A-Za-z]{1,8})?(?:[+*†][A-Z0-9.*+†]*)?")
"""An ICD-10 code as the national edition writes it: J06.900, I10.x00x002, A17.000+G01*."""

_CODE_HEADERS = ("编码", "代码", "编号", "code")
_NAME_HEADERS = ("名称", "诊断", "name", "title")
_PROBE_ROWS = 50
"""Rows looked at to find the header and the columns."""


def _has_han(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" for char in text)


def _header_columns(rows: list[list[str]]) -> tuple[int, int] | None:
    for row in rows:
        lowered = [cell.strip().lower() for cell in row]
        code = next((i for i, c in enumerate(lowered) if any(h in c for h in _CODE_HEADERS)), None)
        name = next(
            (i for i, c in enumerate(lowered) if i != code and any(h in c for h in _NAME_HEADERS)),
            None,
        )
        if code is not None and name is not None:
            return code, name
    return None


def _content_columns(rows: list[list[str]]) -> tuple[int, int] | None:
    width = max((len(row) for row in rows), default=0)
    codes = [
        sum(1 for row in rows if i < len(row) and CODE.fullmatch(row[i])) for i in range(width)
    ]
    if not codes or max(codes) == 0:
        return None
    code = codes.index(max(codes))
    han = [
        sum(1 for row in rows if i < len(row) and _has_han(row[i])) if i != code else -1
        for i in range(width)
    ]
    if not han or max(han) <= 0:
        return None
    return code, han.index(max(han))


def find_columns(rows: list[list[str]]) -> tuple[int, int] | None:
    """(code column, name column) of a sheet's first rows, or None when it has no code list."""
    found = _header_columns(rows) or _content_columns(rows)
    if found is None:
        return None
    code, _ = found
    # A header naming columns that hold no codes (a cover sheet) is no code list.
    if not any(code < len(row) and CODE.fullmatch(row[code].strip()) for row in rows):
        return _content_columns(rows)
    return found


def _concepts(rows: Iterator[list[str]], code: int, name: int) -> Iterator[Concept]:
    for row in rows:
        if code >= len(row) or name >= len(row):
            continue
        value = row[code].strip()
        title = " ".join(clean_line(row[name]).split())  # outside text: controls made visible
        if title and CODE.fullmatch(value):
            yield Concept(code=value, display_zh=title)


def read_national(path: Path) -> list[Concept]:
    """Every code and name in the national clinical edition's xlsx (its first code-list sheet)."""
    if not path.exists():
        raise TerminologyFileError(f"{path} does not exist")
    if path.is_dir():
        raise TerminologyFileError(f"{path} is a folder, not the national edition's xlsx")
    try:
        for _sheet, rows in read_sheets(path):
            head = list(islice(rows, _PROBE_ROWS))
            columns = find_columns(head)
            if columns is None:
                continue
            concepts = list(_concepts(iter(head), *columns)) + list(_concepts(rows, *columns))
            if concepts:
                return concepts
    except NotAnXlsxError as error:
        raise TerminologyFileError(f"{path} is not an xlsx workbook ({error})") from error
    except (OSError, KeyError, ValueError, ElementTree.ParseError, zipfile.BadZipFile) as error:
        raise TerminologyFileError(f"cannot read {path} as an xlsx workbook: {error}") from error
    raise TerminologyFileError(
        f"{path}: no sheet holds a column of ICD-10 codes with their names "
        "(expected columns like 疾病编码 and 疾病名称)"
    )
