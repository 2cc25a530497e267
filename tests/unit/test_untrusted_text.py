"""The trust boundary for outside text: controls made visible, bidi removed, markup inert."""

from __future__ import annotations

import pytest
from rich.console import Console

from clinic_tui.domain.untrusted import cap, clean, clean_json, clean_line, is_clean
from clinic_tui.widgets.data_text import NAME_LIMIT, data_block, data_text, name_text

HOSTILE_NAME = (
    "EscName\x1b]52;c;Y3VybCBodHRwOi8vZXZpbC5leGFtcGxlL3ggfCBzaAo=\x1b\\\x1b[2J"
    "\x1b]8;;https://evil.example\x1b\\LINK\x1b]8;;\x1b\\\x9b31m\u202eexe.txt"
)


def test_escape_c1_and_bidi_never_survive() -> None:
    cleaned = clean(HOSTILE_NAME)
    assert "\x1b" not in cleaned
    assert "\x9b" not in cleaned
    assert "\u202e" not in cleaned
    assert cleaned.startswith("EscName␛]52;c;")  # visible, so the clinician sees it is odd
    assert "\ufffd31m" in cleaned  # the C1 CSI shown as a replacement character
    assert cleaned.endswith("exe.txt")


@pytest.mark.parametrize("code", [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])
def test_every_c0_control_but_tab_and_newline_becomes_a_picture(code: int) -> None:
    cleaned = clean(f"a{chr(code)}b")
    assert cleaned[0] == "a"
    assert cleaned[2] == "b"
    assert 0x2400 <= ord(cleaned[1]) <= 0x2421


@pytest.mark.parametrize("code", range(0x80, 0xA0))
def test_every_c1_control_is_replaced(code: int) -> None:
    assert all(ord(c) < 0x80 or ord(c) > 0x9F for c in clean(f"a{chr(code)}b"))


@pytest.mark.parametrize(
    "bidi",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"],
)
def test_bidi_controls_are_removed(bidi: str) -> None:
    assert clean(f"abc{bidi}def") == "abcdef"


def test_tab_newline_kept_in_blocks_and_spaced_in_lines() -> None:
    assert clean("a\tb\r\nc") == "a\tb\nc"
    assert clean_line("a\tb\nc\u2028d") == "a b c d"


def test_lone_surrogates_become_replacement_characters() -> None:
    assert clean("王\ud800五") == "王\ufffd五"
    assert clean("王\ud800五").encode("utf-8")


def test_chinese_and_rare_characters_untouched() -> None:
    for text in ("王五", "𠀀𪚥 Ext-B", "Ⅱ型糖尿病", "O'Brien-Smith"):
        assert clean(text) == text
        assert is_clean(text)


def test_cap_keeps_the_limit_with_an_ellipsis() -> None:
    assert cap("abcdef", 4) == "abc…"
    assert cap("abc", 4) == "abc"
    assert len(clean("x" * 1_000_000, limit=300)) == 300


def test_clean_json_cleans_every_string_and_returns_the_same_object_when_clean() -> None:
    resource = {"resourceType": "Patient", "name": [{"text": "王五", "given": ["a\x1bb"]}]}
    cleaned = clean_json(resource)
    assert cleaned["name"][0]["given"] == ["a␛b"]
    assert resource["name"][0]["given"] == ["a\x1bb"]  # the input is not changed
    plain = {"resourceType": "Patient", "name": [{"text": "王五"}]}
    assert clean_json(plain) is plain


def _rendered(text: object) -> str:
    console = Console(width=200, force_terminal=True, color_system="truecolor", record=False)
    with console.capture() as captured:
        console.print(text)
    return captured.get()


def test_data_text_is_never_markup() -> None:
    text = data_text("[bold red]RED[/] [@click=app.quit]QUIT[/] 王[/]五")
    assert text.plain == "[bold red]RED[/] [@click=app.quit]QUIT[/] 王[/]五"
    assert not text.spans
    out = _rendered(text)
    assert "[bold red]RED[/]" in out


def test_rendered_data_writes_no_escape_of_its_own() -> None:
    out = _rendered(data_block(HOSTILE_NAME))
    assert "\x1b]" not in out  # no OSC
    assert "\x1b[2J" not in out
    assert "\x9b" not in out
    assert "\u202e" not in out


def test_name_text_is_capped_on_one_line() -> None:
    text = name_text("王" * 1_000_000 + "\n次行")
    assert len(text.plain) == NAME_LIMIT
    assert "\n" not in text.plain
