"""CellWrap: lines measured in terminal cells, Chinese broken between characters, nothing cut."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from clinic_tui.widgets.cell_wrap import CellWrap, wrap_cells

FINDING = (
    "!! 高危\u00a0阿莫西林属于青霉素类；患者对青霉素 Penicillin过敏（过敏性休克 anaphylaxis）："
    "对一种青霉素过敏者对所有青霉素类均过敏（英国国家处方集（BNF）：青霉素类过敏）"
)


def _lines(text: str, width: int) -> list[str]:
    return [line.plain for line in wrap_cells(Text(text), width)]


def test_every_line_fits_and_every_character_is_kept() -> None:
    for width in (20, 37, 61, 77, 111):
        lines = _lines(FINDING, width)
        assert all(cell_len(line) <= width for line in lines)
        assert "".join("".join(line.split()) for line in lines) == "".join(FINDING.split())
        assert not any("…" in line for line in lines)


def test_the_severity_word_keeps_the_finding_beside_it() -> None:
    # A no-break space after 高危: the first line carries the finding's first characters.
    assert _lines(FINDING, 20)[0].startswith("!! 高危\u00a0阿莫西林")


def test_closing_punctuation_never_starts_a_line_nor_opening_ends_one() -> None:
    # From 16 cells every unbreakable piece ('anaphylaxis）：' is 15) fits a line.
    for width in range(16, 90):
        for line in _lines(FINDING, width):
            assert line[:1] not in "，。；：）》"
            assert line[-1:] not in "（《"


def test_an_english_word_is_never_split_when_it_fits_a_line() -> None:
    text = "Amoxicillin is a penicillin; the patient is allergic to Penicillin"
    for width in range(11, 60):
        words = " ".join(_lines(text, width)).split()
        assert words == text.split()


def test_a_word_wider_than_the_line_is_folded_not_cut() -> None:
    lines = _lines("x" * 25, 10)
    assert lines == ["x" * 10, "x" * 10, "x" * 5]


def test_styles_survive_the_wrap() -> None:
    text = Text("!! HIGH ", style="bold red")
    text.append("对一种青霉素过敏者对所有青霉素类均过敏")
    console = Console(width=16, color_system="truecolor", legacy_windows=False)
    with console.capture() as capture:
        console.print(CellWrap(text))
    drawn = capture.get()
    assert "\x1b[1;31m" in drawn
    assert all(cell_len(line) <= 16 for line in Text.from_ansi(drawn).plain.splitlines())
