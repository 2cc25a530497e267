"""Patient search finds by name, pinyin, identity number and phone, exact matches first."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from clinic_tui.domain.models import Gender
from clinic_tui.domain.national_id import make
from clinic_tui.offline_cache.patient_search import PatientSearch, QueryKind, classify
from clinic_tui.offline_cache.store import upsert_resources
from tests.ui.patient_search_fixtures import (
    BROWN_PASSPORT,
    LI_SI_ID_NUMBER,
    SMITH_ID_NUMBER,
    ZHANG_SAN_ID_NUMBER,
    fill_cache,
    patient,
)


@pytest.fixture
def search(engine: Engine) -> PatientSearch:
    """A search over the fixture patients."""
    fill_cache(engine)
    return PatientSearch(engine)


def _ids(search: PatientSearch, query: str, limit: int = 50) -> list[str]:
    return [found.id for found in search.search(query, limit)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Initials: both zs patients exactly, then the zsf prefix.
        ("zs", ["p-zhangsan", "p-zhangshan", "p-zhangsanfeng"]),
        ("ZS", ["p-zhangsan", "p-zhangshan", "p-zhangsanfeng"]),
        # Full pinyin: the exact zhangsan before zhangsanfeng; zhangshan does not start so.
        ("zhangsan", ["p-zhangsan", "p-zhangsanfeng"]),
        ("zhang san", ["p-zhangsan", "p-zhangsanfeng"]),
        ("Zhang San", ["p-zhangsan", "p-zhangsanfeng"]),
        ("zhangs", ["p-zhangsan", "p-zhangsanfeng", "p-zhangshan"]),
        ("zsf", ["p-zhangsanfeng"]),
        ("ls", ["p-lisi"]),
        # Han name prefix: 张 is not 章.
        ("张", ["p-zhangsan", "p-zhangshan"]),
        ("张三", ["p-zhangsan"]),
        (" 张 三 ", ["p-zhangsan"]),
        ("章", ["p-zhangsanfeng"]),
        # Latin names by given or family prefix, any case.
        ("Smith", ["p-smith"]),
        ("smi", ["p-smith"]),
        ("john", ["p-smith"]),
        ("JOHN SMITH", ["p-smith"]),
    ],
)
def test_names_and_pinyin(search: PatientSearch, query: str, expected: list[str]) -> None:
    assert _ids(search, query) == expected


def test_identity_number_prefix_and_exact(search: PatientSearch) -> None:
    assert _ids(search, "440305") == ["p-lisi"]
    assert _ids(search, LI_SI_ID_NUMBER) == ["p-lisi"]
    assert set(_ids(search, "110105")) == {"p-zhangsan", "p-zhangshan", "p-smith"}
    assert _ids(search, ZHANG_SAN_ID_NUMBER[:14]) == ["p-zhangsan"]


def test_identity_number_check_character_in_either_case(search: PatientSearch) -> None:
    assert SMITH_ID_NUMBER.endswith("X")
    assert _ids(search, SMITH_ID_NUMBER.lower()) == ["p-smith"]
    assert _ids(search, SMITH_ID_NUMBER) == ["p-smith"]


def test_passport_number_prefix_any_case(search: PatientSearch) -> None:
    assert _ids(search, "pa12") == ["p-brown"]
    assert _ids(search, BROWN_PASSPORT) == ["p-brown"]


def test_phone_prefix_with_separators(search: PatientSearch) -> None:
    assert _ids(search, "1380013") == ["p-zhangsan", "p-zhangshan"]
    assert _ids(search, "138-0013-8000") == ["p-zhangsan"]
    assert _ids(search, "159 0000") == ["p-lisi"]


def test_exact_match_outranks_earlier_prefix_match(search: PatientSearch) -> None:
    # 13800138000 is 张三's whole phone number; 张珊's only starts with 1380013.
    assert _ids(search, "13800138000") == ["p-zhangsan"]
    assert _ids(search, "zhangsan")[0] == "p-zhangsan"


def test_inactive_patients_are_not_found(search: PatientSearch) -> None:
    assert _ids(search, "王") == []
    assert _ids(search, "wangwu") == []
    assert _ids(search, "13800138001") == []


def test_results_are_unique_and_limited(search: PatientSearch) -> None:
    # "j" starts John Smith's initials, full key and given name: three lookups, one result.
    assert _ids(search, "j") == ["p-smith"]
    assert _ids(search, "zs", limit=2) == ["p-zhangsan", "p-zhangshan"]
    assert _ids(search, "zs", limit=0) == []


@pytest.mark.parametrize(
    "query", ["", "   ", "%", "_", "'", "%%", "张%", "z%", "zs_", "1%", "' OR 1=1 --", "é", "\\"]
)
def test_odd_input_finds_nothing_and_never_fails(search: PatientSearch, query: str) -> None:
    assert search.search(query) == []


def test_summary_fields(search: PatientSearch) -> None:
    found = search.search("张三")[0]
    assert found.name == "张三"
    assert found.gender is Gender.MALE
    assert str(found.birth_date) == "1958-03-14"
    assert found.identifier == ZHANG_SAN_ID_NUMBER
    assert found.phone == "13800138000"


def test_get_by_id(search: PatientSearch) -> None:
    found = search.get("p-lisi")
    assert found is not None
    assert found.name == "李四"
    assert search.get("nobody") is None
    # An inactive patient is still readable by id (a queue entry may point at one).
    assert search.get("p-wangwu") is not None


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("张三", QueryKind.HAN_NAME),
        ("13800", QueryKind.NUMBER),
        ("11010519800520001x", QueryKind.NUMBER),
        ("zhang san", QueryKind.LATIN),
        ("PA12", QueryKind.DOCUMENT),
        ("%", QueryKind.NONE),
    ],
)
def test_query_kind_from_its_shape(query: str, kind: QueryKind) -> None:
    assert classify(query)[0] is kind


@pytest.mark.parametrize("query", ["zs", "张", "110105", "11010519800520001x", "smith"])
def test_every_lookup_is_an_index_range_without_sorting(search: PatientSearch, query: str) -> None:
    plan = search.explain(query)
    assert plan
    for step in plan:
        assert "USING INDEX" in step or "USING COVERING INDEX" in step, step
        assert "TEMP B-TREE" not in step, step


@pytest.fixture
def front_desk(search: PatientSearch) -> PatientSearch:
    """The fixture patients plus 王淑珍, 吕敏, 女娲 (nü) and Ahmed Okafor."""
    extra = [
        patient("p-shuzhen", "王", "淑珍", gender="female", birth="1950-06-01",
                id_number=make("430124", date(1950, 6, 1), 2), phone="13700000001"),
        patient("p-lumin", "吕", "敏", gender="female", birth="1980-02-02",
                id_number=make("430124", date(1980, 2, 2), 4), phone="13700000002"),
        patient("p-luming", "路", "明", gender="male", birth="1985-03-03",
                id_number=make("430124", date(1985, 3, 3), 5), phone="13700000003"),
        patient("p-okafor", "Okafor", "Ahmed", gender="male", birth="1993-04-04",
                id_number="A1234567", phone="13700000004",
                id_system="http://hl7.org/fhir/sid/passport-NGA"),
    ]  # fmt: skip
    with search.engine.begin() as connection:
        upsert_resources(connection, extra)
    return search


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # The given name alone, in Han characters or pinyin.
        ("淑珍", ["p-shuzhen"]),
        ("淑", ["p-shuzhen"]),
        ("shuzhen", ["p-shuzhen"]),
        ("shuzh", ["p-shuzhen"]),
        # lu is lü too (吕 is stored as lv); 路 (lu) is found as well.
        ("lumin", ["p-lumin", "p-luming"]),
        ("lvmin", ["p-lumin"]),
        ("lü min", ["p-lumin"]),
        # Family name first, whole or with the given name begun.
        ("Okafor Ahmed", ["p-okafor"]),
        ("okafor ah", ["p-okafor"]),
        ("Ahmed Okafor", ["p-okafor"]),
        # A Chinese name in Western order.
        ("san zhang", ["p-zhangsan", "p-zhangsanfeng"]),
    ],
)
def test_front_desk_spellings(front_desk: PatientSearch, query: str, expected: list[str]) -> None:
    assert _ids(front_desk, query) == expected


def test_the_family_name_ranks_before_the_given_name(front_desk: PatientSearch) -> None:
    # 王 as a family name (王淑珍) comes before anyone whose given name starts with 王.
    with front_desk.engine.begin() as connection:
        upsert_resources(
            connection,
            [patient("p-liwang", "李", "王", gender="male", birth="1970-01-01",
                     id_number=make("430124", date(1970, 1, 1), 7), phone="13700000005")],
        )  # fmt: skip
    assert _ids(front_desk, "王") == ["p-shuzhen", "p-liwang"]


@pytest.mark.parametrize("query", ["淑珍", "shuzhen", "lumin", "okafor ahmed"])
def test_front_desk_lookups_use_indexes(front_desk: PatientSearch, query: str) -> None:
    for step in front_desk.explain(query):
        assert "USING INDEX" in step or "USING COVERING INDEX" in step, step
        assert "TEMP B-TREE" not in step, step
