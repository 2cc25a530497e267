"""Normalised forms and search keys of a code and its titles; pure functions, no SQL.

Every key starts with a letter saying what it indexes, so one index serves all:
  h + 1 or 2 characters of the Chinese title (高, 高血): `高血` anywhere in a title
  i + 2 or 3 letters of the title's pinyin initials (gx, gxy): `gxy` anywhere
  p + the full pinyin from each syllable on, cut at 16 letters: `gaoxueya` anywhere
  e + each word of the English title (hypertension): English word prefixes
  S, I, P + each part of the Chinese title (特发性（原发性）高血压 has three parts), in
    characters, pinyin initials and full pinyin, cut at 16: a part that starts with the
    query ranks as a title prefix, so `高血压` and `gxy` put I10 before titles merely holding it
Longer Chinese or initials queries intersect through their rarest n-gram and are
checked against the whole title; see search.py.

Caches keep the keys made when a code was imported: a change to what keys are made must
come with a step that rebuilds them in existing caches (none has been needed yet).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass

HAN_GRAM = 2
"""Chinese n-grams indexed: 1 and 2 characters."""
INITIALS_GRAM = 3
"""Pinyin-initial n-grams indexed: 2 and 3 letters (one letter is a code prefix anyway)."""
PINYIN_SUFFIX = 16
"""Letters kept of each full-pinyin suffix key; longer queries are checked on the title."""
PART_KEY = 16
"""Characters kept of each title part's keys; longer queries are checked on the title."""

_WORD = re.compile(r"[a-z0-9]+")
_CODE_DROP = re.compile(r"[\s.\-_]")
_RANK_DIGITS = 12
"""Characters of a code the rank orders exactly (37**12 < 2**63)."""


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def code_key(code: str) -> str:
    """A code as code searches compare it: upper case, no dots, dashes or spaces (I10X00X002)."""
    return _CODE_DROP.sub("", unicodedata.normalize("NFKC", code)).upper()


def code_rank(code: str) -> int:
    """Sort order of a code: shorter codes first, then alphabetical (fits SQLite's INTEGER)."""
    key = code_key(code)
    value = 0
    for char in key[:_RANK_DIGITS]:
        if char.isdigit():
            digit = ord(char) - ord("0") + 1
        elif "A" <= char <= "Z":
            digit = ord(char) - ord("A") + 11
        else:
            digit = 36
        value = value * 37 + digit
    # A leading digit is never 0, so a longer code is always the larger number.
    return value


def title_key(title: str) -> str:
    """A Chinese title or query as compared: lower case, only letters, digits and Han kept."""
    folded = unicodedata.normalize("NFKC", title).lower()
    return "".join(char for char in folded if char.isalnum())


def english_words(title: str) -> list[str]:
    """The words of an English title or query, lower case (letters and digits)."""
    folded = unicodedata.normalize("NFKD", title).lower()
    return _WORD.findall(folded)


def title_parts(title: str) -> list[str]:
    """The parts of a Chinese title between its punctuation, each as title_key holds it."""
    folded = unicodedata.normalize("NFKC", title).lower()
    parts = re.split(r"[^\w]+|_", folded)
    return [part for part in (title_key(part) for part in parts) if part]


def pinyin_syllables(title: str) -> list[str]:
    """Pinyin of each Han character of a title, toneless; digits and Latin runs stay as they are."""
    key = title_key(title)
    if not key:
        return []
    # Imported here: pypinyin's tables cost a quarter of a second; search never needs them.
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
    from pypinyin import Style, lazy_pinyin

    syllables: list[str] = []
    for part in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\u3400-\u9fff\uf900-\ufaff]+", key):
        if _is_han(part[0]):
            found = lazy_pinyin(part, style=Style.NORMAL, errors="ignore")
            syllables.extend(s.lower().replace("ü", "v") for s in found if s)
        else:
            syllables.append(part)
    return syllables


def normalise_latin(query: str) -> str:
    """A Latin query as pinyin keys hold it: lower case, no spaces or apostrophes, ü as v."""
    folded = unicodedata.normalize("NFKC", query).lower().replace("ü", "v")
    return "".join(char for char in folded if char.isalnum())


@dataclass(frozen=True)
class ConceptForms:
    """The normalised forms of one concept that the concept table stores."""

    code_key: str
    title_key: str
    english_key: str
    pinyin_full: str
    pinyin_initials: str
    rank: int
    syllables: tuple[str, ...] = ()
    """The pinyin syllables of the Chinese title (where each full-pinyin suffix starts)."""
    parts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Each part of the Chinese title with its pinyin syllables."""


MAX_INDEXED_TITLE = 200
"""Characters of a title its search keys are made from: ICD-10 titles are far shorter, and an
import file's 4 MB cell must not cost minutes of pinyin and a million keys."""


def concept_forms(code: str, display_zh: str, display_en: str) -> ConceptForms:
    """Normalised code, titles and pinyin of a concept (titles indexed up to MAX_INDEXED_TITLE)."""
    display_zh, display_en = display_zh[:MAX_INDEXED_TITLE], display_en[:MAX_INDEXED_TITLE]
    parts = tuple((part, tuple(pinyin_syllables(part))) for part in title_parts(display_zh))
    syllables = [syllable for _, part_syllables in parts for syllable in part_syllables]
    return ConceptForms(
        code_key=code_key(code),
        title_key=title_key(display_zh),
        english_key=" ".join(english_words(display_en)),
        pinyin_full="".join(syllables),
        pinyin_initials="".join(s[0] for s in syllables),
        rank=code_rank(code),
        syllables=tuple(syllables),
        parts=parts,
    )


def _grams(text: str, sizes: range) -> set[str]:
    return {text[i : i + n] for n in sizes for i in range(len(text) - n + 1)}


def search_keys(forms: ConceptForms) -> set[str]:
    """Every search key of a concept (see the module docstring for their kinds)."""
    keys = {"h" + gram for gram in _grams(forms.title_key, range(1, HAN_GRAM + 1))}
    keys |= {"i" + gram for gram in _grams(forms.pinyin_initials, range(2, INITIALS_GRAM + 1))}
    keys |= {"e" + word for word in forms.english_key.split()}
    keys |= _pinyin_suffixes(forms)
    for part, syllables in forms.parts:
        keys.add("S" + part[:PART_KEY])
        keys.add("I" + "".join(s[0] for s in syllables)[:PART_KEY])
        keys.add("P" + "".join(syllables)[:PART_KEY])
    return keys


def _pinyin_suffixes(forms: ConceptForms) -> set[str]:
    found: set[str] = set()
    position = 0
    for syllable in forms.syllables:
        found.add("p" + forms.pinyin_full[position : position + PINYIN_SUFFIX])
        position += len(syllable)
    return found
