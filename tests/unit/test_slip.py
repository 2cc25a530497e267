"""The printed slip: every field in the PDF's text, the colour band, the kind in words, the
strike-through after the last drug, rare name characters drawn from the embedded font."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

from clinic_tui import cjk_font
from clinic_tui.prescribing import slip as slip_module
from clinic_tui.prescribing.slip import (
    BAND_MM,
    KIND_COLOURS,
    MARGIN_MM,
    PAGE_MM,
    RP_BOTTOM_MM,
    SIGNATURE_MM,
    Age,
    SlipData,
    SlipFontMissingError,
    age_on,
    missing_glyphs,
    render_slip_pdf,
    slip_font,
    slip_text,
)
from tests.unit import slip_samples as samples

SAMPLES: dict[str, Callable[[str], SlipData]] = {
    "rare-name": samples.rare_name_slip,
    "child": samples.child_slip,
    "emergency": samples.emergency_slip,
    "five-lines": samples.five_line_slip,
    "narcotic": samples.narcotic_slip,
    "crowded": samples.crowded_slip,
}
CASES = [(name, lang) for name in SAMPLES for lang in ("zh", "en")]
DPI = 100
PT_PER_MM = 72 / 25.4


class Rendered:
    """One slip drawn: its data, the PDF, its text, and the page as pixels."""

    def __init__(self, data: SlipData, path: Path) -> None:
        self.data = data
        self.path = path
        document = pdfium.PdfDocument(str(path))
        try:
            self.pages = len(document)
            page = document[0]
            self.textpage = page.get_textpage()
            self.text = self.textpage.get_text_range()
            self.image: Image.Image = page.render(scale=DPI / 72).to_pil().convert("RGB")
            self.image.save(path.with_suffix(".png"))  # to look at by hand
            self._document = document
        except Exception:
            document.close()
            raise

    def close(self) -> None:
        """Let pdfium go of the page's text and the document."""
        self.textpage.close()
        self._document.close()

    def pixel(self, x_mm: float, y_mm: float) -> tuple[int, int, int]:
        """The colour at a point measured from the page's top-left corner."""
        x, y = round(x_mm / 25.4 * DPI), round(y_mm / 25.4 * DPI)
        value = self.image.getpixel((x, y))
        assert isinstance(value, tuple)
        return (value[0], value[1], value[2])

    def box_of(self, words: str) -> tuple[float, float, float, float]:
        """Where `words` are on the page: left, top, right, bottom in mm from the top-left."""
        searcher = self.textpage.search(words)
        found = searcher.get_next()
        assert found is not None, f"{words!r} not on the slip"
        first, count = found
        boxes = [self.textpage.get_charbox(first + i) for i in range(count)]
        height = PAGE_MM[1]
        return (
            min(b[0] for b in boxes) / PT_PER_MM,
            height - max(b[3] for b in boxes) / PT_PER_MM,
            max(b[2] for b in boxes) / PT_PER_MM,
            height - min(b[1] for b in boxes) / PT_PER_MM,
        )


@pytest.fixture(scope="module")
def rendered(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, str], Rendered]]:
    """Every sample slip in both languages, drawn once for the module."""
    folder = tmp_path_factory.mktemp("slips")
    slips = {}
    for name, lang in CASES:
        data = SAMPLES[name](lang)
        slips[(name, lang)] = Rendered(data, render_slip_pdf(data, folder / f"{name}-{lang}.pdf"))
    yield slips
    for slip in slips.values():
        slip.close()


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


KIND_WORDS = {
    "ordinary": ("普通", "ORDINARY"),
    "emergency": ("急诊", "EMERGENCY"),
    "paediatric": ("儿科", "PAEDIATRIC"),
    "narcotic-psychotropic-1": ("麻、精一", "NARCOTIC / PSYCHOTROPIC I"),
    "psychotropic-2": ("精二", "PSYCHOTROPIC II"),
}
"""The corner words the 处方标准 gives each kind, as the slip must print them from the
catalogue whatever the session's language."""


def _expected_fields(data: SlipData) -> list[str]:
    """Every value the slip must show, and the labels of its parts, in the slip's language."""
    zh = data.lang == "zh"
    kind_zh, kind_en = KIND_WORDS[data.kind]
    sex = {"male": ("男", "Male"), "female": ("女", "Female")}[data.sex]
    fields = [
        data.clinic_name,
        kind_zh if zh else kind_en,
        "处方笺" if zh else "PRESCRIPTION",
        data.slip_number,
        data.patient_name,
        sex[0] if zh else sex[1],
        data.age.text(data.lang),
        data.patient_id,
        f"{data.issued.year}年{data.issued.month}月{data.issued.day}日"
        if zh
        else data.issued.isoformat(),
        data.prescriber,
        "Rp",
        "以下空白" if zh else "nothing below this line",
        *(
            ["审核", "调配", "核对", "发药"]
            if zh
            else ["Reviewed", "Prepared", "Checked", "Dispensed"]
        ),
    ]
    if zh:
        fields += [
            "姓名",
            "性别",
            "年龄",
            "门诊/住院病历号",
            "科别",
            "临床诊断",
            "开具日期",
            "医师",
            "费别",
        ]
    if data.valid_days == 1:
        fields.append("处方当日有效" if zh else "Valid on the day of issue only")
    else:
        fields.append(f"{data.valid_days}日内有效" if zh else f"Valid for {data.valid_days} days")
    for diagnosis in data.diagnoses:
        fields += [diagnosis.code, diagnosis.name]
    for line in data.lines:
        fields += [line.generic_name, line.strength, line.form, f"{line.quantity} {line.unit}"]
        fields += [line.dose, line.route, line.frequency]
        if line.days:
            fields.append(f"共{line.days}天" if zh else f"for {line.days} days")
        if line.instructions:
            fields.append(line.instructions)
    optional = [data.clinic_address, data.clinic_phone, data.fee_category, data.department]
    optional += [data.amount, data.id_document, data.agent]
    fields += [value for value in optional if value]
    if data.weight_kg is not None:
        fields.append(f"{data.weight_kg:g} kg")
    if data.kind == "narcotic-psychotropic-1":
        fields += ["身份证明编号", "代办人"] if zh else ["ID document no.", "Agent"]
    return fields


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_every_field_is_in_the_pdf_text(
    rendered: dict[tuple[str, str], Rendered], name: str, lang: str
) -> None:
    slip = rendered[(name, lang)]
    text = _flat(slip.text)
    missing = [field for field in _expected_fields(slip.data) if _flat(field) not in text]
    assert missing == [], f"{name}/{lang} lacks {missing} in:\n{slip.text}"
    assert slip.pages == 1


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_the_band_has_the_kinds_colour_and_the_kind_is_in_words_top_right(
    rendered: dict[tuple[str, str], Rendered], name: str, lang: str
) -> None:
    slip = rendered[(name, lang)]
    want = KIND_COLOURS[slip.data.kind]
    for x_mm, y_mm in ((3, 3), (PAGE_MM[0] / 4, BAND_MM - 3), (PAGE_MM[0] - 3, BAND_MM / 2)):
        got = slip.pixel(x_mm, y_mm)
        assert all(abs(a - b) <= 6 for a, b in zip(got, want, strict=True)), (x_mm, y_mm, got)
    # Below the band the page is white: the colour marks the kind, not the whole sheet.
    assert slip.pixel(3, BAND_MM + 20) == (255, 255, 255)
    kind_zh, kind_en = KIND_WORDS[slip.data.kind]
    left, top, _, bottom = slip.box_of(kind_zh if lang == "zh" else kind_en)
    assert left > PAGE_MM[0] / 2, "the kind is printed on the right"
    assert bottom < BAND_MM, "the kind is printed at the top"
    assert top > 0


def test_the_sample_kinds_have_distinct_colours_where_the_regulation_says() -> None:
    assert KIND_COLOURS["ordinary"] == KIND_COLOURS["psychotropic-2"] == (255, 255, 255)
    tinted = [KIND_COLOURS[k] for k in ("emergency", "paediatric", "narcotic-psychotropic-1")]
    assert len(set(tinted)) == 3
    assert (255, 255, 255) not in tinted
    red, green, blue = KIND_COLOURS["emergency"]
    assert min(red, green) > blue, "light yellow"
    red, green, blue = KIND_COLOURS["paediatric"]
    assert green > max(red, blue), "light green"
    red, green, blue = KIND_COLOURS["narcotic-psychotropic-1"]
    assert red > max(green, blue), "light red"


def _dark(pixel: tuple[int, int, int]) -> bool:
    return sum(pixel) < 3 * 110


def _dark_rows(slip: Rendered, x_mm: float, top_mm: float, bottom_mm: float) -> list[float]:
    """Heights (mm) of dark pixels in one column of the page between two heights."""
    x = round(x_mm / 25.4 * DPI)
    top, bottom = round(top_mm / 25.4 * DPI), round(bottom_mm / 25.4 * DPI)
    rows = []
    for y in range(top, bottom):
        value = slip.image.getpixel((x, y))
        assert isinstance(value, tuple)
        if _dark((value[0], value[1], value[2])):
            rows.append(y / DPI * 25.4)
    return rows


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_the_blank_after_the_last_drug_is_struck_through(
    rendered: dict[tuple[str, str], Rendered], name: str, lang: str
) -> None:
    slip = rendered[(name, lang)]
    zh = lang == "zh"
    _, words_top, _, words_bottom = slip.box_of("以下空白" if zh else "nothing below this line")
    last = slip.data.lines[-1]
    _, _, _, last_usage_bottom = slip.box_of(last.frequency)
    assert words_top > last_usage_bottom, "the closing mark comes after the last drug"
    # The diagonal: in three columns across the blank, one dark line, lower further right,
    # and nothing printed in the blank other than it.
    heights = []
    for x_mm in (35.0, 80.0, 125.0):
        rows = _dark_rows(slip, x_mm, words_bottom + 1.5, RP_BOTTOM_MM - 0.6)
        assert rows, f"no stroke at x={x_mm} mm"
        assert max(rows) - min(rows) < 2.5, f"more than one mark at x={x_mm} mm: {rows}"
        heights.append(min(rows))
    assert heights == sorted(heights), "the stroke falls to the right"
    assert heights[-1] - heights[0] > 1


def test_a_crowded_slip_shrinks_its_lines_above_the_footer(
    rendered: dict[tuple[str, str], Rendered],
) -> None:
    for lang in ("zh", "en"):
        slip = rendered[("crowded", lang)]
        _, _, _, words_bottom = slip.box_of(
            "以下空白" if lang == "zh" else "nothing below this line"
        )
        assert words_bottom < RP_BOTTOM_MM, lang
        assert slip.pages == 1


def test_rare_name_characters_are_in_the_embedded_font_and_text(
    rendered: dict[tuple[str, str], Rendered], caplog: pytest.LogCaptureFixture
) -> None:
    assert missing_glyphs(samples.RARE_CHARACTERS) == ""
    for name, lang in CASES:
        assert missing_glyphs(slip_text(rendered[(name, lang)].data)) == "", (name, lang)
    assert samples.RARE_NAME in rendered[("rare-name", "zh")].text
    # fpdf2 logs each character its font lacks (drawn as an empty box): none for these names.
    data = replace(samples.rare_name_slip(), patient_name=samples.RARE_CHARACTERS)
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        path = render_slip_pdf(data, rendered[("rare-name", "zh")].path.with_name("rare.pdf"))
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    drawn = Rendered(data, path)
    assert samples.RARE_CHARACTERS in drawn.text
    drawn.close()


def test_the_missing_glyph_probes_do_see_a_character_the_font_lacks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # U+0378 is unassigned: no font draws it. Both probes above must catch such a character.
    unassigned = "\u0378"
    assert missing_glyphs(f"李{unassigned} 王") == unassigned
    data = replace(samples.rare_name_slip(), patient_name=f"李{unassigned}")
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        drawn = Rendered(data, render_slip_pdf(data, tmp_path / "lacks.pdf"))
    # Printed as a visible □ (slip.MISSING_GLYPH), never dropped without a word.
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    assert "李\u25a1" in drawn.text
    drawn.close()


def test_the_font_is_noto_sans_cjk_sc_from_the_installed_package() -> None:
    path, face = slip_font()
    assert path.name == "NotoSansCJK-Regular.ttc"
    assert "site-packages" in path.parts or path == cjk_font.DEBIAN_FONT
    from fontTools.ttLib import TTFont

    with TTFont(str(path), fontNumber=face, lazy=True) as font:
        assert font["name"].getDebugName(1) == "Noto Sans CJK SC"
        assert "SIL Open Font License" in (font["name"].getDebugName(13) or "")


def test_no_font_installed_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)  # import fails as if absent
    monkeypatch.setattr(cjk_font, "DEBIAN_FONT", Path("/nonexistent/NotoSansCJK.ttc"))
    with pytest.raises(SlipFontMissingError, match=r"make install.*noto-cjk-sans-otc"):
        cjk_font.font_collection()


@pytest.mark.parametrize(
    ("lang", "words"), [("zh", "临床诊断：未填写"), ("en", "Diagnosis: not recorded")]
)
def test_a_slip_without_a_diagnosis_says_not_recorded_not_a_blank(
    tmp_path: Path, lang: str, words: str
) -> None:
    data = replace(samples.rare_name_slip(lang), diagnoses=())
    slip = Rendered(data, render_slip_pdf(data, tmp_path / f"no-diagnosis-{lang}.pdf"))
    try:
        assert _flat(words) in _flat(slip.text), slip.text
    finally:
        slip.close()


PRESCRIBER_LABEL = {
    "zh": ("医师（签名）", "药品金额"),
    "en": ("Prescriber (signature)", "Drug cost"),
}
SIGN_LINE_END_MM = MARGIN_MM + (PAGE_MM[0] - 2 * MARGIN_MM) * 0.58 - 4
"""Where the 医师 line's rule ends, before 药品金额."""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_slip_with_no_prescriber_name_leaves_a_blank_line_to_sign(
    tmp_path: Path, lang: str
) -> None:
    data = replace(samples.rare_name_slip(lang), prescriber="")
    slip = Rendered(data, render_slip_pdf(data, tmp_path / f"no-prescriber-{lang}.pdf"))
    try:
        label, amount = PRESCRIBER_LABEL[lang]
        line = next(row for row in slip.text.splitlines() if row.startswith(label))
        colon = "：" if lang == "zh" else ":"
        assert _flat(line) == _flat(f"{label}{colon}{amount}{colon}{data.amount}"), line
        _, top, right, bottom = slip.box_of(label)
        # The rule to write and sign on runs from the label to the drug cost.
        for x_mm in (right + 8, (right + SIGN_LINE_END_MM) / 2, SIGN_LINE_END_MM - 2):
            assert _ink_rows(slip, x_mm, top, bottom + 2), f"no rule at x={x_mm:.1f} mm"
    finally:
        slip.close()


def _is_ink(pixel: tuple[int, int, int]) -> bool:
    """Any mark, a thin grey rule's anti-aliased pixels too."""
    return sum(pixel) < 3 * 235


def _ink_rows(slip: Rendered, x_mm: float, top_mm: float, bottom_mm: float) -> list[float]:
    """Heights (mm) of marked pixels in one column of the page between two heights."""
    x = round(x_mm / 25.4 * DPI)
    rows = []
    for y in range(round(top_mm / 25.4 * DPI), round(bottom_mm / 25.4 * DPI)):
        value = slip.image.getpixel((x, y))
        assert isinstance(value, tuple)
        if _is_ink((value[0], value[1], value[2])):
            rows.append(y / DPI * 25.4)
    return rows


@pytest.mark.parametrize(
    ("lang", "name", "first", "last"),
    [
        ("zh", "阿卜杜热合曼·买买提艾力", "阿卜杜", "艾力"),  # 12 characters: 38 mm at 9 pt
        ("en", "Ouyang Xiaoyan", "Ouyang", "Xiaoyan"),
    ],
)
def test_a_long_prescriber_name_shrinks_to_leave_room_to_sign(
    tmp_path: Path, lang: str, name: str, first: str, last: str
) -> None:
    data = replace(samples.rare_name_slip(lang), prescriber=name)
    slip = Rendered(data, render_slip_pdf(data, tmp_path / f"long-prescriber-{lang}.pdf"))
    try:
        _, label_top, label_right, label_bottom = slip.box_of(PRESCRIBER_LABEL[lang][0])
        left, top, _, _ = slip.box_of(first)
        _, _, right, bottom = slip.box_of(last)
        assert left >= label_right
        assert label_top - 1 < top
        assert bottom < label_bottom + 1
        assert right <= SIGN_LINE_END_MM - SIGNATURE_MM + 0.3
        # The room to sign in holds the rule alone.
        rows = _ink_rows(slip, SIGN_LINE_END_MM - SIGNATURE_MM / 2, label_top - 1, label_bottom + 2)
        assert rows
        assert max(rows) - min(rows) < 0.6, rows
    finally:
        slip.close()


def test_a_name_too_long_to_leave_room_still_stays_on_its_own_line(tmp_path: Path) -> None:
    data = replace(samples.rare_name_slip("en"), prescriber="Alexandra Konstantinopoulou-Smith")
    slip = Rendered(data, render_slip_pdf(data, tmp_path / "longest-prescriber.pdf"))
    try:
        _, _, right, _ = slip.box_of("Smith")
        assert right <= SIGN_LINE_END_MM + 0.3 < slip.box_of("Drug cost")[0]
    finally:
        slip.close()


def test_the_pdf_is_written_whole_into_new_folders(tmp_path: Path) -> None:
    target = tmp_path / "slips" / "2026-11-30" / "RX-1.pdf"
    assert render_slip_pdf(samples.rare_name_slip(), target) == target
    assert target.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in target.parent.iterdir()] == ["RX-1.pdf"]


def test_a_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(path: Path, _data: bytes) -> None:
        path.write_bytes(b"%PDF-1.7 half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("clinic_tui.private_files.write_private", disk_full)
    with pytest.raises(OSError, match="No space"):
        render_slip_pdf(samples.rare_name_slip(), tmp_path / "RX-2.pdf")
    assert list(tmp_path.iterdir()) == []


def test_importing_the_slip_module_loads_no_pdf_or_font_library() -> None:
    probe = (
        "import sys, clinic_tui.prescribing.slip;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fpdf', 'fontTools', 'PIL'}))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert found.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("birth", "on", "age", "zh", "en"),
    [
        (date(2026, 11, 20), date(2026, 11, 30), Age(0, 0, 10), "10天", "10 d"),
        (date(2026, 2, 20), date(2026, 11, 30), Age(0, 9, 10), "9月10天", "9 m 10 d"),
        (date(2026, 10, 30), date(2026, 11, 30), Age(0, 1, 0), "1月", "1 m"),
        (date(2024, 8, 30), date(2026, 11, 30), Age(2, 3, 0), "2岁3月", "2 y 3 m"),
        (date(1979, 6, 2), date(2026, 11, 30), Age(47, 5, 28), "47岁", "47 y"),
        (date(1979, 12, 1), date(2026, 11, 30), Age(46, 11, 29), "46岁", "46 y"),
        (date(2026, 1, 31), date(2026, 2, 28), Age(0, 1, 0), "1月", "1 m"),
    ],
)
def test_age_is_exact_with_months_and_days_for_infants(
    birth: date, on: date, age: Age, zh: str, en: str
) -> None:
    assert age_on(birth, on) == age
    assert age.text("zh") == zh
    assert age.text("en") == en


def test_a_birth_date_after_the_slip_date_is_refused() -> None:
    with pytest.raises(ValueError, match="after"):
        age_on(date(2026, 12, 1), date(2026, 11, 30))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lines": ()}, "1 to 5 drugs"),
        ({"lines": samples.five_line_slip().lines + samples.child_slip().lines}, "1 to 5 drugs"),
        ({"valid_days": 4}, "1 to 3 days"),
        ({"valid_days": 0}, "1 to 3 days"),
        ({"kind": "urgent"}, "unknown slip kind"),
        ({"lang": "fr"}, "zh or en"),
    ],
)
def test_a_slip_the_regulation_does_not_allow_is_refused(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        replace(samples.rare_name_slip(), **change)  # type: ignore[arg-type]


def test_lines_read_in_the_slips_language() -> None:
    zh = samples.five_line_slip("zh").lines
    en = samples.five_line_slip("en").lines
    assert (zh[0].generic_name, zh[0].form, zh[0].unit, zh[0].route) == (
        "阿莫西林",
        "胶囊",
        "粒",
        "口服",
    )
    assert (en[0].generic_name, en[0].form, en[0].unit, en[0].route) == (
        "Amoxicillin",
        "capsules",
        "capsules",
        "by mouth",
    )
    assert (zh[0].instructions, en[0].instructions) == ("饭后", "after meals")
    assert (zh[0].strength, zh[0].dose, zh[0].quantity, zh[0].days) == ("250 mg", "500 mg", 42, 7)
    assert samples.child_slip("en").lines[0].strength == "125 mg/5 mL"
    assert en[4].frequency == "every 8 hours when needed"
    assert zh[4].frequency == "必要时，每8小时一次"


def test_every_starter_formulary_form_prints_in_words() -> None:
    from clinic_tui.prescribing.formulary import starter_drugs

    forms = {product.form for drug in starter_drugs() for product in drug.products}
    missing = sorted(forms - set(slip_module.FORM_WORDS))
    assert not missing, f"forms the slip would print as raw codes: {missing}"


def test_every_starter_formulary_form_shows_in_words_on_screen() -> None:
    from clinic_tui import i18n
    from clinic_tui.prescribing.formulary import starter_drugs
    from clinic_tui.widgets.order_lines import form_words

    forms = {product.form for drug in starter_drugs() for product in drug.products}
    before = i18n.language()
    try:
        i18n.set_language("zh")
        raw_zh = sorted(form for form in forms if form_words(form) == form)
        i18n.set_language("en")
        raw_en = sorted(form for form in forms if "-" in form and form_words(form) == form)
    finally:
        i18n.set_language(before)
    assert not raw_zh, f"forms shown as raw codes in Chinese: {raw_zh}"
    assert not raw_en, f"forms shown as raw codes in English: {raw_en}"


def test_a_drug_dispensed_by_the_box_prints_the_box_in_the_slips_language() -> None:
    from clinic_tui.prescribing.formulary import starter_formulary
    from clinic_tui.prescribing.order_line import parse_order_line
    from clinic_tui.prescribing.slip import slip_line_for

    parsed = parse_order_line("amlodipine 5mg qd 14d", starter_formulary())
    assert parsed.order is not None, parsed.problems
    assert parsed.order.quantity_unit in ("box", "boxes")  # 14 tablets: two boxes of seven
    zh = slip_line_for(parsed.order, "zh")
    en = slip_line_for(parsed.order, "en")
    assert (zh.quantity, zh.unit) == (2, "盒")
    assert (en.quantity, en.unit) == (2, "boxes")


def test_the_slip_is_chinese_unless_the_settings_say_otherwise(tmp_path: Path) -> None:
    from clinic_tui.config import load_settings
    from clinic_tui.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text("[printing]\n")
    assert load_settings(data_dir_flag=str(tmp_path), config_flag=str(config)).slip_language == "zh"
    config.write_text('[printing]\nslip_language = "en"\n')
    assert load_settings(data_dir_flag=str(tmp_path), config_flag=str(config)).slip_language == "en"
    config.write_text('[printing]\nslip_language = "fr"\n')
    with pytest.raises(ConfigError, match="slip_language"):
        load_settings(data_dir_flag=str(tmp_path), config_flag=str(config))


def test_a_slip_printed_on_the_spare_pdf_shows_its_own_patient_and_nothing_before(
    tmp_path: Path,
) -> None:
    # warm_slip_font parses the face into a spare PDF ahead of the slip; each slip takes it
    # once. Two patients in a row, each on a spare: each slip is its own patient's, whole.
    first = samples.rare_name_slip()
    second = replace(samples.child_slip(), slip_number="RX-SPARE-2")
    assert first.patient_name != second.patient_name
    slip_module.warm_slip_font()
    assert slip_module._spare is not None
    one = Rendered(first, render_slip_pdf(first, tmp_path / "one.pdf"))
    assert slip_module._spare is None  # taken, never used twice
    slip_module.warm_slip_font()
    # The spare's face is read ahead (its CFF outlines too), not when the slip is written.
    spare = slip_module._spare
    assert spare is not None
    faces = [font.ttfont for font in spare.fonts.values()]
    assert faces
    assert all("CFF " in face.tables for face in faces)
    two = Rendered(second, render_slip_pdf(second, tmp_path / "two.pdf"))
    cold = Rendered(second, render_slip_pdf(second, tmp_path / "cold.pdf"))  # no spare left
    try:
        # The read-ahead face draws the very slip a face read when writing draws.
        assert ImageChops.difference(two.image, cold.image).getbbox() is None
        assert one.pages == two.pages == 1
        assert first.patient_name in one.text
        assert second.patient_name in two.text
        assert first.patient_name not in two.text
        assert _flat(two.text) == _flat(cold.text)
        for field in _expected_fields(second):
            assert _flat(field) in _flat(two.text), field
    finally:
        for slip in (one, two, cold):
            slip.close()
