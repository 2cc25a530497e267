"""A hospital's own formulary from a CSV file (README: "Importing a hospital formulary").

One row per stocked product (form and strength); rows sharing a `code` are one drug with
several products, and the drug's own columns may be left blank on its later rows. Every row
is checked; any bad row fails the whole file with each problem's row number and reason, so
nothing is half-imported. UTF-8 (with or without BOM) or GB18030, as Excel saves it in China.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from clinic_tui.domain.untrusted import clean_line
from clinic_tui.i18n import tr
from clinic_tui.prescribing.formulary import CLASS_TAGS, ROUTES
from clinic_tui.prescribing.model import (
    Controlled,
    DoseRange,
    FormularyDrug,
    Pregnancy,
    Product,
)

REQUIRED = ("code", "name_en", "name_zh", "form", "strength", "strength_unit", "unit_en",
            "unit_zh")  # fmt: skip
OPTIONAL = (
    "atc", "classes", "routes", "synonyms", "pack_size", "pack_unit_en", "pack_unit_zh",
    "volume_ml", "adult_dose_low", "adult_dose_high", "adult_max_daily",
    "child_per_kg_day_low", "child_per_kg_day_high", "child_max_daily", "pregnancy",
    "breastfeeding", "antimicrobial", "controlled", "no_long_term", "renal_caution",
    "elderly_caution", "source", "adult_max_dose", "egfr_avoid_below",
)  # fmt: skip
COLUMNS = REQUIRED + OPTIONAL
"""Every column the importer reads; others are refused so a misspelt header is never ignored."""

_DRUG_FIELDS = ("name_en", "name_zh", "atc", "classes", "routes", "synonyms", "adult_dose_low",
                "adult_dose_high", "adult_max_daily", "child_per_kg_day_low",
                "child_per_kg_day_high", "child_max_daily", "pregnancy", "breastfeeding",
                "antimicrobial", "controlled", "no_long_term", "renal_caution",
                "elderly_caution", "source", "adult_max_dose", "egfr_avoid_below")  # fmt: skip
_CITED = {
    "adult_dose": ("adult_dose_low", "adult_dose_high"),
    "adult_max_daily": ("adult_max_daily",),
    "child_per_kg_day": ("child_per_kg_day_low", "child_per_kg_day_high"),
    "child_max_daily": ("child_max_daily",),
    "pregnancy": ("pregnancy",),
    "breastfeeding": ("breastfeeding",),
    "renal_caution": ("renal_caution",),
    "elderly_caution": ("elderly_caution",),
    "adult_max_dose": ("adult_max_dose",),
    "egfr_avoid_below": ("egfr_avoid_below",),
}
"""A drug field -> the columns that give it; any of them given needs a `source`."""
_YES = {"yes", "y", "true", "1", "是"}
_NO = {"no", "n", "false", "0", "否", ""}
_MAX_ROWS = 20000
MAX_BYTES = 32 * 1024 * 1024
"""Bytes a formulary CSV may hold: 20,000 rows of even long names fit in a few MB, and a
bigger file is refused before it is read (a million-row file is no formulary)."""


class FormularyCsvError(ValueError):
    """The file cannot be imported: every problem found, each with its row number."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        """Keep `problems` as (row number, reason); row 1 is the header."""
        self.problems = problems
        shown = "; ".join(f"row {row}: {reason}" for row, reason in problems[:20])
        more = f"; and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s), nothing imported: {shown}{more}")


@dataclass
class _Drug:
    row: int
    values: dict[str, str]
    products: list[Product] = field(default_factory=list)


class FormularyEncodingError(ValueError):
    """The file is not UTF-8 or GB18030 text; the message names the encoding it looks like."""


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (BOM or not), else GB18030 (Excel's CSV on a Chinese Windows).

    Anything else is refused with FormularyEncodingError naming what it looks like:
    UTF-16 or UTF-32 (Excel's "Unicode text"), or Windows-1252 (Excel's CSV on a Western
    Windows), which GB18030 would otherwise read without error as wrong Chinese
    (`Parac\xe9tamol` becomes `Parac閠amol`, a name that would print on slips).
    """
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise FormularyEncodingError(_encoding_message("UTF-32"))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FormularyEncodingError(_encoding_message("UTF-16"))
    if b"\x00" in data[:4096]:
        raise FormularyEncodingError(_encoding_message("UTF-16 (no byte-order mark)"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text: str | None = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    western = _western_text(data)
    if text is not None and not (western and _mis_decoded(text)):
        return text
    if western:
        raise FormularyEncodingError(_encoding_message("Windows-1252 (Western European)"))
    raise FormularyEncodingError(_encoding_message(None))


def _encoding_message(found: str | None) -> str:
    looks = (
        tr("it looks like {encoding}").format(encoding=found)
        if found
        else tr("its encoding is not one clinic-tui knows")
    )
    return tr(
        "the file is not UTF-8 or GB18030 text ({looks}): save it from Excel as "
        '"CSV UTF-8" and import it again'
    ).format(looks=looks)


_CJK = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xE000, 0xF8FF))
"""CJK ideographs, and the private use area GB18030 maps its unassigned codes to."""


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _mis_decoded(text: str) -> bool:
    """True when the Chinese GB18030 found is mostly rare characters: Latin text read wrong.

    A Western accented letter followed by a plain letter (é + t) is a valid two-byte
    GB18030 code, but one outside GB2312's 6,763 common characters; real Chinese drug
    names are nearly all inside it (a 䓬 here and there).
    """
    ideographs = [c for c in text if any(low <= ord(c) <= high for low, high in _CJK)]
    if not ideographs:
        return False
    rare = sum(1 for c in ideographs if not _in_gb2312(c))
    return rare * 4 >= len(ideographs)


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _western_text(data: bytes) -> bool:
    """True when the bytes read as Windows-1252 give Western words: accented letters
    inside words (short runs), never the long runs that Chinese bytes make."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    found = False
    # Runs of non-ASCII characters only (found by the regex engine): a file of 30 MB is
    # mostly ASCII, and a Chinese file fails on its first name.
    for run in _NON_ASCII_RUN.finditer(text):
        letters = run.group()
        if len(letters) > 3 or not all(c.isalpha() or c in "’‘“”–—…€°·×" for c in letters):
            return False
        found = True
    return found


def read_formulary_csv(text: str) -> list[FormularyDrug]:
    """The drugs of a formulary CSV; FormularyCsvError listing every bad row otherwise."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise FormularyCsvError([(1, tr("the file is empty (a header row is needed)"))]) from None
    except csv.Error as error:
        raise FormularyCsvError([(1, tr("not a CSV file: {error}").format(error=error))]) from error
    problems: list[tuple[int, str]] = []
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown:
        problems.append((1, tr("unknown column(s): {names}").format(names=", ".join(unknown))))
    if missing:
        problems.append((1, tr("missing column(s): {names}").format(names=", ".join(missing))))
    if len(set(header)) != len(header):
        problems.append((1, tr("a column appears twice")))
    if problems:
        raise FormularyCsvError(problems)
    drugs: dict[str, _Drug] = {}
    try:
        for number, cells in enumerate(reader, start=2):
            if number > _MAX_ROWS:
                problems.append((number, tr("more than {most:,} rows").format(most=_MAX_ROWS)))
                break
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                problems.append(
                    (
                        number,
                        tr("{cells} cells where the header has {columns}").format(
                            cells=len(cells), columns=len(header)
                        ),
                    )
                )
                continue
            # Cells are outside text (they print on slips): one clean line each.
            row = {name: clean_line(cell).strip() for name, cell in zip(header, cells, strict=True)}
            _read_row(number, row, drugs, problems)
    except csv.Error as error:
        problems.append((reader.line_num, tr("not readable as CSV: {error}").format(error=error)))
    built: list[FormularyDrug] = []
    for drug in drugs.values():
        made = _build(drug, problems)
        if made is not None:
            built.append(made)
    if problems:
        raise FormularyCsvError(sorted(problems))
    if not built:
        raise FormularyCsvError([(2, tr("no drug rows under the header"))])
    return built


def _read_row(
    number: int, row: dict[str, str], drugs: dict[str, _Drug], problems: list[tuple[int, str]]
) -> None:
    code = row.get("code", "").lower()
    drug = drugs.get(code)
    # A drug's later rows may leave its names blank: only its products are new there.
    needed = [name for name in REQUIRED if drug is None or name not in ("name_en", "name_zh")]
    empty = [name for name in needed if not row.get(name)]
    if empty:
        problems.append((number, tr("empty {names}").format(names=", ".join(empty))))
        return
    product = _product(number, row, problems)
    if drug is None:
        drugs[code] = _Drug(number, row, [product] if product else [])
        return
    for name in _DRUG_FIELDS:
        value = row.get(name, "")
        if value and value != drug.values.get(name, ""):
            problems.append(
                (
                    number,
                    tr("{name} {value!r} differs from row {row} of drug {code!r}").format(
                        name=name, value=value, row=drug.row, code=code
                    ),
                )
            )
    if product is not None:
        if product in drug.products:
            problems.append((number, tr("the same product is listed twice")))
        elif drug.products and product.strength_unit != drug.products[0].strength_unit:
            problems.append(
                (
                    number,
                    tr("strength_unit {unit!r} differs from row {row}").format(
                        unit=product.strength_unit, row=drug.row
                    ),
                )
            )
        drug.products.append(product)


def _number(
    number: int, row: dict[str, str], name: str, problems: list[tuple[int, str]]
) -> float | None:
    text = row.get(name, "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append(
            (number, tr("{name} {text!r} is not a number").format(name=name, text=text))
        )
        return None
    if not value > 0 or value == float("inf"):
        problems.append(
            (number, tr("{name} {text!r} must be a number above 0").format(name=name, text=text))
        )
        return None
    return value


def _product(number: int, row: dict[str, str], problems: list[tuple[int, str]]) -> Product | None:
    before = len(problems)
    strength = _number(number, row, "strength", problems)
    volume = _number(number, row, "volume_ml", problems)
    pack = _number(number, row, "pack_size", problems)
    if pack is not None and not pack.is_integer():
        problems.append(
            (number, tr("pack_size {text!r} must be a whole number").format(text=row["pack_size"]))
        )
    if len(problems) > before or strength is None:
        return None
    return Product(
        form=row["form"],
        strength=strength,
        strength_unit=row["strength_unit"],
        unit_en=row["unit_en"],
        unit_zh=row["unit_zh"],
        volume_ml=volume,
        pack_size=int(pack) if pack is not None else None,
        pack_unit_en=row.get("pack_unit_en", ""),
        pack_unit_zh=row.get("pack_unit_zh", ""),
    )


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace("；", ";").split(";") if part.strip())


def _build(drug: _Drug, problems: list[tuple[int, str]]) -> FormularyDrug | None:
    number, row = drug.row, drug.values
    before = len(problems)
    code = row["code"].lower()
    classes = tuple(tag.lower() for tag in _split(row.get("classes", "")))
    bad = [tag for tag in classes if tag not in CLASS_TAGS]
    if bad:
        problems.append(
            (
                number,
                tr("unknown class tag(s) {tags} (the README lists them)").format(
                    tags=", ".join(bad)
                ),
            )
        )
    routes = tuple(route.lower() for route in _split(row.get("routes", ""))) or ("po",)
    bad = [route for route in routes if route not in ROUTES]
    if bad:
        problems.append(
            (
                number,
                tr("unknown route(s) {routes}: use {allowed}").format(
                    routes=", ".join(bad), allowed=", ".join(sorted(ROUTES))
                ),
            )
        )
    values: dict[str, Any] = {}
    for name in ("adult_dose_low", "adult_dose_high", "adult_max_daily", "child_per_kg_day_low",
                 "child_per_kg_day_high", "child_max_daily", "adult_max_dose",
                 "egfr_avoid_below"):  # fmt: skip
        values[name] = _number(number, row, name, problems)
    for low, high in (("adult_dose_low", "adult_dose_high"),
                      ("child_per_kg_day_low", "child_per_kg_day_high")):  # fmt: skip
        if (values[low] is None) != (values[high] is None):
            problems.append((number, tr("{low} and {high} go together").format(low=low, high=high)))
        elif values[low] is not None and values[low] > values[high]:
            problems.append((number, tr("{low} is above {high}").format(low=low, high=high)))
    pregnancy = _choice(number, row, "pregnancy", Pregnancy, problems)
    breastfeeding = _choice(number, row, "breastfeeding", Pregnancy, problems)
    controlled = _choice(number, row, "controlled", Controlled, problems)
    flags = {}
    for name in ("antimicrobial", "no_long_term"):
        text = row.get(name, "").lower()
        if text not in _YES | _NO:
            problems.append(
                (number, tr("{name} {text!r}: write yes or no").format(name=name, text=row[name]))
            )
        flags[name] = text in _YES
    source = row.get("source", "")
    cited = []
    for field_name, columns in _CITED.items():
        if any(row.get(column) for column in columns):
            if not source:
                problems.append(
                    (number, tr("{name} given without a source").format(name=field_name))
                )
            cited.append((field_name, source))
    if not drug.products:
        # A product refused on its own row has said why; say so only when nothing was said.
        if not any(row_number == number for row_number, _ in problems):
            problems.append((number, tr("no usable product (form and strength)")))
        return None
    if len(problems) > before:
        return None
    unit = drug.products[0].strength_unit
    low, high = values["child_per_kg_day_low"], values["child_per_kg_day_high"]
    return FormularyDrug(
        code=code,
        name_en=row["name_en"],
        name_zh=row["name_zh"],
        atc=row.get("atc", "").upper(),
        classes=classes,
        routes=routes,
        products=tuple(drug.products),
        adult_dose=(
            DoseRange(values["adult_dose_low"], values["adult_dose_high"], unit)
            if values["adult_dose_low"] is not None
            else None
        ),
        adult_max_daily=values["adult_max_daily"],
        child_per_kg_day=(low, high) if low is not None else None,
        child_max_daily=values["child_max_daily"],
        pregnancy=Pregnancy(pregnancy or "unknown"),
        breastfeeding=Pregnancy(breastfeeding or "unknown"),
        antimicrobial=flags["antimicrobial"],
        controlled=Controlled(controlled or ""),
        no_long_term=flags["no_long_term"],
        renal_caution=row.get("renal_caution", ""),
        elderly_caution=row.get("elderly_caution", ""),
        synonyms=_split(row.get("synonyms", "")),
        sources=(source,) if cited else (),
        cited=tuple(cited),
        adult_max_dose=values["adult_max_dose"],
        egfr_avoid_below=values["egfr_avoid_below"],
    )


def _choice(
    number: int, row: dict[str, str], name: str, kind: Any, problems: list[tuple[int, str]]
) -> str:
    text = row.get(name, "").lower()
    allowed = [str(member.value) for member in kind]
    if text and text not in allowed:
        problems.append(
            (
                number,
                tr("{name} {text!r}: use one of {allowed}").format(
                    name=name, text=row[name], allowed=", ".join(a for a in allowed if a)
                ),
            )
        )
        return ""
    return text
