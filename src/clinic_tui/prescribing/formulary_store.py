"""The formulary in the cache: the starter loaded on first use, a hospital's import, read back.

Table `formulary_drug` (schema step `_to_v11_formulary`) keeps one row per drug code with the
whole FormularyDrug as JSON, and who supplied it: 'starter' or the imported file's name. The
starter is (re)loaded when the shipped file changes (its checksum is the version) and never
overwrites a drug a hospital imported; an import replaces drugs of the same code, all in one
transaction, so a failed import leaves the formulary as it was.

Each row also keeps its drug's pinyin keys (column `pinyin_keys`, schema step
`_to_v15_formulary_pinyin`), worked out when the row is written: pypinyin takes a second or
more to load on an old PC, and the order screen's first completion should not wait for it.
A row written before the column existed gets its keys on the next start (`backfill_pinyin`).
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clinic_tui.prescribing.formulary import Formulary, PinyinKeys
    from clinic_tui.prescribing.model import FormularyDrug

STARTER_SOURCE = "starter"


@dataclass(frozen=True)
class FormularyImport:
    """What writing a set of drugs changed."""

    source: str
    added: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        """Drugs the source held."""
        return self.added + self.updated + self.unchanged


def drug_json(drug: FormularyDrug) -> str:
    """A FormularyDrug as the JSON its cache row keeps."""
    return json.dumps(asdict(drug), ensure_ascii=False, sort_keys=True)


def drug_from_json(text: str) -> FormularyDrug:
    """The FormularyDrug a cache row's JSON holds."""
    # Imported here: the start-up check of the starter's version needs none of the model.
    from clinic_tui.prescribing.formulary import with_children
    from clinic_tui.prescribing.model import (
        Controlled,
        DoseRange,
        FormularyDrug,
        Pregnancy,
        Product,
    )

    data: dict[str, Any] = json.loads(text)
    dose = data.get("adult_dose")
    child = data.get("child_per_kg_day")
    special: dict[str, Any] = {
        "products": tuple(Product(**product) for product in data.get("products", ())),
        "adult_dose": DoseRange(**dose) if dose else None,
        "child_per_kg_day": (child[0], child[1]) if child else None,
        "pregnancy": Pregnancy(data.get("pregnancy", "unknown")),
        "breastfeeding": Pregnancy(data.get("breastfeeding", "unknown")),
        "controlled": Controlled(data.get("controlled", "")),
        "cited": tuple((name, source) for name, source in data.get("cited", ())),
        # Filled from children_doses.toml by with_children below, never from the JSON.
        "children": None,
        "min_age_months": None,
    }
    # Every other field as stored (lists back to tuples), so a field added to FormularyDrug
    # survives the cache without being named here: adult_max_dose and egfr_avoid_below were
    # once dropped on this path because each field was listed by hand.
    values: dict[str, Any] = {}
    for item in fields(FormularyDrug):
        if item.name in special:
            values[item.name] = special[item.name]
        elif item.name in data:
            value = data[item.name]
            values[item.name] = tuple(value) if isinstance(value, list) else value
    # Children's doses come from children_doses.toml by drug code, not from the stored JSON.
    return with_children(FormularyDrug(**values))


def pinyin_json(keys: PinyinKeys) -> str:
    """A drug's pinyin keys as its cache row keeps them: [[initials...], [full...]]."""
    return json.dumps([list(keys[0]), list(keys[1])], ensure_ascii=False)


def pinyin_from_json(text: str) -> PinyinKeys | None:
    """The pinyin keys a cache row keeps, or None when it has none (or garbled ones)."""
    if not text:
        return None
    try:
        initials, full = json.loads(text)
        return tuple(str(key) for key in initials), tuple(str(key) for key in full)
    except (ValueError, TypeError):
        return None


def starter_version() -> str:
    """A checksum of the shipped starter file: the version a cache records as loaded."""
    # Read beside this module, not through importlib.resources (~20 ms to import): the check
    # runs on every start of the workstation.
    data = Path(__file__).with_name("starter_formulary.toml").read_bytes()
    return f"{len(data)}-{zlib.crc32(data):08x}"


def ensure_starter_formulary(connection: sqlite3.Connection) -> FormularyImport | None:
    """Load or refresh the starter in a prepared cache; None when it is already current."""
    row = connection.execute(
        "SELECT version FROM formulary_source WHERE source = ?", (STARTER_SOURCE,)
    ).fetchone()
    version = starter_version()
    if row is not None and row[0] == version:
        backfill_pinyin(connection)
        return None
    from clinic_tui.prescribing.formulary import starter_drugs

    written = write_drugs(connection, starter_drugs(), STARTER_SOURCE, version=version)
    backfill_pinyin(connection)  # an import's rows from before the keys were kept
    return written


def backfill_pinyin(connection: sqlite3.Connection) -> int:
    """Work out the pinyin keys of rows that have none; how many rows it filled."""
    rows = connection.execute(
        "SELECT code, drug_json FROM formulary_drug WHERE pinyin_keys = ''"
    ).fetchall()
    if not rows:
        return 0
    from clinic_tui.prescribing.formulary import pinyin_keys

    filled = [(pinyin_json(pinyin_keys(drug_from_json(text))), code) for code, text in rows]
    with connection:
        connection.executemany(
            "UPDATE formulary_drug SET pinyin_keys = ? WHERE code = ? AND pinyin_keys = ''",
            filled,
        )
    return len(filled)


def write_drugs(
    connection: sqlite3.Connection,
    drugs: Iterable[FormularyDrug],
    source: str,
    *,
    version: str = "",
    reviewed: bool = True,
) -> FormularyImport:
    """Write `drugs` as supplied by `source`, in one transaction; returns what changed.

    The starter never replaces a drug another source supplied, and drops its own drugs
    that a newer starter no longer lists; any other source replaces drugs of the same code.
    """
    from clinic_tui.prescribing.formulary import pinyin_keys

    now = datetime.now(UTC).isoformat()
    connection.execute("BEGIN IMMEDIATE")
    try:
        existing = {
            code: (text, owner)
            for code, text, owner in connection.execute(
                "SELECT code, drug_json, source FROM formulary_drug"
            )
        }
        added = updated = unchanged = 0
        codes: set[str] = set()
        for drug in drugs:
            codes.add(drug.code)
            text = drug_json(drug)
            before = existing.get(drug.code)
            if before is not None and source == STARTER_SOURCE and before[1] != STARTER_SOURCE:
                unchanged += 1
                continue
            if before == (text, source):
                unchanged += 1
                continue
            connection.execute(
                "INSERT OR REPLACE INTO formulary_drug (code, name_en, name_zh, atc, "
                "drug_json, source, reviewed, updated_at, pinyin_keys) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *(drug.code, drug.name_en, drug.name_zh, drug.atc, text, source),
                    *(reviewed, now, pinyin_json(pinyin_keys(drug))),
                ),
            )
            if before is None:
                added += 1
            else:
                updated += 1
        if source == STARTER_SOURCE:
            gone = [
                (code,)
                for code, (_, owner) in existing.items()
                if owner == STARTER_SOURCE and code not in codes
            ]
            connection.executemany("DELETE FROM formulary_drug WHERE code = ?", gone)
        connection.execute(
            "INSERT OR REPLACE INTO formulary_source (source, version, drugs, imported_at) "
            "VALUES (?, ?, ?, ?)",
            (source, version, len(codes), now),
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return FormularyImport(source, added, updated, unchanged)


def read_formulary(connection: sqlite3.Connection) -> Formulary:
    """The cache's formulary (starter and imports), in the order the drugs were written."""
    from clinic_tui.prescribing.formulary import Formulary

    rows = connection.execute(
        "SELECT code, drug_json, pinyin_keys FROM formulary_drug ORDER BY rowid"
    ).fetchall()
    pinyin = {code: keys for code, _, text in rows if (keys := pinyin_from_json(text))}
    return Formulary((drug_from_json(text) for _, text, _ in rows), pinyin)


def formulary_in_cache(cache_path: Path) -> Formulary:
    """The formulary of the cache at `cache_path` over a connection of its own; the starter
    alone while the cache holds none yet (the app loads it a moment after the first screen)."""
    from contextlib import closing

    from clinic_tui.offline_cache.cache_file import connect
    from clinic_tui.prescribing.formulary import starter_formulary

    with closing(connect(cache_path)) as connection:
        formulary = read_formulary(connection)
    return formulary if len(formulary) else starter_formulary()


def drug_sources(connection: sqlite3.Connection) -> dict[str, tuple[str, bool]]:
    """Drug code -> (who supplied it, whether its Chinese name was reviewed)."""
    return {
        code: (source, bool(reviewed))
        for code, source, reviewed in connection.execute(
            "SELECT code, source, reviewed FROM formulary_drug"
        )
    }
