"""Reading the checks' rule tables (TOML files beside this module) and naming drugs in them.

Each table is read once per process and checked against its schema (table_specs.py): a
key the schema does not name is refused, not ignored. A row's `source` names one or more
entries of the table's [sources], whose citations the warning carries.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from clinic_tui.domain.table_schema import check
from clinic_tui.prescribing.model import FormularyDrug

_SPACES = re.compile(r"[\s\-_/()（）,，.。·]+")
_WORDS = re.compile(r"[a-z]+")


@cache
def load_table(name: str) -> dict[str, Any]:
    """The parsed TOML file `name` of this package (read once), checked against its schema."""
    from clinic_tui.prescribing.table_specs import SCHEMAS

    text = resources.files("clinic_tui.prescribing").joinpath(name).read_text(encoding="utf-8")
    return parse_table(name, text, SCHEMAS[name])


def parse_table(name: str, text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """TOML `text` of the table called `name`, refused (TableSchemaError) unless it fits."""
    data = tomllib.loads(text)
    check(name, data, schema)
    return data


def citation(table: dict[str, Any], source: str | list[str]) -> str:
    """The full citation(s) a row names, joined by '; '."""
    keys = [source] if isinstance(source, str) else list(source)
    return "; ".join(str(table["sources"][key]["cite"]) for key in keys)


def short_source(table: dict[str, Any], source: str | list[str], zh: bool) -> str:
    """The short name(s) of a row's source, for the end of a message."""
    keys = [source] if isinstance(source, str) else list(source)
    field = "short_zh" if zh else "short"
    return ("；" if zh else "; ").join(str(table["sources"][key][field]) for key in keys)


def drug_source(drug: FormularyDrug, *fields: str) -> str:
    """The formulary's citation for these fields of the drug, else all its sources."""
    cited = [drug.source_of(name) for name in fields]
    found = list(dict.fromkeys(text for text in cited if text))
    return "; ".join(found or drug.sources) or f"Formulary entry for {drug.name_en}"


def normalise(text: str) -> str:
    """Lower case, with spaces and punctuation removed: what name matching compares."""
    return _SPACES.sub("", text.lower())


def latin_words(text: str) -> set[str]:
    """The Latin words of a name, lower case ('Sulfamethoxazole and trimethoprim' -> ...)."""
    return set(_WORDS.findall(text.lower()))


def drug_names(drug: FormularyDrug) -> tuple[str, ...]:
    """Normalised names a record may call the drug by: code, English, Chinese, synonyms.

    Latin names shorter than four letters and Chinese ones shorter than two characters are
    left out: 'amo' or '阿' inside another word is not the drug.
    """
    found: list[str] = []
    for name in (drug.code, drug.name_en, drug.name_zh, *drug.synonyms):
        key = normalise(name)
        if not key:
            continue
        minimum = 4 if key.isascii() else 2
        if len(key) >= minimum and key not in found:
            found.append(key)
    return tuple(found)
