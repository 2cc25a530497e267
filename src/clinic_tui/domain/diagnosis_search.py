"""The seam between the diagnosis form and an ICD-10 search, with a tiny built-in fallback.

The problem form asks a `DiagnosisSearch` (text in, coded hits out) and nothing
else. The workstation gives it the cache's ICD-10 terminology
(terminology/diagnosis.py); `fallback_search` answers from a handful of codes common
at a township health centre when a cache's terminology is still empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from clinic_tui.domain.pinyin import normalise_query, search_keys

ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
"""FHIR's URI for WHO ICD-10 (hl7.org/fhir/R4/icd.html); Condition.code carries it."""


@dataclass(frozen=True)
class CodeHit:
    """One coded diagnosis a search found: what goes on the wire and what a doctor reads."""

    code: str
    display_zh: str
    display_en: str
    system: str = ICD10_SYSTEM


DiagnosisSearch = Callable[[str], list[CodeHit]]
"""Text typed by the doctor -> matching codes, best first (an empty query may return [])."""

# Codes and English titles: WHO ICD-10 2019 (icd.who.int/browse10/2019/en). Chinese titles:
# 疾病分类与代码 GB/T 14396-2016 (the national ICD-10 edition). A stop-gap, not a terminology.
FALLBACK_CODES: tuple[CodeHit, ...] = (
    CodeHit("I10", "高血压", "Essential (primary) hypertension"),
    CodeHit("E11.9", "2型糖尿病", "Type 2 diabetes mellitus without complications"),
    CodeHit("E78.5", "高脂血症", "Hyperlipidaemia, unspecified"),
    CodeHit("J06.9", "急性上呼吸道感染", "Acute upper respiratory infection, unspecified"),
    CodeHit("J20.9", "急性支气管炎", "Acute bronchitis, unspecified"),
    CodeHit("J18.9", "肺炎", "Pneumonia, unspecified"),
    CodeHit("J44.9", "慢性阻塞性肺疾病", "Chronic obstructive pulmonary disease, unspecified"),
    CodeHit("J45.9", "支气管哮喘", "Asthma, unspecified"),
    CodeHit("K29.7", "胃炎", "Gastritis, unspecified"),
    CodeHit("A09", "感染性胃肠炎", "Other gastroenteritis and colitis of infectious origin"),
    CodeHit("M54.5", "腰痛", "Low back pain"),
    CodeHit("I25.1", "动脉粥样硬化性心脏病", "Atherosclerotic heart disease"),
    CodeHit("R50.9", "发热", "Fever, unspecified"),
    CodeHit("R51", "头痛", "Headache"),
)

FALLBACK_LIMIT = 8
"""Most hits the fallback returns: the form's list shows them without scrolling at 80x24."""


@cache
def _keys(chinese: str) -> tuple[str, str]:
    """Pinyin keys of a title, worked out once (pypinyin is slow to load and to run)."""
    return search_keys(chinese)


def fallback_search(text: str) -> list[CodeHit]:
    """Match a code prefix, Chinese or English words, or pinyin (full or initials)."""
    query = normalise_query(text)
    if not query:
        return []
    hits: list[tuple[int, int, CodeHit]] = []
    for order, hit in enumerate(FALLBACK_CODES):
        full, initials = _keys(hit.display_zh)
        code = hit.code.lower()
        if code.startswith(query) or code.replace(".", "").startswith(query):
            rank = 0
        elif query in hit.display_zh or initials.startswith(query) or full.startswith(query):
            rank = 1
        elif query in normalise_query(hit.display_en):
            rank = 2
        else:
            continue
        hits.append((rank, order, hit))
    hits.sort(key=lambda item: item[:2])
    return [hit for _, _, hit in hits[:FALLBACK_LIMIT]]
