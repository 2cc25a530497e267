"""Search ICD-10 as the doctor types: code, Chinese title, pinyin, English.

`search_icd10(db, "gxy")` answers through index seeks only, tier by tier:
  1. exact code (`I10`),
  2. code prefix (`j06`, `I10.x`),
  3. title prefix: the title or one of its parts between punctuation starts with the query
     (`高血压` and `gxy` for 特发性（原发性）高血压, `hypertensive`),
  4. anywhere in a title (`上呼吸道`, `gxy`, `hypertension`, `高血`),
each tier shorter codes first. A tier that fills `limit` ends the search, so a
one-letter query costs one index range. Only active codes are offered.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from clinic_tui.terminology.keys import (
    INITIALS_GRAM,
    PART_KEY,
    PINYIN_SUFFIX,
    code_key,
    english_words,
    normalise_latin,
    title_key,
)

_TOP = chr(0x10FFFF)
"""Sorts after every character: the open end of a prefix range."""
_COUNT_CAP = 5000
"""Postings counted at most when choosing the rarest n-gram of a long query."""
_COLUMNS = "c.id, c.system, c.code, c.display_zh, c.display_en, c.rank"

Match = Literal["code", "code-prefix", "title-prefix", "title"]


@dataclass(frozen=True)
class Icd10Hit:
    """One search hit: a code of a code system, its titles and why it matched."""

    code: str
    system: str
    """FHIR code system URI: clinic_tui.terminology.WHO_ICD10 or NATIONAL_ICD10."""
    display: str
    """The title in the language asked for, else the other one."""
    display_zh: str
    display_en: str
    match: Match


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def _is_code_prefix(key: str) -> bool:
    # A letter, then digits (the category), then anything: J, J0, J06, J069, I10X00X002.
    return (
        bool(key)
        and key[0].isalpha()
        and key.isascii()
        and key.isalnum()
        and (len(key) == 1 or key[1].isdigit())
    )


def _is_dbapi(db: Any) -> bool:
    """A sqlite3 connection, or SQLCipher's (an encrypted cache), which is not a subclass."""
    return isinstance(db, sqlite3.Connection) or type(db).__module__ == "sqlcipher3.dbapi2"


def dbapi_connection(db: Any) -> sqlite3.Connection:
    """The sqlite3 connection under a sqlite3 connection, an SQLAlchemy Connection or Session."""
    if _is_dbapi(db):
        return cast(sqlite3.Connection, db)
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    if isinstance(db, Session):
        db = db.connection()
    if isinstance(db, Connection):
        raw = db.connection.driver_connection
        if _is_dbapi(raw):
            return cast(sqlite3.Connection, raw)
    raise TypeError(f"expected a sqlite3 or SQLAlchemy connection or session, got {type(db)}")


class _Query:
    """One search: runs lookups tier by tier until `limit` hits are found."""

    def __init__(
        self, connection: sqlite3.Connection, limit: int, systems: Sequence[str] | None
    ) -> None:
        self.connection = connection
        self.limit = limit
        self.systems = list(systems) if systems is not None else None
        self.rows: list[tuple[Any, ...]] = []
        self.matches: list[Match] = []
        self.seen: set[int] = set()

    @property
    def full(self) -> bool:
        return len(self.rows) >= self.limit

    @property
    def wanted(self) -> int:
        """Rows one lookup fetches: enough to fill the limit after dropping those already found."""
        return self.limit + len(self.seen)

    def _system_filter(self) -> tuple[str, list[str]]:
        if self.systems is None:
            return "", []
        marks = ", ".join("?" for _ in self.systems)
        return f" AND c.system IN ({marks})", self.systems

    def concepts(self, where: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Active concepts matching `where` (on the concept table `c`), best rank first."""
        extra, system_params = self._system_filter()
        sql = (
            f"SELECT {_COLUMNS} FROM terminology_concept c WHERE {where} AND c.active{extra}"
            " ORDER BY c.rank, c.id LIMIT ?"
        )
        return self.connection.execute(sql, [*params, *system_params, self.wanted]).fetchall()

    def by_key(self, key: str, check: str = "", check_params: Sequence[Any] = ()) -> list[Any]:
        """Concepts holding search key `key` (optionally also passing `check`), in rank order."""
        extra, system_params = self._system_filter()
        sql = (
            f"SELECT {_COLUMNS} FROM terminology_search_key k"
            " CROSS JOIN terminology_concept c ON c.id = k.concept_id"
            f" WHERE k.key = ?{check}{extra} ORDER BY k.rank, k.concept_id LIMIT ?"
        )
        params = [key, *check_params, *system_params, self.wanted]
        return self.connection.execute(sql, params).fetchall()

    def by_key_prefix(
        self, prefix: str, check: str = "", check_params: Sequence[Any] = ()
    ) -> list[Any]:
        """Concepts holding a search key that starts with `prefix`, in rank order."""
        extra, system_params = self._system_filter()
        sql = (
            "SELECT DISTINCT k.rank, k.concept_id FROM terminology_search_key k"
            " WHERE k.key >= ? AND k.key < ?"
        )
        sql = (
            f"SELECT {_COLUMNS} FROM ({sql}) AS m"
            " CROSS JOIN terminology_concept c ON c.id = m.concept_id"
            f" WHERE 1{check}{extra} ORDER BY m.rank, m.concept_id LIMIT ?"
        )
        params = [prefix, prefix + _TOP, *check_params, *system_params, self.wanted]
        return self.connection.execute(sql, params).fetchall()

    def rarest(self, keys: Sequence[str]) -> str:
        """The key among `keys` with the fewest postings (counted up to a cap)."""
        sql = "SELECT count(*) FROM (SELECT 1 FROM terminology_search_key WHERE key = ? LIMIT ?)"
        counts = {
            key: self.connection.execute(sql, (key, _COUNT_CAP)).fetchone()[0] for key in keys
        }
        return min(keys, key=lambda key: (counts[key], key))

    def tier(self, match: Match, *found: list[Any]) -> None:
        """Add one tier's rows, best rank first, skipping concepts an earlier tier found."""
        merged = sorted(
            {row[0]: row for rows in found for row in rows}.values(),
            key=lambda row: (row[5], row[0]),
        )
        for row in merged:
            if self.full:
                return
            if row[0] not in self.seen:
                self.seen.add(row[0])
                self.rows.append(row)
                self.matches.append(match)


def _range(column: str) -> str:
    return f"c.{column} >= ? AND c.{column} < ?"


def _han_anywhere(query: _Query, key: str) -> list[Any]:
    if len(key) <= 2:
        return query.by_key("h" + key)
    grams = sorted({"h" + key[i : i + 2] for i in range(len(key) - 1)})
    return query.by_key(query.rarest(grams), " AND instr(c.title_key, ?) > 0", [key])


def _initials_anywhere(query: _Query, letters: str) -> list[Any]:
    if len(letters) < 2:
        return []
    if len(letters) <= INITIALS_GRAM:
        return query.by_key("i" + letters)
    size = INITIALS_GRAM
    grams = sorted({"i" + letters[i : i + size] for i in range(len(letters) - size + 1)})
    return query.by_key(query.rarest(grams), " AND instr(c.pinyin_initials, ?) > 0", [letters])


def _pinyin_anywhere(query: _Query, letters: str) -> list[Any]:
    if len(letters) < 2:
        return []
    if len(letters) <= PINYIN_SUFFIX:
        return query.by_key_prefix("p" + letters)
    head = "p" + letters[:PINYIN_SUFFIX]
    return query.by_key_prefix(head, " AND instr(c.pinyin_full, ?) > 0", [letters])


def _english_anywhere(query: _Query, words: list[str]) -> list[Any]:
    if not words or (len(words) == 1 and len(words[0]) < 2):
        return []
    # Seek on the longest word (the fewest titles), check the others on the title.
    position = max(range(len(words)), key=lambda i: len(words[i]))
    longest, others = words[position], words[:position] + words[position + 1 :]
    check = "".join(" AND instr(' ' || c.english_key, ?) > 0" for _ in others)
    return query.by_key_prefix("e" + longest, check, [" " + word for word in others])


def search_icd10(
    db: Any,
    query: str,
    limit: int = 20,
    lang: str = "zh",
    systems: Sequence[str] | None = None,
) -> list[Icd10Hit]:
    """Up to `limit` active codes matching `query`, best first; [] for an empty query.

    `db` is a sqlite3 connection, an SQLAlchemy Connection or a Session on the cache.
    `lang` ("zh" or "en") picks `display`; `systems` restricts the code systems searched.
    """
    connection = dbapi_connection(db)
    text = query.strip()
    if not text or limit <= 0:
        return []
    found = _Query(connection, limit, systems)
    code = code_key(text)
    if _is_code_prefix(code):
        found.tier("code", found.concepts("c.code_key = ?", [code]))
        if not found.full:
            found.tier("code-prefix", found.concepts(_range("code_key"), [code, code + _TOP]))
    if not found.full:
        if any(_is_han(char) for char in text):
            _han_tiers(found, title_key(text))
        else:
            _latin_tiers(found, text)
    return [_hit(row, match, lang) for row, match in zip(found.rows, found.matches, strict=True)]


def _part_prefix(found: _Query, kind: str, key: str, column: str) -> list[Any]:
    """Concepts with a title part starting with `key` (checked on `column` past the key's cut)."""
    if len(key) <= PART_KEY:
        return found.by_key_prefix(kind + key)
    return found.by_key_prefix(kind + key[:PART_KEY], f" AND instr(c.{column}, ?) > 0", [key])


def _han_tiers(found: _Query, key: str) -> None:
    if not key:
        return
    found.tier(
        "title-prefix",
        found.concepts(_range("title_key"), [key, key + _TOP]),
        _part_prefix(found, "S", key, "title_key"),
    )
    if not found.full:
        found.tier("title", _han_anywhere(found, key))


def _latin_tiers(found: _Query, text: str) -> None:
    letters = normalise_latin(text)
    words = english_words(text)
    if not letters:
        return
    phrase = " ".join(words)
    prefixes = [found.concepts(_range("english_key"), [phrase, phrase + _TOP])] if words else []
    if letters.isascii():
        for column, kind in (("pinyin_initials", "I"), ("pinyin_full", "P")):
            prefixes.append(found.concepts(_range(column), [letters, letters + _TOP]))
            prefixes.append(_part_prefix(found, kind, letters, column))
    found.tier("title-prefix", *prefixes)
    if found.full:
        return
    anywhere = [_english_anywhere(found, words)]
    if letters.isascii() and letters.isalnum():
        anywhere += [_initials_anywhere(found, letters), _pinyin_anywhere(found, letters)]
    found.tier("title", *anywhere)


def _hit(row: tuple[Any, ...], match: Match, lang: str) -> Icd10Hit:
    _, system, code, zh, en, _ = row
    display = (en or zh) if lang == "en" else (zh or en)
    return Icd10Hit(
        code=code, system=system, display=display, display_zh=zh, display_en=en, match=match
    )
