"""The starter set: the diagnoses a township clinic codes most, shipped with clinic-tui.

icd10_starter.csv (the project's own, Apache-2.0; its header cites the titles'
sources) is loaded into every cache the app opens, so diagnosis search works
before anyone imports a full ICD-10. It is reloaded when the file changes (its
digest is the version), and never overwrites a code a full import supplied.
"""

from __future__ import annotations

import sqlite3
import zlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_tui.terminology.systems import WHO_ICD10

if TYPE_CHECKING:
    from clinic_tui.terminology.store import Concept, ImportResult

STARTER_SOURCE = "starter"
_FILE = "icd10_starter.csv"


@cache
def _starter_bytes() -> bytes:
    # Read beside this module (not through importlib.resources, which costs ~20 ms to import):
    # the check runs on every start of the workstation.
    return Path(__file__).with_name(_FILE).read_bytes()


def starter_version() -> str:
    """A checksum of the shipped starter file: what a cache records as the loaded version."""
    data = _starter_bytes()
    return f"{len(data)}-{zlib.crc32(data):08x}"


def starter_concepts() -> list[Concept]:
    """The starter set's rows (WHO code, English title, Chinese title)."""
    import csv
    import io

    from clinic_tui.terminology.store import Concept

    text = _starter_bytes().decode("utf-8")
    rows = csv.reader(line for line in io.StringIO(text) if not line.startswith("#"))
    header = next(rows)
    if header != ["code", "title_en", "title_zh"]:
        raise ValueError(f"{_FILE}: unexpected header {header}")
    return [Concept(code=code, display_en=en, display_zh=zh) for code, en, zh in rows]


def ensure_starter_set(connection: sqlite3.Connection) -> ImportResult | None:
    """Load or refresh the starter set in a prepared cache; None when it is already current."""
    row = connection.execute(
        "SELECT version FROM terminology_source WHERE system = ? AND source = ?",
        (WHO_ICD10, STARTER_SOURCE),
    ).fetchone()
    version = starter_version()
    if row is not None and row[0] == version:
        return None
    from clinic_tui.terminology.store import upsert_concepts

    return upsert_concepts(
        connection,
        WHO_ICD10,
        STARTER_SOURCE,
        starter_concepts(),
        version=version,
        replace_other_sources=False,
    )
