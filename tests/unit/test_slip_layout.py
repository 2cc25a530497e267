"""The slip's fields hold what is written in them (issue #18, point 10): a long name shrinks
and then wraps inside its own field, a long diagnosis wraps in its box and is cut with a
marker, characters the font lacks print as a visible □ and are named before printing.

Each test reads the PDF back with pdfium: where every character of a field landed, and
that the whole text is there. The pages are saved as PNGs beside the PDFs to look at."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from clinic_tui.prescribing.slip import (
    MARGIN_MM,
    MISSING_GLYPH,
    PAGE_MM,
    RP_BOTTOM_MM,
    Diagnosis,
    SlipData,
    missing_glyphs,
    render_slip_pdf,
    slip_glyph_problems,
)
from tests.unit import slip_samples as samples

PT_PER_MM = 72 / 25.4
LONG_ZH_NAME = "克里斯蒂娜·玛丽亚·德·拉·克鲁兹·冈萨雷斯·阿卜杜热合曼"
LONG_EN_NAME = "Maximilian Alexander Konstantinopoulos-Worthington"
UYGHUR_NAME = "ئابدۇرەھىم مەمەت"
LONG_DIAGNOSIS = (
    "2型糖尿病伴多个并发症，糖尿病肾病（慢性肾脏病3期），糖尿病周围神经病变，糖尿病视网膜病变"
    "（非增殖期），高血压3级（很高危），高脂血症，冠状动脉粥样硬化性心脏病，稳定型心绞痛，"
    "慢性心力衰竭（NYHA II级），骨关节炎，骨质疏松症，慢性阻塞性肺疾病稳定期，睡眠呼吸暂停"
)


class Page:
    """One slip read back: every character with its box (mm from the top-left)."""

    def __init__(self, path: Path) -> None:
        document = pdfium.PdfDocument(str(path))
        try:
            self.pages = len(document)
            page = document[0]
            textpage = page.get_textpage()
            self.chars: list[tuple[str, tuple[float, float, float, float]]] = []
            for index in range(textpage.count_chars()):
                char = textpage.get_text_range(index, 1)
                left, bottom, right, top = textpage.get_charbox(index)
                box = (
                    left / PT_PER_MM,
                    PAGE_MM[1] - top / PT_PER_MM,
                    right / PT_PER_MM,
                    PAGE_MM[1] - bottom / PT_PER_MM,
                )
                self.chars.append((char, box))
            page.render(scale=150 / 72).to_pil().save(path.with_suffix(".png"))
            textpage.close()
        finally:
            document.close()

    @property
    def flat(self) -> str:
        """The page's text without any whitespace (line breaks included)."""
        return "".join(char for char, _ in self.chars if not char.isspace())

    def boxes(self, text: str, occurrence: int = 0) -> list[tuple[float, float, float, float]]:
        """The boxes of `text`'s characters (whitespace ignored, lines may wrap)."""
        visible = [(char, box) for char, box in self.chars if not char.isspace()]
        flat = "".join(char for char, _ in visible)
        wanted = re.sub(r"\s+", "", text)
        start = -1
        for _ in range(occurrence + 1):
            start = flat.find(wanted, start + 1)
            assert start >= 0, f"{text!r} is not on the slip: {flat!r}"
        return [box for _, box in visible[start : start + len(wanted)]]

    def extent(self, text: str) -> tuple[float, float, float, float]:
        """left, top, right, bottom of `text` on the page."""
        boxes = self.boxes(text)
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Where a test's slips go (and their PNGs, to look at)."""
    return tmp_path


def draw(data: SlipData, path: Path) -> Page:
    """Render and read back."""
    page = Page(render_slip_pdf(data, path))
    assert page.pages == 1
    return page


def assert_inside_page(page: Page) -> None:
    """No character of the slip crosses the page's edge."""
    for char, (left, top, right, bottom) in page.chars:
        if char.isspace():
            continue
        assert 0 <= left < right <= PAGE_MM[0], char
        assert 0 <= top < bottom <= PAGE_MM[1], char


@pytest.mark.parametrize(
    ("lang", "name", "next_label", "below_label"),
    [
        ("zh", LONG_ZH_NAME, "性别", "门诊/住院病历号"),
        ("en", LONG_EN_NAME, "Sex", "Outpatient/inpatient no."),
        ("zh", "欧阳娜娜", "性别", "门诊/住院病历号"),
    ],
)
def test_a_long_name_stays_whole_inside_its_own_field(
    folder: Path, lang: str, name: str, next_label: str, below_label: str
) -> None:
    data = replace(samples.rare_name_slip(lang), patient_name=name)
    page = draw(data, folder / f"name-{lang}-{len(name)}.pdf")
    _, label_top, label_right, _ = page.extent("姓名" if lang == "zh" else "Name")
    next_left = page.extent(next_label)[0]
    below_top = page.extent(below_label)[1]
    boxes = page.boxes(name)
    assert len(boxes) == len(re.sub(r"\s+", "", name))  # every character printed
    for left, top, right, bottom in boxes:
        assert left >= label_right - 0.1  # after its label
        assert right <= next_left - 1  # never over 性别 / Sex
        assert top >= label_top - 1.5
        assert bottom <= below_top - 0.5  # never over the row below
    assert_inside_page(page)


def test_a_short_name_is_printed_at_the_full_size(folder: Path) -> None:
    page = draw(replace(samples.rare_name_slip(), patient_name="欧阳娜娜"), folder / "short.pdf")
    name_height = page.extent("欧阳娜娜")[3] - page.extent("欧阳娜娜")[1]
    label_height = page.extent("姓名")[3] - page.extent("姓名")[1]
    assert name_height >= label_height * 0.9


def test_a_long_diagnosis_wraps_in_its_box_and_a_cut_says_so(folder: Path) -> None:
    text = f"{LONG_DIAGNOSIS}；{LONG_DIAGNOSIS}"  # about 8 lines: more than the box holds
    data = replace(samples.five_line_slip(), diagnoses=(Diagnosis("E11.7", text),))
    page = draw(data, folder / "long-diagnosis.pdf")
    start = LONG_DIAGNOSIS[:20]
    assert start in page.flat
    assert "（余见病历）" in page.flat  # the cut is marked in words
    assert "…" in page.flat
    rp_top = page.extent("Rp")[1]
    label_right = page.extent("临床诊断")[2]
    kept = page.flat[page.flat.index("E11.7") : page.flat.index("（余见病历）")]
    for left, _top, right, bottom in page.boxes(kept):
        assert left >= label_right - 0.1
        assert right <= PAGE_MM[0] - MARGIN_MM + 0.2
        assert bottom <= rp_top
    lines = {round(top) for _, top, _, _ in page.boxes(kept)}
    assert len(lines) >= 3  # wrapped, not cut at the first line
    assert_inside_page(page)
    # The drug lines still sit above the footer.
    assert page.extent("以下空白")[3] < RP_BOTTOM_MM


def test_a_diagnosis_four_lines_long_is_printed_whole_without_a_marker(folder: Path) -> None:
    text = LONG_DIAGNOSIS
    data = replace(samples.rare_name_slip(), diagnoses=(Diagnosis("E11.7", text),))
    page = draw(data, folder / "two-line-diagnosis.pdf")
    assert re.sub(r"\s+", "", text) in page.flat
    assert "余见病历" not in page.flat
    for _, _, right, _ in page.boxes(text):
        assert right <= PAGE_MM[0] - MARGIN_MM + 0.2


def test_an_english_diagnosis_cut_is_marked_in_english(folder: Path) -> None:
    text = " ".join(["Type 2 diabetes mellitus with multiple complications"] * 8)
    data = replace(samples.five_line_slip("en"), diagnoses=(Diagnosis("E11.7", text),))
    page = draw(data, folder / "long-diagnosis-en.pdf")
    assert "(continuedintherecord)" in page.flat
    assert_inside_page(page)


def test_characters_the_font_lacks_print_as_a_visible_mark_not_nothing(folder: Path) -> None:
    data = replace(samples.rare_name_slip(), patient_name=UYGHUR_NAME)
    assert missing_glyphs(UYGHUR_NAME)  # Noto Sans CJK has no Arabic script
    page = draw(data, folder / "uyghur-name.pdf")
    letters = re.sub(r"\s+", "", UYGHUR_NAME)
    assert MISSING_GLYPH * len(letters) in page.flat


def test_the_glyph_problems_name_the_missing_characters_of_name_and_diagnosis() -> None:
    data = replace(
        samples.rare_name_slip(),
        patient_name="王芳😀",
        diagnoses=(Diagnosis("Z00.0", "健康检查 שלום"),),
    )
    problems = slip_glyph_problems(data)
    assert problems == {"name": "😀", "diagnosis": "שלום"}
    assert slip_glyph_problems(samples.rare_name_slip()) == {}


def test_outside_text_on_the_slip_is_cleaned(folder: Path) -> None:
    data = replace(
        samples.rare_name_slip(),
        patient_name="王\u202e芳\x1b[31m",
        diagnoses=(Diagnosis("J02.9", "急性\n咽炎"),),
    )
    page = draw(data, folder / "controls.pdf")
    assert "\u202e" not in page.flat
    assert "\x1b" not in page.flat
    assert "急性咽炎" in page.flat


def test_a_second_slip_of_the_same_name_goes_beside_the_first(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = folder / "2026-11-30" / "0930-abcd.pdf"
    first = render_slip_pdf(samples.rare_name_slip(), target)
    before = first.read_bytes()
    second = render_slip_pdf(samples.child_slip(), target)

    def no_hard_links(*_args: object) -> None:
        raise PermissionError(1, "Operation not permitted")  # a FAT stick, say

    monkeypatch.setattr("os.link", no_hard_links)
    third = render_slip_pdf(samples.emergency_slip(), target)
    assert [first.name, second.name, third.name] == [
        "0930-abcd.pdf",
        "0930-abcd-2.pdf",
        "0930-abcd-3.pdf",
    ]
    assert first.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == sorted(
        [first.name, second.name, third.name]
    )
    assert "孙昇" in Page(third).flat
