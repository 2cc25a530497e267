"""ICD-10 terminology in the cache: import, the starter set and search as you type (no Textual).

The small API the rest of the app uses:
  search_icd10(db, query, limit=20, lang="zh", systems=None) -> list[Icd10Hit]
  ensure_starter_set(connection) -> loads or refreshes the built-in starter set
  WHO_ICD10, NATIONAL_ICD10: the code system URIs of the hits
Imports of the full sources live in gnuhealth.py and national.py (see `clinic-tui terminology`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from clinic_tui.terminology.systems import NATIONAL_ICD10, WHO_ICD10

if TYPE_CHECKING:
    from clinic_tui.terminology.search import Icd10Hit, search_icd10
    from clinic_tui.terminology.starter import ensure_starter_set

__all__ = ["NATIONAL_ICD10", "WHO_ICD10", "Icd10Hit", "ensure_starter_set", "search_icd10"]

# The workstation checks the starter set on every start: importing this package must not
# import the search (and what it needs) until someone searches.
_LAZY = {"Icd10Hit": "search", "search_icd10": "search", "ensure_starter_set": "starter"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
