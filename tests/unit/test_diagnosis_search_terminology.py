"""The chart's diagnosis search answers from the ICD-10 terminology in the cache."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine

from clinic_tui.terminology.diagnosis import diagnosis_search_for
from clinic_tui.terminology.starter import ensure_starter_set


def test_the_starter_set_answers_pinyin_initials_with_the_who_code(
    engine: Engine, cache_file: Path
) -> None:
    with closing(sqlite3.connect(cache_file)) as connection:
        ensure_starter_set(connection)
        connection.commit()
    search = diagnosis_search_for(cache_file)

    hits = search("gxy")

    assert hits[0].code == "I10"
    assert hits[0].system == "http://hl7.org/fhir/sid/icd-10"
    assert "高血压" in hits[0].display_zh
    # Codes the built-in list does not hold: the terminology answered.
    assert "I11.9" in [hit.code for hit in search("高血压")]
    assert search("N39")[0].display_en == "Urinary tract infection, site not specified"


def test_an_empty_terminology_falls_back_to_the_built_in_list(
    engine: Engine, cache_file: Path
) -> None:
    hits = diagnosis_search_for(cache_file)("gxy")

    assert [hit.code for hit in hits][:1] == ["I10"]
