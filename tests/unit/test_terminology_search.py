"""Diagnosis search over the starter set: every kind of query a doctor types, and the ranking."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from clinic_tui.offline_cache.engine import create_cache_engine
from clinic_tui.terminology import NATIONAL_ICD10, WHO_ICD10, ensure_starter_set, search_icd10
from clinic_tui.terminology.store import Concept, upsert_concepts
from tests.terminology_fixtures import open_connection


@pytest.fixture(scope="module")
def starter_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache holding the starter set, built once per module (pinyin keys take a while)."""
    path = tmp_path_factory.mktemp("starter") / "clinic.sqlite3"
    with closing(open_connection(path)) as opened:
        ensure_starter_set(opened)
    return path


@pytest.fixture
def connection(starter_template: Path, cache_file: Path) -> Iterator[sqlite3.Connection]:
    """This test's own copy of the starter-set cache."""
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(starter_template, cache_file)
    with closing(open_connection(cache_file)) as opened:
        yield opened


def codes(connection: sqlite3.Connection, query: str, **options: object) -> list[str]:
    return [hit.code for hit in search_icd10(connection, query, **options)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("I10", "I10"),
        ("i10", "I10"),
        ("j06", "J06.9"),
        ("J06.9", "J06.9"),
        ("e11.9", "E11.9"),
        ("E119", "E11.9"),
        ("高血压", "I10"),
        ("高血", "I10"),
        ("上呼吸道", "J06.9"),
        ("呼吸道感染", "J06.9"),
        ("原发性高血压", "I10"),
        ("gxy", "I10"),
        ("GXY", "I10"),
        ("gaoxueya", "I10"),
        ("gao xue ya", "I10"),
        ("shxdgr", "J06.9"),
        ("shanghuxidaoganran", "J06.9"),
        ("hypertension", "I10"),
        ("essential hyp", "I10"),
        ("upper resp", "J06.9"),
        ("bronchitis", "J20.9"),
        ("胃炎", "K29.7"),
        ("2型糖尿病", "E11.9"),
    ],
)
def test_each_kind_of_query_finds_its_diagnosis(
    connection: sqlite3.Connection, query: str, expected: str
) -> None:
    assert expected in codes(connection, query)


def test_an_exact_code_comes_first_then_longer_codes(connection: sqlite3.Connection) -> None:
    hits = search_icd10(connection, "I1")
    assert [hit.code for hit in hits[:2]] == ["I10", "I11.9"]
    assert {hit.match for hit in hits} == {"code-prefix"}
    exact = search_icd10(connection, "I10")
    assert (exact[0].code, exact[0].match) == ("I10", "code")


def test_a_title_or_part_prefix_ranks_before_a_match_inside_the_title(
    connection: sqlite3.Connection,
) -> None:
    hits = search_icd10(connection, "高血压")
    tiers = {hit.code: hit.match for hit in hits}
    # 特发性（原发性）高血压: its last part starts with the query; 高血压性心脏病 the whole title.
    assert [hit.code for hit in hits[:3]] == ["I10", "O13", "I11.9"]
    assert tiers["I10"] == tiers["I11.9"] == "title-prefix"
    # 继发性高血压，未特指 only holds it inside a part.
    assert tiers["I15.9"] == "title"
    matches = [hit.match for hit in hits]
    assert matches == sorted(matches, key=["title-prefix", "title"].index)


def test_pinyin_ranks_parts_the_same_way(connection: sqlite3.Connection) -> None:
    for query in ("gxy", "gaoxueya", "GaoXueYa"):
        hits = search_icd10(connection, query)
        assert (hits[0].code, hits[0].match) == ("I10", "title-prefix"), query


def test_one_and_two_han_characters_find_titles_containing_them(
    connection: sqlite3.Connection,
) -> None:
    assert "I10" in codes(connection, "压", limit=100)
    assert "J06.9" in codes(connection, "呼吸", limit=100)


def test_a_long_pinyin_query_is_checked_against_the_whole_title(
    connection: sqlite3.Connection,
) -> None:
    # Longer than the 16 letters a pinyin key keeps, and than the 3-letter initials n-grams.
    assert codes(connection, "jixingshanghuxidaoganran") == ["J06.9"]
    assert codes(connection, "jxshxdgr") == ["J06.9"]
    assert codes(connection, "jixingshanghuxidaoganrax") == []


def test_hits_carry_both_titles_and_the_system(connection: sqlite3.Connection) -> None:
    zh = search_icd10(connection, "I10", lang="zh")[0]
    en = search_icd10(connection, "I10", lang="en")[0]
    assert (zh.display, en.display) == (
        "特发性（原发性）高血压",
        "Essential (primary) hypertension",
    )
    assert zh.display_en == en.display_en
    assert zh.system == WHO_ICD10


def test_limit_empty_query_and_nonsense(connection: sqlite3.Connection) -> None:
    assert len(search_icd10(connection, "a", limit=3)) == 3
    assert search_icd10(connection, "   ") == []
    assert search_icd10(connection, "I10", limit=0) == []
    assert search_icd10(connection, "%_'") == []
    assert search_icd10(connection, "zzzzqqq") == []


def test_systems_restrict_the_search_and_withdrawn_codes_are_never_offered(
    connection: sqlite3.Connection,
) -> None:
    upsert_concepts(
        connection,
        NATIONAL_ICD10,
        "national.xlsx",
        [
            Concept("I10.x00x002", display_zh="高血压1级"),
            Concept("I10.x00x099", display_zh="高血压撤销码", active=False),
        ],
    )
    both = codes(connection, "I10", limit=50)
    assert both[:2] == ["I10", "I10.x00x002"]
    assert "I10.x00x099" not in both
    assert "I10.x00x099" not in codes(connection, "撤销")
    assert codes(connection, "I10", systems=[NATIONAL_ICD10]) == ["I10.x00x002"]
    assert codes(connection, "gxy1j", systems=[NATIONAL_ICD10]) == ["I10.x00x002"]


def test_sqlalchemy_connections_and_sessions_are_accepted(
    connection: sqlite3.Connection, cache_file: Path
) -> None:
    engine = create_cache_engine(cache_file)
    try:
        with engine.connect() as orm_connection:
            assert orm_connection.execute(text("SELECT 1")).scalar_one() == 1
            assert search_icd10(orm_connection, "gxy")
        with Session(engine) as session:
            assert search_icd10(session, "j06")[0].code == "J06.9"
        with pytest.raises(TypeError):
            search_icd10(object(), "I10")
    finally:
        engine.dispose()


def test_search_keys_use_indexes_not_scans(connection: sqlite3.Connection) -> None:
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    for query in ("I10", "高血压", "gxy", "gaoxueya", "hypertension", "jixingshanghuxidaoganran"):
        search_icd10(connection, query, limit=500)
    connection.set_trace_callback(None)
    plans = [
        str(row[-1])
        for sql in statements
        if sql.startswith("SELECT")
        for row in connection.execute("EXPLAIN QUERY PLAN " + sql)
    ]
    assert plans
    # Scanning a subquery's own few rows (m, subquery-1) is fine; scanning a table is not.
    scans = [plan for plan in plans if plan.startswith("SCAN") and plan != "SCAN m"]
    scans = [plan for plan in scans if not plan.startswith("SCAN (subquery")]
    assert scans == []
