"""Writing codes into the cache: one transaction per import, re-import updates in place.

A concept is keyed by (system, code). Importing the same source again changes only
the codes whose titles changed and never adds a second row; a title the source
leaves empty never erases one the cache already has. The search keys of a
concept are recomputed from its titles, so old keys are deleted exactly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from clinic_tui.terminology.keys import ConceptForms, concept_forms, search_keys

Progress = Callable[[int, int | None], None]
"""progress(done, total): total is None when not known."""

_BATCH = 2000


@dataclass(frozen=True)
class Concept:
    """One code as a source gives it."""

    code: str
    display_zh: str = ""
    display_en: str = ""
    active: bool = True


@dataclass(frozen=True)
class ImportResult:
    """What an import changed: codes added, updated, left as they were."""

    system: str
    source: str
    added: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        """Codes the source held."""
        return self.added + self.updated + self.unchanged

    def __str__(self) -> str:
        return (
            f"{self.total:,} codes from {self.source}: {self.added:,} added, "
            f"{self.updated:,} updated, {self.unchanged:,} unchanged"
        )


@dataclass
class _Existing:
    id: int
    display_zh: str
    display_en: str
    active: bool
    source: str


def _key_rows(concept_id: int, forms: ConceptForms, active: bool) -> list[tuple[str, int, int]]:
    if not active:
        return []
    return [(key, forms.rank, concept_id) for key in search_keys(forms)]


class _Writer:
    """Buffers key inserts and deletes so they reach SQLite in sorted batches."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.inserts: list[tuple[str, int, int]] = []
        self.deletes: list[tuple[str, int, int]] = []

    def flush(self) -> None:
        if self.deletes:
            self.connection.executemany(
                "DELETE FROM terminology_search_key WHERE key = ? AND rank = ? AND concept_id = ?",
                sorted(self.deletes),
            )
            self.deletes.clear()
        if self.inserts:
            self.connection.executemany(
                "INSERT OR IGNORE INTO terminology_search_key (key, rank, concept_id) "
                "VALUES (?, ?, ?)",
                sorted(self.inserts),
            )
            self.inserts.clear()


def upsert_concepts(
    connection: sqlite3.Connection,
    system: str,
    source: str,
    concepts: Iterable[Concept],
    *,
    version: str = "",
    total: int | None = None,
    progress: Progress | None = None,
    replace_other_sources: bool = True,
) -> ImportResult:
    """Add or update `concepts` of `system` in one transaction; returns what changed.

    With `replace_other_sources` False a code another source supplied is left alone
    (the starter set never overwrites a full import).
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = _upsert(
            connection, system, source, concepts, total, progress, replace_other_sources
        )
        connection.execute(
            "INSERT OR REPLACE INTO terminology_source "
            "(system, source, version, concepts, imported_at) VALUES (?, ?, ?, ?, ?)",
            (system, source, version, result.total, datetime.now(UTC).isoformat()),
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return result


def _upsert(
    connection: sqlite3.Connection,
    system: str,
    source: str,
    concepts: Iterable[Concept],
    total: int | None,
    progress: Progress | None,
    replace_other_sources: bool,
) -> ImportResult:
    existing = {
        row[0]: _Existing(row[1], row[2], row[3], bool(row[4]), row[5])
        for row in connection.execute(
            "SELECT code, id, display_zh, display_en, active, source FROM terminology_concept "
            "WHERE system = ?",
            (system,),
        )
    }
    writer = _Writer(connection)
    added = updated = unchanged = done = 0
    seen: set[str] = set()
    for concept in concepts:
        done += 1
        if concept.code in seen:
            continue  # a source listing a code twice: the first wins, as the cache keeps one
        seen.add(concept.code)
        old = existing.get(concept.code)
        if old is None:
            _insert(writer, system, source, concept)
            added += 1
        elif not replace_other_sources and old.source != source:
            unchanged += 1
        elif _update(writer, source, concept, old):
            updated += 1
        else:
            unchanged += 1
        if done % _BATCH == 0:
            writer.flush()
            if progress is not None:
                progress(done, total)
    writer.flush()
    if progress is not None:
        progress(done, total if total is not None else done)
    return ImportResult(system, source, added, updated, unchanged)


def _insert(writer: _Writer, system: str, source: str, concept: Concept) -> None:
    forms = concept_forms(concept.code, concept.display_zh, concept.display_en)
    cursor = writer.connection.execute(
        "INSERT INTO terminology_concept (system, code, code_key, display_zh, display_en, "
        "title_key, english_key, pinyin_full, pinyin_initials, rank, active, source) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            system,
            concept.code,
            forms.code_key,
            concept.display_zh,
            concept.display_en,
            forms.title_key,
            forms.english_key,
            forms.pinyin_full,
            forms.pinyin_initials,
            forms.rank,
            concept.active,
            source,
        ),
    )
    assert cursor.lastrowid is not None
    writer.inserts.extend(_key_rows(cursor.lastrowid, forms, concept.active))


def _update(writer: _Writer, source: str, concept: Concept, old: _Existing) -> bool:
    # An empty title in the source never erases one the cache has.
    zh = concept.display_zh or old.display_zh
    en = concept.display_en or old.display_en
    if (zh, en, concept.active, source) == (old.display_zh, old.display_en, old.active, old.source):
        return False
    forms = concept_forms(concept.code, zh, en)
    if (zh, en, concept.active) != (old.display_zh, old.display_en, old.active):
        previous = concept_forms(concept.code, old.display_zh, old.display_en)
        writer.deletes.extend(_key_rows(old.id, previous, old.active))
        writer.inserts.extend(_key_rows(old.id, forms, concept.active))
    writer.connection.execute(
        "UPDATE terminology_concept SET display_zh = ?, display_en = ?, title_key = ?, "
        "english_key = ?, pinyin_full = ?, pinyin_initials = ?, active = ?, source = ? "
        "WHERE id = ?",
        (
            zh,
            en,
            forms.title_key,
            forms.english_key,
            forms.pinyin_full,
            forms.pinyin_initials,
            concept.active,
            source,
            old.id,
        ),
    )
    return True


def imported_sources(connection: sqlite3.Connection) -> list[tuple[str, str, str, int]]:
    """(system, source, version, codes) of every import this cache has had."""
    rows = connection.execute(
        "SELECT system, source, version, concepts FROM terminology_source ORDER BY system, source"
    )
    return [(row[0], row[1], row[2], int(row[3])) for row in rows]
