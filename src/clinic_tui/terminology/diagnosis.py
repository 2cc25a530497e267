"""The chart's diagnosis search: the ICD-10 terminology in the cache, as a DiagnosisSearch.

The problem form asks a `DiagnosisSearch` (domain/diagnosis_search.py). This one answers
from the cache's terminology tables (the starter set the workstation loads, or a full
WHO / national import), on a connection of its own per query, so it may run in a worker
thread. A cache whose terminology is still empty (made by a tool that never opened the
workstation) falls back to the small built-in list rather than finding nothing.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from clinic_tui.domain.diagnosis_search import CodeHit, DiagnosisSearch, fallback_search
from clinic_tui.offline_cache.cache_file import open_connection
from clinic_tui.terminology.search import search_icd10

SEARCH_LIMIT = 20
"""Hits offered per query: more than a screen, fewer than a doctor would read."""


def diagnosis_search_for(cache_path: Path) -> DiagnosisSearch:
    """A DiagnosisSearch over the terminology of the cache at `cache_path`."""

    def search(text: str) -> list[CodeHit]:
        with closing(open_connection(cache_path)) as connection:
            loaded = connection.execute("SELECT 1 FROM terminology_concept LIMIT 1").fetchone()
            if loaded is None:
                return fallback_search(text)
            hits = search_icd10(connection, text, limit=SEARCH_LIMIT)
        return [CodeHit(hit.code, hit.display_zh, hit.display_en, hit.system) for hit in hits]

    return search
