"""A release form (or route) the formulary does not stock never resolves to the stocked one.

Issue #19 finding 10: 硫酸吗啡缓释片 read as immediate-release morphine, 琥珀酸美托洛尔缓释片
as metoprolol tartrate, 单硝酸异山梨酯片 as the 40 mg SR tablet, 头孢呋辛 (injection) as the
oral axetil: each would be handed over in the wrong form.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from clinic_tui import i18n
from clinic_tui.prescribing.formulary import Formulary, normalise, starter_formulary
from clinic_tui.prescribing.order_line import parse_order_line
from clinic_tui.prescribing.release_forms import names, not_stocked


@contextmanager
def use_language(code: str) -> Iterator[None]:
    """Messages in `code` for the block, the process's language restored after."""
    before = i18n.language()
    i18n.set_language(code)
    try:
        yield
    finally:
        i18n.set_language(before)


WRONG_FORM = [
    ("琥珀酸美托洛尔缓释片 47.5mg qd 7d", "metoprolol"),
    ("硝苯地平缓释片 20mg bid 7d", "nifedipine"),
    ("单硝酸异山梨酯片 20mg bid 7d", "isosorbide-mononitrate"),
    ("硫酸吗啡缓释片 30mg q12h 3d", "morphine"),
    ("曲马多缓释片 100mg bid 3d", "tramadol"),
    ("丙戊酸钠缓释片 500mg bid 7d", "valproate"),
    ("头孢克洛缓释片 375mg bid 5d", "cefaclor"),
    ("头孢呋辛 250mg bid 5d", "cefuroxime-axetil"),
    ("注射用头孢呋辛钠 1.5g iv bid 3d", "cefuroxime-axetil"),
    ("cefuroxime 500mg bid 5d", "cefuroxime-axetil"),
]


@pytest.mark.parametrize(("typed", "code"), WRONG_FORM)
def test_a_name_of_an_unstocked_form_resolves_to_nothing_and_says_so(typed: str, code: str) -> None:
    with use_language("en"):
        parsed = parse_order_line(typed, starter_formulary())
    assert parsed.order is None
    [problem] = parsed.problems
    assert "not stocked in this form" in problem
    entry = not_stocked(typed.split()[0])
    assert entry is not None
    assert entry.drug == code
    assert starter_formulary().find(code) is not None  # the row it names exists


def test_the_message_is_in_chinese_for_a_chinese_session() -> None:
    with use_language("zh"):
        parsed = parse_order_line("硫酸吗啡缓释片 30mg q12h 3d", starter_formulary())
    assert parsed.order is None
    assert "此剂型未备药" in parsed.problems[0]
    assert "盐酸吗啡普通片" in parsed.problems[0]


@pytest.mark.parametrize(
    ("typed", "code", "form"),
    [
        ("单硝酸异山梨酯缓释片 40mg qd 7d", "isosorbide-mononitrate", "tablet-sr"),
        ("硝苯地平控释片 30mg qd 7d", "nifedipine", "tablet-cr"),
        ("酒石酸美托洛尔片 25mg bid 7d", "metoprolol", "tablet"),
        ("头孢呋辛酯 250mg bid 5d", "cefuroxime-axetil", "tablet"),
        ("头孢呋辛酯片 250mg bid 5d", "cefuroxime-axetil", "tablet"),
        ("盐酸吗啡片 10mg q4h 1d", "morphine", "tablet"),
    ],
)
def test_the_stocked_form_still_resolves(typed: str, code: str, form: str) -> None:
    parsed = parse_order_line(typed, starter_formulary())
    assert parsed.order is not None, parsed.problems
    assert (parsed.order.drug.code, parsed.order.product.form) == (code, form)


def test_no_unstocked_name_is_a_name_of_the_starter_formulary() -> None:
    formulary = starter_formulary()
    assert [name for name in names() if formulary.find(name) is not None] == []


def test_a_formulary_that_stocks_the_form_wins() -> None:
    # A hospital's import with its own SR morphine row: the name is its, not "not stocked".
    from dataclasses import replace

    morphine = starter_formulary().find("morphine")
    assert morphine is not None
    sr = replace(morphine, code="morphine-sr", synonyms=("硫酸吗啡缓释片",))
    parsed = parse_order_line("硫酸吗啡缓释片 10mg q12h 3d", Formulary([morphine, sr]))
    assert parsed.order is not None
    assert parsed.order.drug.code == "morphine-sr"
    assert normalise("硫酸吗啡缓释片") in names()
