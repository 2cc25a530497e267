"""A walk-in patient as typed at the desk, and how their name splits into family and given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinic_tui.domain.models import Gender

COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
        "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里",
        "呼延", "万俟", "闻人", "澹台", "公冶", "太史", "申屠", "钟离", "赫连", "司空",
    }
)  # fmt: skip
"""Two-character family names: 欧阳明 is 欧阳 + 明, not 欧 + 阳明."""


@dataclass(frozen=True)
class NewPatient:
    """A patient registered at the desk, already validated (see domain.validation)."""

    name: str
    gender: Gender
    birth_date: date
    identifier: str | None = None
    """Resident identity number (18 characters), if the patient carries the card."""
    phone: str | None = None


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def split_name(name: str) -> tuple[str, list[str]]:
    """(family, given) of a typed name.

    Chinese names put the family name first: one character, or two for a known
    compound surname. Latin names put it last ("Li Wei" stays readable for a
    foreign resident typed in Western order).
    """
    text = "".join(name.split()) if all(_is_han(c) for c in name if not c.isspace()) else name
    text = text.strip()
    if not text:
        return "", []
    if _is_han(text[0]):
        size = 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else 1
        given = text[size:]
        return text[:size], [given] if given else []
    words = text.split()
    if len(words) == 1:
        return words[0], []
    return words[-1], words[:-1]
