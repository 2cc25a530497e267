"""The printed prescription slip (处方笺): its data, and a PDF in the standard Chinese layout.

Layout and wording follow 处方管理办法 (原卫生部令第53号, 2007) and its annex 处方标准:
- 前记: 医疗机构名称, 费别, 患者姓名, 性别, 年龄, 门诊或住院病历号, 科别, 临床诊断, 开具日期;
  麻醉药品和第一类精神药品处方 also 患者身份证明编号 and 代办人姓名、身份证明编号.
- 正文: marked "Rp", then 药品名称, 剂型, 规格, 数量, 用法用量, one drug a line
  (第六条: 每一种药品应当另起一行, 每张处方不得超过5种药品).
- 后记: 医师签名, 药品金额, 审核、调配、核对、发药 药师签名.
- 处方颜色: 普通 white; 急诊 light yellow, "急诊" in the top right corner; 儿科 light green,
  "儿科"; 麻醉药品和第一类精神药品 light red, "麻、精一"; 第二类精神药品 white, "精二".
  The slip prints the colour as a band across the top and the kind in words in the top right
  (printed for 普通 too), so a monochrome printer or a colour-blind reader loses nothing.
- 第六条(四): 年龄 is the exact age; 新生儿、婴幼儿 in days or months.
- 第六条(十一): the blank after the last drug is struck through (一斜线) to close the slip.
- 第十八条: 处方开具当日有效; the prescriber may note up to 3 days.

Paper: A5 portrait (148 x 210 mm). The standard leaves the size to each province; provincial
formats print it at that size (广东省医疗机构处方格式: 21.0 cm high x 14.8 cm wide), and an A4
office printer, the kind a township clinic has, prints A5 from its tray or scaled two-up.

The PDF embeds Noto Sans CJK SC (SIL OFL 1.1) from the `noto-cjk-sans-otc` package, which
covers rare name characters (CJK Ext A and B). fpdf2 is imported only when a slip is drawn.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from clinic_tui.cjk_font import CjkFontMissingError, cjk_cmap, cjk_font
from clinic_tui.domain.untrusted import clean_line
from clinic_tui.i18n import NC_, pgettext_in
from clinic_tui.prescribing.model import DraftOrder

if TYPE_CHECKING:
    from fpdf import FPDF

Language = Literal["zh", "en"]

SLIP_KINDS = (
    "ordinary",
    "emergency",
    "paediatric",
    "narcotic-psychotropic-1",
    "psychotropic-2",
)
"""Slip kinds, as Basket.kind names them."""

KIND_WORDS: dict[str, str] = {
    "ordinary": NC_("prescription slip", "ORDINARY"),
    "emergency": NC_("prescription slip", "EMERGENCY"),
    "paediatric": NC_("prescription slip", "PAEDIATRIC"),
    "narcotic-psychotropic-1": NC_("prescription slip", "NARCOTIC / PSYCHOTROPIC I"),
    "psychotropic-2": NC_("prescription slip", "PSYCHOTROPIC II"),
}
"""What the top right corner says (处方标准: 右上角标注); kind_words() gives it in a language."""

KIND_COLOURS: dict[str, tuple[int, int, int]] = {
    "ordinary": (255, 255, 255),
    "emergency": (255, 243, 176),
    "paediatric": (208, 240, 200),
    "narcotic-psychotropic-1": (250, 205, 205),
    "psychotropic-2": (255, 255, 255),
}
"""The band's colour: 白色, 淡黄色, 淡绿色, 淡红色, 白色 (处方标准, 处方颜色)."""

MAX_VALID_DAYS = 3
"""第十八条: a prescriber may extend validity, but to at most 3 days."""
SUPPLY_REASON_CHARS = 40
"""A reason for a longer supply longer than this is cut short on the slip (the record keeps
it whole): it must fit one line at a size still readable."""

PAGE_MM = (148.0, 210.0)
"""A5 portrait, width x height."""
BAND_MM = 24.0
"""Height of the coloured band across the top."""
MARGIN_MM = 10.0
RP_BOTTOM_MM = 164.0
"""Where the drug area ends and the footer (prescriber, pharmacists) begins."""
SIGNATURE_MM = 18.0
"""Rule kept clear after the prescriber's printed name, for the handwritten signature."""
FIELD_LEAST_PT = 6.5
"""The smallest size a one-line field's value shrinks to before it wraps (or is cut)."""
NAME_LEAST_PT = 5.5
"""A name too long for FIELD_LEAST_PT on NAME_LINES lines wraps smaller, to this size."""
NAME_LINES = 3
"""Lines a patient's name may take in its field (its row grows to hold them)."""
DIAGNOSIS_LINES = 4
"""Lines the 临床诊断 box holds; a longer diagnosis is cut there, with CUT_WORDS."""
MISSING_GLYPH = "\u25a1"
"""□, printed for a character the font cannot draw: the mark Chinese print uses for a
missing character (缺字), so the reader sees something is there and writes it by hand."""

ROUTE_WORDS: dict[str, tuple[str, str]] = {
    "po": ("口服", "by mouth"),
    "iv": ("静脉注射", "intravenous"),
    "ivgtt": ("静脉滴注", "intravenous infusion"),
    "im": ("肌内注射", "intramuscular"),
    "sc": ("皮下注射", "subcutaneous"),
    "inh": ("吸入", "inhaled"),
    "top": ("外用", "on the skin"),
    "sl": ("舌下含服", "under the tongue"),
    "pr": ("直肠给药", "rectal"),
}
"""Route codes the parser writes, as a patient reads them."""

FORM_WORDS: dict[str, tuple[str, str]] = {
    "tablet": ("片", "tablets"),
    "capsule": ("胶囊", "capsules"),
    "granules": ("颗粒", "granules"),
    "oral-solution": ("口服溶液", "oral solution"),
    "suspension": ("混悬液", "suspension"),
    "syrup": ("糖浆", "syrup"),
    "injection": ("注射液", "injection"),
    "inhaler": ("气雾剂", "inhaler"),
    "cream": ("乳膏", "cream"),
    "ointment": ("软膏", "ointment"),
    "eye-drops": ("滴眼液", "eye drops"),
    "suppository": ("栓", "suppositories"),
    "capsule-ec": ("肠溶胶囊", "gastro-resistant capsules"),
    "capsule-sr": ("缓释胶囊", "prolonged-release capsules"),
    "tablet-ec": ("肠溶片", "gastro-resistant tablets"),
    "tablet-sr": ("缓释片", "prolonged-release tablets"),
    "tablet-cr": ("控释片", "prolonged-release tablets"),
    "tablet-mr": ("缓释片", "modified-release tablets"),
    # The 通用名 of sublingual glyceryl trinitrate is 硝酸甘油片 (中国药典): no 舌下 in it.
    "tablet-sl": ("片", "sublingual tablets"),
    "injection-pen": ("注射液", "solution for injection in pre-filled pen"),
    "dry-powder-inhaler": ("吸入粉雾剂", "inhalation powder"),
    "powder": ("散", "oral powder"),
}
"""Dosage forms (Product.form) as printed in a Chinese 通用名's form part (阿莫西林胶囊).

Chinese: the dosage-form names of 中华人民共和国药典 2020年版 四部 制剂通则 (0101 片剂:
肠溶片, 缓释片, 控释片; 0103 胶囊剂: 肠溶胶囊, 缓释胶囊; 0102 注射剂; 0111 吸入制剂:
吸入粉雾剂; 0115 散剂). English: EDQM Standard Terms (gastro-resistant, prolonged-release,
modified-release, sublingual tablet, inhalation powder, oral powder)."""

INSTRUCTION_WORDS: tuple[tuple[str, str], ...] = (
    ("饭后", "after meals"),
    ("饭前", "before meals"),
    ("餐后", "after meals"),
    ("餐前", "before meals"),
    ("随餐", "with food"),
    ("睡前", "at bedtime"),
    ("空腹", "on an empty stomach"),
    ("嚼服", "chew before swallowing"),
    ("摇匀后服用", "shake well before use"),
)
"""Common instructions typed in one language, printed in the other; others print as typed."""

SEX_WORDS: dict[str, str] = {
    "male": NC_("prescription slip", "Male"),
    "female": NC_("prescription slip", "Female"),
    "other": NC_("prescription slip", "Other"),
    "unknown": NC_("prescription slip", "Unknown"),
}
"""FHIR administrative gender, as printed."""

_LABELS: dict[str, str] = {
    "title": NC_("prescription slip", "PRESCRIPTION"),
    "fee": NC_("prescription slip", "Fee category"),
    "number": NC_("prescription slip", "No."),
    "name": NC_("prescription slip", "Name"),
    "sex": NC_("prescription slip", "Sex"),
    "age": NC_("prescription slip", "Age"),
    "weight": NC_("prescription slip", "Weight"),
    "patient_id": NC_("prescription slip", "Outpatient/inpatient no."),
    "department": NC_("prescription slip", "Department"),
    "diagnosis": NC_("prescription slip", "Diagnosis"),
    "no_diagnosis": NC_("prescription slip", "not recorded"),
    "date": NC_("prescription slip", "Date"),
    "id_document": NC_("prescription slip", "ID document no."),
    "agent": NC_("prescription slip", "Agent's name and ID no."),
    "usage": NC_("prescription slip", "Sig"),
    "days": NC_("prescription slip", "for {n} days"),
    "blank_below": NC_("prescription slip", "nothing below this line"),
    "prescriber": NC_("prescription slip", "Prescriber"),
    "signature": NC_("prescription slip", "signature"),
    "amount": NC_("prescription slip", "Drug cost"),
    "valid_1": NC_("prescription slip", "Valid on the day of issue only"),
    "valid_n": NC_("prescription slip", "Valid for {n} days, as noted by the prescriber"),
    "supply_reason": NC_("prescription slip", "Reason for the longer supply"),
    "review": NC_("prescription slip", "Reviewed"),
    "prepare": NC_("prescription slip", "Prepared"),
    "check": NC_("prescription slip", "Checked"),
    "dispense": NC_("prescription slip", "Dispensed"),
    "pharmacist": NC_("prescription slip", "pharmacist"),
    "tel": NC_("prescription slip", "Tel."),
    "cut": NC_("prescription slip", "… (continued in the record)"),
}


def slip_words(english: str, lang: Language) -> str:
    """A word of the slip in the slip's language ([printing] slip_language), whatever the
    session's: the catalogue's "prescription slip" context, worded as the 处方标准 has it."""
    return pgettext_in(lang, "prescription slip", english)


def kind_words(kind: str, lang: Language) -> str:
    """The slip kind's words in the top right corner, in `lang`."""
    return slip_words(KIND_WORDS[kind], lang)


def _word(key: str, lang: Language) -> str:
    if key == "each":
        # 每次 (per administration) has no English word on the slip: "0.5 g" says it.
        return "每次" if lang == "zh" else ""
    return slip_words(_LABELS[key], lang)


@dataclass(frozen=True)
class Age:
    """Exact age (实足年龄) in whole years, months and days."""

    years: int
    months: int = 0
    days: int = 0

    def text(self, lang: Language) -> str:
        """Years from 3 on; years and months under 3; months and days under 1; else days."""
        if self.years >= 3:
            return f"{self.years}岁" if lang == "zh" else f"{self.years} y"
        if lang == "zh":
            if self.years:
                return f"{self.years}岁{self.months}月" if self.months else f"{self.years}岁"
            if self.months:
                return f"{self.months}月{self.days}天" if self.days else f"{self.months}月"
            return f"{self.days}天"
        if self.years:
            return f"{self.years} y {self.months} m" if self.months else f"{self.years} y"
        if self.months:
            return f"{self.months} m {self.days} d" if self.days else f"{self.months} m"
        return f"{self.days} d"


def age_on(birth: date, on: date) -> Age:
    """Exact age on a day, counting whole months and then days (a birthday on the 31st is
    reached on the last day of a shorter month)."""
    if on < birth:
        raise ValueError(f"birth date {birth} is after {on}")
    months = (on.year - birth.year) * 12 + on.month - birth.month
    if on.day < birth.day and not _is_last_day(on):
        months -= 1
    anniversary = _add_months(birth, months)
    return Age(months // 12, months % 12, (on - anniversary).days)


def _is_last_day(day: date) -> bool:
    return (day.replace(day=28) + timedelta(days=4)).month != day.month


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    last = ((date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


@dataclass(frozen=True)
class Diagnosis:
    """One 临床诊断 line: an ICD-10 code and its name."""

    code: str
    name: str


@dataclass(frozen=True)
class SlipLine:
    """One drug on the slip, every part already in the slip's language."""

    generic_name: str
    """通用名 (阿莫西林) or INN (Amoxicillin)."""
    strength: str
    """0.25 g, 125 mg/5 mL."""
    form: str
    """胶囊, capsules."""
    quantity: int
    unit: str
    """粒, capsules: what `quantity` counts."""
    dose: str
    """Per administration: 0.5 g."""
    route: str
    frequency: str
    days: int | None = None
    instructions: str = ""


@dataclass(frozen=True)
class SlipData:
    """Everything one printed slip shows; plain values, no database rows."""

    clinic_name: str
    kind: str
    """One of SLIP_KINDS."""
    slip_number: str
    """The MedicationRequest groupIdentifier value shared by the slip's lines."""
    patient_name: str
    sex: str
    """FHIR gender code: male, female, other, unknown."""
    age: Age
    patient_id: str
    """门诊号 or 住院号."""
    diagnoses: tuple[Diagnosis, ...]
    issued: date
    lines: tuple[SlipLine, ...]
    prescriber: str
    """The 医师's name, printed on the signature line; '' leaves it blank to write by hand."""
    lang: Language = "zh"
    clinic_address: str = ""
    clinic_phone: str = ""
    fee_category: str = ""
    """费别: 自费, 医保, 公费..., as the clinic words it; blank leaves a line to write on."""
    department: str = ""
    weight_kg: float | None = None
    """处方标准: weight where needed, which a child's dose is."""
    id_document: str = ""
    """麻、精一 slips: the patient's identity document number."""
    agent: str = ""
    """麻、精一 slips: name and ID number of whoever collects for the patient."""
    valid_days: int = 1
    """1 is 当日有效; 2 or 3 only when the prescriber notes it (第十八条)."""
    amount: str = ""
    """药品金额 when the clinic prices the slip; blank leaves a line for the cashier."""
    supply_reason: str = ""
    """The prescriber's reason for a supply beyond the slip's day limit (处方管理办法 第十九条,
    第二十三条: 医师应当注明理由), printed under the validity; blank when none was needed."""

    def __post_init__(self) -> None:
        """Refuse a slip the regulation does not allow, with the reason."""
        if self.kind not in SLIP_KINDS:
            raise ValueError(f"unknown slip kind {self.kind!r}; one of {', '.join(SLIP_KINDS)}")
        if not 1 <= len(self.lines) <= 5:
            raise ValueError(f"a slip holds 1 to 5 drugs (第六条), not {len(self.lines)}")
        if not 1 <= self.valid_days <= MAX_VALID_DAYS:
            raise ValueError(f"a slip is valid 1 to {MAX_VALID_DAYS} days (第十八条)")
        if self.lang not in ("zh", "en"):
            raise ValueError(f"slip language is zh or en, not {self.lang!r}")


def _number(value: float) -> str:
    """0.5, 500, 1.25: no trailing zeros, no float noise."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _amount(value: float, unit: str) -> str:
    return f"{_number(value)} {unit}"


def _strength(order: DraftOrder) -> str:
    product = order.product
    text = _amount(product.strength, product.strength_unit)
    if product.volume_ml:
        return f"{text}/{_number(product.volume_ml)} mL"
    return text


def slip_line_for(order: DraftOrder, lang: Language) -> SlipLine:
    """One basket line as the slip prints it in `lang`."""
    zh = lang == "zh"
    form_zh, form_en = FORM_WORDS.get(order.product.form, (order.product.form,) * 2)
    route_zh, route_en = ROUTE_WORDS.get(order.route, (order.route, order.route))
    frequency = order.frequency
    words = (frequency.text_zh if zh else frequency.text_en) or frequency.code
    if frequency.as_needed and zh and "必要时" not in words:
        words = f"必要时，{words}"
    elif frequency.as_needed and not zh and "needed" not in words:
        words = f"{words} when needed"
    unit = order.quantity_unit
    product = order.product
    # The quantity is in dispensable units or, for a drug dispensed by the pack, in packs:
    # either way printed in the slip's language (×2 盒, never ×2 box).
    for unit_en, unit_zh in (
        (product.unit_en, product.unit_zh),
        (product.pack_unit_en, product.pack_unit_zh),
    ):
        if not unit_en or not unit_zh:
            continue
        if zh and unit in (unit_en, _plural(unit_en)):
            unit = unit_zh
        elif not zh and unit in (unit_zh, unit_en, _plural(unit_en)):
            unit = unit_en if order.quantity == 1 else _plural(unit_en)
    return SlipLine(
        generic_name=order.drug.name_zh if zh else order.drug.name_en,
        strength=_strength(order),
        form=form_zh if zh else form_en,
        quantity=order.quantity,
        unit=unit,
        dose=_amount(order.dose, order.dose_unit),
        route=route_zh if zh else route_en,
        frequency=words,
        days=order.duration_days,
        instructions=_instructions(order.instructions, lang),
    )


def _plural(unit: str) -> str:
    return f"{unit}es" if unit.endswith(("s", "x", "ch", "sh")) else f"{unit}s"


def _instructions(text: str, lang: Language) -> str:
    """Known instructions in the slip's language; anything else exactly as the clinician typed."""
    for zh, en in INSTRUCTION_WORDS:
        if text.strip() == (en if lang == "zh" else zh):
            return zh if lang == "zh" else en
    return text


def slip_data_for(
    orders: Sequence[DraftOrder],
    *,
    kind: str,
    slip_number: str,
    clinic_name: str,
    patient_name: str,
    sex: str,
    birth_date: date,
    patient_id: str,
    diagnoses: Sequence[tuple[str, str]],
    issued: date,
    prescriber: str,
    lang: Language = "zh",
    clinic_address: str = "",
    clinic_phone: str = "",
    fee_category: str = "",
    department: str = "",
    weight_kg: float | None = None,
    id_document: str = "",
    agent: str = "",
    valid_days: int = 1,
    amount: str = "",
    supply_reason: str = "",
) -> SlipData:
    """A slip from basket lines and plain patient and clinic values (age counted on `issued`)."""
    return SlipData(
        clinic_name=clinic_name,
        kind=kind,
        slip_number=slip_number,
        patient_name=patient_name,
        sex=sex,
        age=age_on(birth_date, issued),
        patient_id=patient_id,
        diagnoses=tuple(Diagnosis(code, name) for code, name in diagnoses),
        issued=issued,
        lines=tuple(slip_line_for(order, lang) for order in orders),
        prescriber=prescriber,
        lang=lang,
        clinic_address=clinic_address,
        clinic_phone=clinic_phone,
        fee_category=fee_category,
        department=department,
        weight_kg=weight_kg,
        id_document=id_document,
        agent=agent,
        valid_days=valid_days,
        amount=amount,
        supply_reason=clean_line(supply_reason, SUPPLY_REASON_CHARS),
    )


# ----- the font -------------------------------------------------------------------------------

# One lookup for every PDF (clinic_tui.cjk_font); the slip's names for it stay.
SlipFontMissingError = CjkFontMissingError
slip_font = cjk_font
_font_cmap = cjk_cmap


def warm_slip_font() -> None:
    """Do the slip's one-off work now (import fpdf, find the face, read its character map,
    parse the face into the next slip's PDF), so a slip prints without waiting for any of
    it; a missing font is said when printing."""
    import fpdf  # noqa: F401  (its import alone is a good part of a first slip)

    try:
        _font_cmap()
        _make_spare_pdf()
    except SlipFontMissingError:
        return


_spare_lock = threading.Lock()
"""Held while the spare PDF is made or taken: a slip never gets a half-parsed font."""
_spare: FPDF | None = None
"""A blank PDF with the face already added (fpdf2 parses the whole CJK face for each
document, ~0.4 s of CPU), made ahead by warm_slip_font; each slip takes it, used once."""


def _make_spare_pdf() -> None:
    global _spare
    with _spare_lock:
        if _spare is None:
            _spare = _primed(_blank_pdf())


_UNUSED_TABLES = frozenset(
    ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT", "CBLC", "EBDT",
     "EBLC", "EBSC", "SVG ", "CPAL", "COLR", "DSIG")
)  # fmt: skip
"""Tables the embedded face is cut without (fpdf2's list, and DSIG, which fontTools drops):
not worth reading ahead."""


def _primed(pdf: FPDF) -> FPDF:
    """`pdf` with its face's tables read now: fpdf2 cuts the face to the slip's glyphs when
    the PDF is written, and reading the face's tables then (the CFF one holds 65,000
    glyphs) and measuring the glyphs kept was over half of drawing a slip (~0.23 s of CPU
    down to ~0.1 s on the 2-core machine)."""
    for font in pdf.fonts.values():
        face = getattr(font, "ttfont", None)
        if face is None:
            continue
        # The face's own bounding box is kept rather than measured again over the glyphs
        # cut (it still encloses each of them; fontTools' subsetter keeps it too unless
        # asked, Options.recalc_bounds): the measuring ran every kept glyph's outline.
        face.recalcBBoxes = False
        tags = face.keys()  # a lazy face reads a table on its first use
        for tag in tags:
            if tag not in _UNUSED_TABLES:
                face[tag]
        if "CFF " in face:
            top = face["CFF "].cff.topDictIndex[0]
            top.CharStrings  # noqa: B018  (the charset and the glyph index)
    return pdf


def _take_pdf() -> FPDF:
    """The spare (waiting for one being made), else a new one made now."""
    global _spare
    with _spare_lock:
        pdf, _spare = _spare, None
        return pdf if pdf is not None else _blank_pdf()


def missing_glyphs(text: str) -> str:
    """The characters of `text` the slip font cannot draw (each once, in order); '' if none."""
    cmap = _font_cmap()
    seen: dict[str, None] = {}
    for char in text:
        if not char.isspace() and ord(char) not in cmap:
            seen[char] = None
    return "".join(seen)


def printable(text: str) -> str:
    """`text` as the slip prints it: one clean line (untrusted.clean_line), and each
    character the font cannot draw written MISSING_GLYPH instead of silently dropped."""
    text = clean_line(text)
    missing = missing_glyphs(text)
    if not missing:
        return text
    return "".join(MISSING_GLYPH if char in missing else char for char in text)


def slip_glyph_problems(data: SlipData) -> dict[str, str]:
    """The characters of the patient's name and of the diagnoses the font lacks, by field
    ("name", "diagnosis"); empty when the slip prints them whole. Asked before printing."""
    found = {
        "name": missing_glyphs(clean_line(data.patient_name)),
        "diagnosis": missing_glyphs(
            " ".join(clean_line(f"{d.code} {d.name}") for d in data.diagnoses)
        ),
    }
    return {field: chars for field, chars in found.items() if chars}


def _printable_data(data: SlipData) -> SlipData:
    """Every text of the slip through `printable` (labels are the slip's own)."""
    lines = tuple(
        replace(
            line,
            generic_name=printable(line.generic_name),
            strength=printable(line.strength),
            form=printable(line.form),
            unit=printable(line.unit),
            dose=printable(line.dose),
            route=printable(line.route),
            frequency=printable(line.frequency),
            instructions=printable(line.instructions),
        )
        for line in data.lines
    )
    diagnoses = tuple(Diagnosis(printable(d.code), printable(d.name)) for d in data.diagnoses)
    return replace(
        data,
        lines=lines,
        diagnoses=diagnoses,
        clinic_name=printable(data.clinic_name),
        slip_number=printable(data.slip_number),
        patient_name=printable(data.patient_name),
        patient_id=printable(data.patient_id),
        prescriber=printable(data.prescriber),
        clinic_address=printable(data.clinic_address),
        clinic_phone=printable(data.clinic_phone),
        fee_category=printable(data.fee_category),
        department=printable(data.department),
        id_document=printable(data.id_document),
        agent=printable(data.agent),
        amount=printable(data.amount),
    )


def slip_text(data: SlipData) -> str:
    """Every piece of text the slip prints, joined (for a glyph-coverage check before printing)."""
    parts = [
        data.clinic_name,
        data.clinic_address,
        data.clinic_phone,
        data.patient_name,
        data.patient_id,
        data.department,
        data.fee_category,
        data.prescriber,
        data.id_document,
        data.agent,
    ]
    parts += [f"{d.code} {d.name}" for d in data.diagnoses] or [_word("no_diagnosis", data.lang)]
    for line in data.lines:
        parts += [line.generic_name, line.form, line.unit, line.route, line.frequency]
        parts.append(line.instructions)
    return " ".join(parts)


# ----- drawing ----------------------------------------------------------------------------------

_INK = (0, 0, 0)
_GREY = (90, 90, 90)
_FONT = "slipcjk"


def render_slip_pdf(data: SlipData, path: Path) -> Path:
    """Draw the slip as a one-page A5 PDF at `path`, or beside it when a file is already
    there (a reprint never replaces an earlier slip); returns where it went.

    Folders are made 0700 and the file 0600 (private_files): a slip names a patient.
    """
    from clinic_tui.private_files import private_dir, write_private

    data = _printable_data(data)
    pdf = _new_pdf(data)
    _draw(pdf, data)
    private_dir(path.parent)
    # Written beside and linked into place, so a half-written slip never sits where a
    # printer looks, and an earlier slip of the same name is never replaced.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        write_private(partial, bytes(pdf.output()))
        return _claim(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _claim(partial: Path, path: Path) -> Path:
    """Give `partial` the first free name of `path`, `path-2`, `path-3`...; never replaces."""
    for attempt in range(1, 1000):
        target = path if attempt == 1 else path.with_name(f"{path.stem}-{attempt}{path.suffix}")
        try:
            os.link(partial, target)
        except FileExistsError:
            continue
        except OSError:
            # No hard links on this file system (FAT, some network shares): the name is
            # reserved by creating it exclusively, then the slip is renamed over it.
            from clinic_tui.private_files import create_private_file

            if not create_private_file(target):
                continue
            os.replace(partial, target)
        return target
    raise FileExistsError(f"no free name beside {path}")


def _blank_pdf() -> FPDF:
    """A page-less PDF with the slip's margins and the face added: nothing of any slip."""
    from fpdf import FPDF

    font_path, face = slip_font()
    pdf = FPDF(orientation="P", unit="mm", format=PAGE_MM)
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.c_margin = 0  # text starts exactly where it is placed, so right-aligned text meets the rule
    pdf.add_font(_FONT, "", str(font_path), collection_font_number=face)
    return pdf


def _new_pdf(data: SlipData) -> FPDF:
    pdf = _take_pdf()
    title = _word("title", data.lang)
    pdf.set_title(f"{data.clinic_name} {title} {data.slip_number}")
    pdf.set_creator("clinic-tui")
    pdf.set_lang("zh-CN" if data.lang == "zh" else "en")
    pdf.add_page()
    return pdf


def _draw(pdf: FPDF, data: SlipData) -> None:
    y = _header(pdf, data)
    y = _patient_block(pdf, data, y)
    y = _rp_lines(pdf, data, y)
    _footer(pdf, data)


def _text(
    pdf: FPDF, x: float, y: float, text: str, size: float, colour: tuple[int, ...] = _INK
) -> float:
    """Write `text` with its top-left at (x, y); returns its width."""
    pdf.set_font(_FONT, size=size)
    pdf.set_text_color(*colour)
    pdf.set_xy(x, y)
    width: float = pdf.get_string_width(text)
    pdf.cell(w=width, h=size * 0.45, text=text)
    return width


def _labelled(
    pdf: FPDF,
    x: float,
    y: float,
    label: str,
    value: str,
    to_x: float,
    size: float = 9,
    *,
    fit: float = 0.0,
) -> None:
    """`label：value` with a rule under the value up to `to_x`, as a printed form has.

    With `fit`, the value shrinks (to 6 pt) so `fit` mm of the rule stay clear; a value too
    long for that shrinks further (to 5 pt) to stay on its own rule."""
    width = _text(pdf, x, y, _label_text(label), size, _GREY) if label else 0.0
    room = to_x - x - width
    if fit:
        value_size = (
            _size_to_fit(pdf, value, size, room - fit, 6)
            or _size_to_fit(pdf, value, 6, room, 5)
            or 5
        )
    else:
        value_size = _size_to_fit(pdf, value, size, room, FIELD_LEAST_PT) or FIELD_LEAST_PT
    # Never past the field's end, over the next field: cut, with an ellipsis, as a last resort.
    value = _cut_to(pdf, value, value_size, room)
    # A smaller value sits on the same rule as its label.
    _text(pdf, x + width, y + (size - value_size) * 0.45, value, value_size)
    pdf.set_draw_color(*_GREY)
    pdf.set_line_width(0.15)
    pdf.line(x + width, y + size * 0.45, to_x, y + size * 0.45)


def _label_text(label: str) -> str:
    return f"{label}：" if any(ord(c) > 0x2E80 for c in label) else f"{label}: "


def _cut_to(pdf: FPDF, text: str, size: float, width: float, tail: str = "…") -> str:
    """`text`, or as much of it as fits `width` at `size` followed by `tail`."""
    pdf.set_font(_FONT, size=size)
    if pdf.get_string_width(text) <= width:
        return text
    kept = text
    while kept and pdf.get_string_width(kept.rstrip() + tail) > width:
        kept = kept[:-1]
    return kept.rstrip() + tail


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


_NO_LINE_START = frozenset("，。、；：？！）」』》〉】〕…·,.;:?!)]}%")
"""Characters a line may not start with (the 避头 rule of Chinese typesetting)."""

_PIECES = re.compile(r"\s+|[^\s]")


def _wrap(pdf: FPDF, text: str, size: float, width: float) -> list[str]:
    """`text` broken into lines no wider than `width` at `size`: between words for Latin
    text, between any two characters for Chinese, inside a word only when it alone is wider."""
    pdf.set_font(_FONT, size=size)
    words: list[str] = []
    for piece in _PIECES.findall(text):
        # Runs of narrow characters stay one word; every wide character is a word of its own.
        if words and not piece.isspace() and not _is_wide(piece):
            last = words[-1]
            if last and not last[-1].isspace() and not _is_wide(last[-1]):
                words[-1] += piece
                continue
        words.append(piece)
    lines: list[str] = []
    line = ""
    for word in words:
        if word.isspace():
            line += word if line else ""
            continue
        if pdf.get_string_width(line + word) <= width:
            line += word
            continue
        if word[0] in _NO_LINE_START and len(line.rstrip()) > 1 and _is_wide(line.rstrip()[-1]):
            # 避头: a comma or closing bracket never starts a line; the character before it
            # goes down with it.
            line = line.rstrip()
            line, word = line[:-1], line[-1] + word
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        while pdf.get_string_width(word) > width:  # a word wider than the line: by character
            cut = len(word)
            while cut > 1 and pdf.get_string_width(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _size_to_fit(pdf: FPDF, text: str, size: float, width: float, least: float) -> float | None:
    """The largest size from `size` down to `least`, in half points, at which `text` fits."""
    while size >= least:
        pdf.set_font(_FONT, size=size)
        if pdf.get_string_width(text) <= width:
            return size
        size -= 0.5
    return None


def _header(pdf: FPDF, data: SlipData) -> float:
    width = PAGE_MM[0]
    colour = KIND_COLOURS[data.kind]
    if colour != (255, 255, 255):
        pdf.set_fill_color(*colour)
        pdf.rect(0, 0, width, BAND_MM, style="F")
    pdf.set_draw_color(*_INK)
    pdf.set_line_width(0.3)
    pdf.line(0, BAND_MM, width, BAND_MM)

    # The kind in words in a box in the top right corner (处方标准: 右上角标注, 外加边框).
    kind = kind_words(data.kind, data.lang)
    size = 12 if data.lang == "zh" else 8
    pdf.set_font(_FONT, size=size)
    box_w = pdf.get_string_width(kind) + 4
    box_x = width - MARGIN_MM - box_w
    pdf.set_line_width(0.4)
    pdf.rect(box_x, 3, box_w, 8)
    _text(pdf, box_x + 2, 7 - size * 0.225, kind, size)

    # Centred on the page when it clears the kind's box; else from the left margin, smaller.
    name_size = 14.0
    name_x = 0.0
    while name_size >= 8:
        pdf.set_font(_FONT, size=name_size)
        name_w = pdf.get_string_width(data.clinic_name)
        if (width + name_w) / 2 <= box_x - 2:
            name_x = (width - name_w) / 2
            break
        if name_w <= box_x - 2 - MARGIN_MM:
            name_x = MARGIN_MM
            break
        name_size -= 0.5
    else:
        name_size, name_x = 8, MARGIN_MM  # the longest names run under the box's left edge
    _text(pdf, name_x, 4, data.clinic_name, name_size)
    title = _word("title", data.lang)
    pdf.set_font(_FONT, size=12)
    title_w = pdf.get_string_width(title)
    _text(pdf, (width - title_w) / 2, 11.5, title, 12)
    contact = "  ".join(
        part
        for part in (
            data.clinic_address,
            f"{_word('tel', data.lang)} {data.clinic_phone}" if data.clinic_phone else "",
        )
        if part
    )
    if contact:
        pdf.set_font(_FONT, size=7)
        _text(pdf, (width - pdf.get_string_width(contact)) / 2, 18.5, contact, 7, _GREY)
    return BAND_MM + 3


def _patient_block(pdf: FPDF, data: SlipData, y: float) -> float:
    lang = data.lang
    left, right = MARGIN_MM, PAGE_MM[0] - MARGIN_MM
    mid = left + (right - left) * 0.52
    step = 6.5
    _labelled(pdf, left, y, _word("fee", lang), data.fee_category, mid - 4)
    _labelled(pdf, mid, y, _word("number", lang), data.slip_number, right)
    y += step
    third = (right - left) / 3
    name_h = _name_field(
        pdf, left, y, _word("name", lang), data.patient_name, left + third * 1.3 - 3
    )
    sex = slip_words(SEX_WORDS[data.sex], lang) if data.sex in SEX_WORDS else data.sex
    _labelled(pdf, left + third * 1.3, y, _word("sex", lang), sex, left + third * 2.1 - 3)
    _labelled(pdf, left + third * 2.1, y, _word("age", lang), data.age.text(lang), right)
    y += max(step, name_h + 1.5)
    _labelled(pdf, left, y, _word("patient_id", lang), data.patient_id, mid + 8)
    if data.weight_kg is not None:
        _labelled(pdf, mid + 11, y, _word("weight", lang), f"{_number(data.weight_kg)} kg", right)
    y += step
    _labelled(pdf, left, y, _word("department", lang), data.department, mid - 4)
    _labelled(pdf, mid, y, _word("date", lang), _date(data.issued, lang), right)
    y += step
    y = _diagnoses(pdf, data, y, step)
    if data.kind == "narcotic-psychotropic-1":
        _labelled(pdf, left, y, _word("id_document", lang), data.id_document, right)
        y += step
        _labelled(pdf, left, y, _word("agent", lang), data.agent, right)
        y += step
    pdf.set_draw_color(*_INK)
    pdf.set_line_width(0.4)
    pdf.line(left, y, right, y)
    return y + 2


_NAME_PITCH = 0.42
"""Line pitch of a wrapped name, in mm per point of its size."""


def _name_field(pdf: FPDF, x: float, y: float, label: str, value: str, to_x: float) -> float:
    """The patient's name after its label, up to `to_x`: shrunk to one line down to
    FIELD_LEAST_PT, else wrapped onto up to NAME_LINES lines (smaller if need be), never
    past `to_x`. Returns the height it took from `y`."""
    size = 9.0
    width = _text(pdf, x, y, _label_text(label), size, _GREY)
    room = to_x - x - width
    one_line = _size_to_fit(pdf, value, size, room, FIELD_LEAST_PT)
    if one_line is not None:
        _text(pdf, x + width, y + (size - one_line) * 0.45, value, one_line)
        _rule(pdf, x + width, y + size * 0.45, to_x)
        return size * 0.45
    value_size = FIELD_LEAST_PT
    lines = _wrap(pdf, value, value_size, room)
    while len(lines) > NAME_LINES and value_size > NAME_LEAST_PT:
        value_size -= 0.5
        lines = _wrap(pdf, value, value_size, room)
    if len(lines) > NAME_LINES:  # only a name no person has: the end is cut, visibly
        lines = [
            *lines[: NAME_LINES - 1],
            _cut_to(pdf, "".join(lines[NAME_LINES - 1 :]), value_size, room),
        ]
    pitch = value_size * _NAME_PITCH
    for index, line in enumerate(lines):
        _text(pdf, x + width, y + index * pitch, line, value_size)
    bottom = y + (len(lines) - 1) * pitch + value_size * 0.45
    _rule(pdf, x + width, bottom, to_x)
    return bottom - y


def _rule(pdf: FPDF, x: float, y: float, to_x: float) -> None:
    pdf.set_draw_color(*_GREY)
    pdf.set_line_width(0.15)
    pdf.line(x, y, to_x, y)


def _diagnoses(pdf: FPDF, data: SlipData, y: float, step: float) -> float:
    """临床诊断: each diagnosis from a new line, wrapped inside the box (the label's right to
    the margin); past DIAGNOSIS_LINES lines the last one ends in CUT_WORDS. Returns the y
    below the box."""
    lang = data.lang
    left, right = MARGIN_MM, PAGE_MM[0] - MARGIN_MM
    size = 9.0
    indent = _text(pdf, left, y, _label_text(_word("diagnosis", lang)), size, _GREY)
    room = right - left - indent
    # 处方管理办法 asks for a 临床诊断 on every slip: a blank field reads as forgotten, so a
    # slip without one says so in words.
    texts = [f"{d.code} {d.name}".strip() for d in data.diagnoses] or [_word("no_diagnosis", lang)]
    lines: list[tuple[str, bool]] = []  # (text, starts a diagnosis)
    for text in texts:
        lines += [(line, index == 0) for index, line in enumerate(_wrap(pdf, text, size, room))]
    if len(lines) > DIAGNOSIS_LINES:
        last, first = lines[DIAGNOSIS_LINES - 1]
        rest = "".join(text for text, _ in lines[DIAGNOSIS_LINES:])
        cut = _cut_to(pdf, f"{last}{rest}", size, room, _word("cut", lang))
        lines = [*lines[: DIAGNOSIS_LINES - 1], (cut, first)]
    for index, (text, starts) in enumerate(lines):
        if index and starts:
            y += 1.0  # a little air between two diagnoses
        _text(pdf, left + indent, y, text, size)
        _rule(pdf, left + indent, y + size * 0.45, right)
        y += 4.5 if index < len(lines) - 1 else step
    return y


def _date(day: date, lang: Language) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.isoformat()


def _usage(line: SlipLine, lang: Language) -> str:
    if lang == "zh":
        parts = [f"每次{line.dose}", line.route, line.frequency]
        if line.days:
            parts.append(_word("days", lang).format(n=line.days))
        text = "，".join(part for part in parts if part)
        return f"{text}；{line.instructions}" if line.instructions else text
    parts = [line.dose, line.route, line.frequency]
    if line.days:
        parts.append(_word("days", lang).format(n=line.days))
    text = ", ".join(part for part in parts if part)
    return f"{text}; {line.instructions}" if line.instructions else text


_LINE_SCALES = (1.0, 0.9, 0.8, 0.75, 0.7, 0.65, 0.6)
"""Type sizes tried, largest first, until every drug line fits above the footer."""


def _rp_lines(pdf: FPDF, data: SlipData, y: float) -> float:
    lang = data.lang
    left, right = MARGIN_MM, PAGE_MM[0] - MARGIN_MM
    pdf.set_text_color(*_INK)
    pdf.set_font("Times", style="BI", size=22)
    pdf.set_xy(left, y)
    pdf.cell(w=14, h=10, text="Rp")
    x = left + 13
    y += 10
    # Long names or instructions on five lines may not fit at full size: shrink, never overflow.
    room = RP_BOTTOM_MM - 6 - y
    scale = next(
        (s for s in _LINE_SCALES if _lines_height(pdf, data, x, right, s) <= room),
        _LINE_SCALES[-1],
    )
    for number, line in enumerate(data.lines, start=1):
        y = _drug(pdf, lang, number, line, x, y, right, scale, draw=True)
    _strike(pdf, lang, x, y, right)
    return y


def _lines_height(pdf: FPDF, data: SlipData, x: float, right: float, scale: float) -> float:
    end = 0.0
    for number, line in enumerate(data.lines, start=1):
        end = _drug(pdf, data.lang, number, line, x, end, right, scale, draw=False)
    return end


def _drug(
    pdf: FPDF,
    lang: Language,
    number: int,
    line: SlipLine,
    x: float,
    y: float,
    right: float,
    scale: float,
    *,
    draw: bool,
) -> float:
    """One drug: name, form and strength with the quantity on the right, usage below.

    Returns the height below it; with draw=False only measures."""
    zh = lang == "zh"
    quantity = f"×{line.quantity} {line.unit}" if zh else f"x {line.quantity} {line.unit}"
    name_size, usage_size = 10.5 * scale, 9 * scale
    pdf.set_font(_FONT, size=name_size)
    quantity_w = pdf.get_string_width(quantity)
    joiner = "" if zh else " "
    name = f"{number}. {line.generic_name}{joiner}{line.form}  {line.strength}"
    usage = f"{_word('usage', lang)}{'：' if zh else ': '}{_usage(line, lang)}"
    name_w, usage_w = right - x - quantity_w - 3, right - x - 5
    name_h, usage_h = 5 * scale, 4.4 * scale
    # Wrapped here, not by fpdf: its multi_cell breaks only at spaces, so "每次400 mg，口服..."
    # lost its "mg" to the next line whenever the Chinese after it was too long.
    name_lines = _wrap(pdf, name, name_size, name_w)
    usage_lines = _wrap(pdf, usage, usage_size, usage_w)
    name_bottom = y + len(name_lines) * name_h
    if not draw:
        return name_bottom + 0.5 + len(usage_lines) * usage_h + 3 * scale
    _lines_at(pdf, x, y, name_lines, name_size, name_h)
    _text(pdf, right - quantity_w, y + 0.3 * scale, quantity, name_size)
    _lines_at(pdf, x + 5, name_bottom + 0.5, usage_lines, usage_size, usage_h)
    return name_bottom + 0.5 + len(usage_lines) * usage_h + 3 * scale


def _lines_at(
    pdf: FPDF, x: float, y: float, lines: Sequence[str], size: float, pitch: float
) -> None:
    """Lines of text one under the other, each centred in a cell `pitch` high."""
    pdf.set_font(_FONT, size=size)
    pdf.set_text_color(*_INK)
    for index, line in enumerate(lines):
        pdf.set_xy(x, y + index * pitch)
        pdf.cell(w=pdf.get_string_width(line), h=pitch, text=line)


def _strike(pdf: FPDF, lang: Language, x: float, y: float, right: float) -> None:
    """Close the slip after the last drug (第六条(十一)): '以下空白' and a stroke to the bottom."""
    pdf.set_draw_color(*_INK)
    pdf.set_line_width(0.35)
    words = _word("blank_below", lang)
    pdf.set_font(_FONT, size=8)
    words_w = pdf.get_string_width(words)
    middle = (x + right) / 2
    pdf.line(x, y + 1.6, middle - words_w / 2 - 2, y + 1.6)
    _text(pdf, middle - words_w / 2, y, words, 8, _GREY)
    pdf.line(middle + words_w / 2 + 2, y + 1.6, right, y + 1.6)
    if RP_BOTTOM_MM - (y + 4) > 2:
        pdf.line(x, y + 4, right, RP_BOTTOM_MM - 1)


def _footer(pdf: FPDF, data: SlipData) -> None:
    lang = data.lang
    left, right = MARGIN_MM, PAGE_MM[0] - MARGIN_MM
    y = RP_BOTTOM_MM
    pdf.set_draw_color(*_INK)
    pdf.set_line_width(0.4)
    pdf.line(left, y, right, y)
    y += 2.5
    mid = left + (right - left) * 0.58
    label = (
        f"{_word('prescriber', lang)}（{_word('signature', lang)}）"
        if lang == "zh"
        else (f"{_word('prescriber', lang)} ({_word('signature', lang)})")
    )
    # The doctor's printed name, with room left on the line to sign beside it; with no name
    # known the line stays blank to be written and signed by hand (处方标准 后记: 医师签名).
    _labelled(pdf, left, y, label, data.prescriber.strip(), mid - 4, fit=SIGNATURE_MM)
    _labelled(pdf, mid, y, _word("amount", lang), data.amount, right)
    y += 6.5
    validity = (
        _word("valid_1", lang)
        if data.valid_days == 1
        else _word("valid_n", lang).format(n=data.valid_days)
    )
    _text(pdf, left, y, validity, 8.5)
    if data.supply_reason:
        # The reason the regulation asks the prescriber to note, on its own line below; the
        # pharmacists' boxes below take what height is left.
        y += 5
        label = _word("supply_reason", lang)
        _labelled(pdf, left, y, label, data.supply_reason, right, 8.5, fit=0.5)
    y += 6
    # 审核 调配 核对 发药: one box each for the pharmacists' signatures.
    keys = ("review", "prepare", "check", "dispense")
    box_w = (right - left) / len(keys)
    box_h = PAGE_MM[1] - MARGIN_MM + 3 - y
    pdf.set_line_width(0.25)
    for index, key in enumerate(keys):
        box_x = left + index * box_w
        pdf.rect(box_x, y, box_w, box_h)
        _text(pdf, box_x + 1.5, y + 1.2, _word(key, lang), 8.5)
    pdf.set_font(_FONT, size=6.5)
    note = _word("pharmacist", lang)
    _text(pdf, right - pdf.get_string_width(note), y + box_h + 0.6, note, 6.5, _GREY)
