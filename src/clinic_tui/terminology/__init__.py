"""ICD-10 terminology in the cache: import, the starter set and search as you type (no Textual).

The small API the rest of the app uses:
  search_icd10(db, query, limit=20, lang="zh", systems=None) -> list[Icd10Hit]
  ensure_starter_set(connection) -> loads or refreshes the built-in starter set
  WHO_ICD10, NATIONAL_ICD10: the code system URIs of the hits
Imports of the full sources live in gnuhealth.py and national.py (see `clinic-tui terminology`).
"""

from clinic_tui.terminology.search import Icd10Hit, search_icd10
from clinic_tui.terminology.starter import ensure_starter_set
from clinic_tui.terminology.systems import NATIONAL_ICD10, WHO_ICD10

__all__ = ["NATIONAL_ICD10", "WHO_ICD10", "Icd10Hit", "ensure_starter_set", "search_icd10"]
