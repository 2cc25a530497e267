"""Find patients in the cache by name, pinyin, identity number or phone, through indexes only.

The shape of the query decides where to look: digits are an identity-number or
phone prefix, letters mixed with digits a passport number, Han characters a
name or given-name prefix, Latin letters pinyin (full, initials or of the given
name alone, `lu` standing for lü too) or a Latin family/given name in either
order. Every lookup is a range over one index (`col >= q AND col < q || U+10FFFF`),
never LIKE, so a 100,000-patient cache answers in a few milliseconds and `%` or
`_` in a query are plain characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, Row, text

from clinic_tui.domain.models import Gender, PatientSummary
from clinic_tui.domain.pinyin import normalise_query
from clinic_tui.domain.registration import MatchedOn, PossibleDuplicate

_TOP = chr(0x10FFFF)
"""Sorts after every character a name or number can hold: the open end of a prefix range."""

_DIGITS = re.compile(r"\d+[xX]?")
_DOCUMENT = re.compile(r"[A-Za-z0-9]*\d[A-Za-z0-9]*")
"""Letters and digits with at least one digit: a passport or other document number."""
_SEPARATORS = re.compile(r"[\s\-()]")
_SELECT = "SELECT id, name, gender, birth_date, identifier, phone, pending, pinyin_full"


class QueryKind(StrEnum):
    """What a query looks like, and so which indexes answer it."""

    NUMBER = "number"
    DOCUMENT = "document"
    HAN_NAME = "han-name"
    LATIN = "latin"
    NONE = "none"


@dataclass(frozen=True)
class _Lookup:
    """One index range: the indexed expression and the prefix sought in it."""

    expression: str
    prefix: str
    secondary: bool = False
    """A weaker reading of the query (the given name alone): ranked after the main ones."""
    equal: tuple[str, str] | None = None
    """(expression, value) the row must also equal: the family name typed before a given one."""

    @property
    def sql(self) -> str:
        # Expressions are this module's constants, never user text; the values are bound.
        also = f" AND {self.equal[0]} = :equal" if self.equal else ""
        return (
            f"{_SELECT}, {self.expression} AS matched FROM patient"
            f" WHERE {self.expression} >= :low AND {self.expression} < :high{also} AND active"
            f" ORDER BY {self.expression} LIMIT :limit"
        )

    def params(self, limit: int) -> dict[str, Any]:
        """Bound values of `sql`."""
        values: dict[str, Any] = {"low": self.prefix, "high": self.prefix + _TOP, "limit": limit}
        if self.equal:
            values["equal"] = self.equal[1]
        return values


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def classify(query: str) -> tuple[QueryKind, str]:
    """The kind of `query` and its normalised form (what the indexes hold)."""
    stripped = query.strip()
    if any(_is_han(char) for char in stripped):
        return QueryKind.HAN_NAME, "".join(stripped.split())
    compact = _SEPARATORS.sub("", stripped)
    if _DIGITS.fullmatch(compact):
        return QueryKind.NUMBER, compact.upper()
    if _DOCUMENT.fullmatch(compact):
        return QueryKind.DOCUMENT, compact.upper()
    letters = normalise_query(stripped)
    if letters and letters.isascii() and letters.isalpha():
        return QueryKind.LATIN, letters
    return QueryKind.NONE, ""


def _lookups(query: str) -> list[_Lookup]:
    kind, key = classify(query)
    if kind is QueryKind.NUMBER:
        found = [_Lookup("identifier", key)]
        if key.endswith("X"):
            # A record may carry the check character in lower case as typed at another desk.
            found.append(_Lookup("identifier", key[:-1] + "x"))
        else:
            found.append(_Lookup("phone", key))
        return found
    if kind is QueryKind.DOCUMENT:
        return [_Lookup("identifier", key)]
    if kind is QueryKind.HAN_NAME:
        # The given name alone (淑珍 for 王淑珍): lower() of Han text is itself, so the
        # index on lower(given) answers it.
        return [_Lookup("name", key), _Lookup("lower(given)", key, secondary=True)]
    if kind is QueryKind.LATIN:
        return _latin_lookups(query, key)
    return []


def _latin_lookups(query: str, key: str) -> list[_Lookup]:
    # Family and given names keep their punctuation (O'Brien); pinyin keys do not.
    latin = " ".join(query.strip().lower().split())
    found = [_Lookup("pinyin_initials", key)]
    for variant in u_umlaut_variants(key):
        found.append(_Lookup("pinyin_full", variant))
        found.append(_Lookup("pinyin_given", variant, secondary=True))
    found += [_Lookup("lower(family)", latin), _Lookup("lower(given)", latin)]
    words = latin.split()
    if len(words) >= 2:
        # Family name first, as a Chinese form asks even for a foreign resident
        # ("Okafor Ahmed"), or a Chinese name in Western order ("san zhang").
        turned = normalise_query(" ".join([*words[1:], words[0]]))
        found.append(_Lookup("pinyin_full", turned))
        found.append(
            _Lookup("lower(given)", " ".join(words[1:]), equal=("lower(family)", words[0]))
        )
    return found


_U_AFTER_L_OR_N = re.compile(r"(?<=[ln])u")
MAX_UMLAUT_GUESSES = 2
"""`lu` and `nu` spots read both ways, at most this many (4 keys): names are short."""


def u_umlaut_variants(key: str) -> list[str]:
    """`key` with each `lu`/`nu` also read as lü/nü (stored as `lv`/`nv`): `lumin` finds 吕敏.

    A keyboard has no ü, so people type u; pinyin keys keep ü as v (what IMEs type).
    """
    spots = [match.start() for match in _U_AFTER_L_OR_N.finditer(key)][:MAX_UMLAUT_GUESSES]
    variants = [key]
    for spot in spots:
        variants += [variant[:spot] + "v" + variant[spot + 1 :] for variant in variants]
    return variants


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def patient_summary(row: Row[Any]) -> PatientSummary:
    """A PatientSummary from a patient row (search results and the chart header alike)."""
    try:
        gender = Gender(row.gender)
    except ValueError:
        gender = Gender.UNKNOWN
    return PatientSummary(
        id=row.id,
        name=row.name,
        gender=gender,
        birth_date=_date(row.birth_date),
        identifier=row.identifier,
        phone=row.phone,
        pending=bool(row.pending),
    )


_DUPLICATE_SQL = {
    # Each answered by one index: identifier, phone, name.
    MatchedOn.IDENTIFIER: "identifier IN (:identifier, lower(:identifier))",
    MatchedOn.NAME_AND_PHONE: "phone = :phone AND name = :name",
    MatchedOn.NAME_AND_BIRTH_DATE: "name = :name AND birth_date = :birth_date",
}


def find_possible_duplicates(
    connection: Connection,
    name: str,
    birth_date: date | None,
    identifier: str | None,
    phone: str | None,
) -> list[PossibleDuplicate]:
    """Active patients sharing the identity number, or the name with the phone or birth date.

    Strongest reason first (an identity number outweighs a name); each patient once.
    """
    values = {
        "identifier": (identifier or "").strip().upper(),
        "phone": phone or "",
        "name": name.strip(),
        "birth_date": birth_date.isoformat() if birth_date else "",
    }
    needed = {
        MatchedOn.IDENTIFIER: values["identifier"],
        MatchedOn.NAME_AND_PHONE: values["phone"] and values["name"],
        MatchedOn.NAME_AND_BIRTH_DATE: values["birth_date"] and values["name"],
    }
    found: dict[str, PossibleDuplicate] = {}
    for on, where in _DUPLICATE_SQL.items():
        if not needed[on]:
            continue
        sql = f"{_SELECT} FROM patient WHERE {where} AND active ORDER BY name, id LIMIT 20"
        for row in connection.execute(text(sql), values):
            if row.id not in found:
                found[row.id] = PossibleDuplicate(patient_summary(row), on)
    return list(found.values())


class PatientSearch:
    """Patient look-up over the cache: exact matches first, then prefix matches, by pinyin."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def search(self, query: str, limit: int = 50) -> list[PatientSummary]:
        """Up to `limit` active patients matching `query`, best first; [] for an empty query."""
        lookups = _lookups(query)
        if not lookups or limit <= 0:
            return []
        best: dict[str, tuple[tuple[bool, int, str, str, str], Row[Any]]] = {}
        with self.engine.connect() as connection:
            for lookup in sorted(lookups, key=lambda each: each.secondary):
                if lookup.secondary and len(best) >= limit:
                    break  # the main readings fill the page; weaker ones would rank below it
                for row in connection.execute(text(lookup.sql), lookup.params(limit)):
                    # The query's main readings first, the given name alone after them; within
                    # each, exact first: the whole key typed (zs for 张三, a full phone number).
                    tier = 0 if row.matched.upper() == lookup.prefix.upper() else 1
                    rank = (lookup.secondary, tier, row.pinyin_full, row.name, row.id)
                    if row.id not in best or rank < best[row.id][0]:
                        best[row.id] = (rank, row)
        ranked = sorted(best.values(), key=lambda item: item[0])
        return [patient_summary(row) for _, row in ranked[:limit]]

    def possible_duplicates(
        self, name: str, birth_date: date | None, identifier: str | None, phone: str | None
    ) -> list[PossibleDuplicate]:
        """Patients on file a new registration may be (see find_possible_duplicates)."""
        with self.engine.connect() as connection:
            return find_possible_duplicates(connection, name, birth_date, identifier, phone)

    def get(self, patient_id: str) -> PatientSummary | None:
        """The patient with this id (active or not), or None when it is not cached."""
        with self.engine.connect() as connection:
            row = connection.execute(
                text(f"{_SELECT} FROM patient WHERE id = :id"), {"id": patient_id}
            ).first()
        return patient_summary(row) if row is not None else None

    def explain(self, query: str) -> list[str]:
        """SQLite's query plan of every lookup `query` runs (to check each uses an index)."""
        details: list[str] = []
        with self.engine.connect() as connection:
            for lookup in _lookups(query):
                details.extend(_plan(connection, lookup))
        return details


def _plan(connection: Connection, lookup: _Lookup) -> list[str]:
    rows = connection.execute(text("EXPLAIN QUERY PLAN " + lookup.sql), lookup.params(50))
    return [str(row[-1]) for row in rows]
