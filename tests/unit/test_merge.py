"""Three-way merge of FHIR resources: disjoint changes merge, the same field becomes a conflict."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from clinic_tui.domain.merge import (
    FieldConflict,
    merge_keeping_mine,
    same,
    three_way_merge,
)

Resource = dict[str, Any]


def _patient() -> Resource:
    return {
        "resourceType": "Patient",
        "id": "p-1",
        "meta": {"versionId": "3", "lastUpdated": "2026-11-20T08:00:00+00:00"},
        "identifier": [
            {"system": "urn:oid:2.16.156.10011.1.1", "value": "110101199003077777"},
            {"system": "urn:clinic:mrn", "value": "MRN-1"},
        ],
        "name": [{"text": "王小明", "family": "王", "given": ["小明"]}],
        "telecom": [
            {"system": "phone", "use": "mobile", "value": "13800000000"},
            {"system": "phone", "use": "home", "value": "010-1234567"},
        ],
        "gender": "male",
        "birthDate": "1990-03-07",
        "address": {"city": "保定", "district": "涞源", "line": ["一号"]},
        "extension": [
            {"url": "urn:ext:ethnicity", "valueString": "汉"},
            {"url": "urn:ext:insurance", "valueString": "新农合"},
        ],
    }


def _remote_meta(resource: Resource, version: str = "4") -> Resource:
    resource["meta"] = {"versionId": version, "lastUpdated": "2026-11-21T09:00:00+00:00"}
    return resource


def test_disjoint_top_level_changes_merge() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["birthDate"] = "1990-03-08"
    remote = _remote_meta(copy.deepcopy(base))
    remote["gender"] = "female"
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == []
    assert outcome.clean
    assert outcome.merged["birthDate"] == "1990-03-08"
    assert outcome.merged["gender"] == "female"
    assert outcome.merged["meta"]["versionId"] == "4"


def test_same_field_changed_both_sides_is_a_conflict_keeping_remote() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["birthDate"] = "1990-03-08"
    remote = _remote_meta(copy.deepcopy(base))
    remote["birthDate"] = "1991-01-01"
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == [
        FieldConflict("birthDate", "1990-03-07", "1990-03-08", "1991-01-01")
    ]
    assert outcome.merged["birthDate"] == "1991-01-01"
    assert merge_keeping_mine(base, local, remote)["birthDate"] == "1990-03-08"


def test_same_change_on_both_sides_is_no_conflict() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["gender"] = "female"
    remote = _remote_meta(copy.deepcopy(local))
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == []
    assert outcome.merged == remote


def test_nested_object_fields_merge_and_conflict_at_their_path() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["address"]["city"] = "石家庄"
    remote = _remote_meta(copy.deepcopy(base))
    remote["address"]["district"] = "易县"
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == []
    assert outcome.merged["address"] == {"city": "石家庄", "district": "易县", "line": ["一号"]}

    remote["address"]["city"] = "保定市"
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == [FieldConflict("address.city", "保定", "石家庄", "保定市")]
    assert outcome.merged["address"] == {"city": "保定市", "district": "易县", "line": ["一号"]}


def test_field_removed_locally_and_another_added_remotely_merge() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    del local["address"]["line"]
    remote = _remote_meta(copy.deepcopy(base))
    remote["address"]["postalCode"] = "074300"
    merged = three_way_merge(base, local, remote).merged
    assert merged["address"] == {"city": "保定", "district": "涞源", "postalCode": "074300"}


def test_name_edited_locally_and_telecom_remotely_merge() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["name"][0]["given"] = ["晓明"]
    remote = _remote_meta(copy.deepcopy(base))
    remote["telecom"][0]["value"] = "13911112222"
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == []
    assert outcome.merged["name"][0]["given"] == ["晓明"]
    assert outcome.merged["telecom"][0]["value"] == "13911112222"


def test_plain_lists_are_compared_whole() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["name"][0]["given"] = ["晓明"]
    remote = _remote_meta(copy.deepcopy(base))
    remote["name"][0]["family"] = "汪"
    outcome = three_way_merge(base, local, remote)
    assert [c.path for c in outcome.conflicts] == ["name"]
    assert outcome.merged["name"] == remote["name"]


def test_telecom_items_keyed_by_system_and_use_merge_item_wise() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["telecom"][0]["value"] = "13811111111"  # mobile changed here
    local["telecom"].append({"system": "email", "value": "wang@example.cn"})
    remote = _remote_meta(copy.deepcopy(base))
    remote["telecom"][1]["value"] = "010-7654321"  # home changed there
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == []
    assert outcome.merged["telecom"] == [
        {"system": "phone", "use": "mobile", "value": "13811111111"},
        {"system": "phone", "use": "home", "value": "010-7654321"},
        {"system": "email", "value": "wang@example.cn"},
    ]


def test_same_telecom_item_changed_both_sides_conflicts_at_the_item() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["telecom"][0]["value"] = "13811111111"
    remote = _remote_meta(copy.deepcopy(base))
    remote["telecom"][0]["value"] = "13922222222"
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == [
        FieldConflict(
            "telecom[system=phone,use=mobile].value", "13800000000", "13811111111", "13922222222"
        )
    ]
    assert outcome.merged["telecom"][0]["value"] == "13922222222"


def test_telecom_without_distinct_keys_is_compared_whole() -> None:
    base = _patient()
    base["telecom"] = [{"system": "phone", "value": "1"}, {"system": "phone", "value": "2"}]
    local = copy.deepcopy(base)
    local["telecom"][0]["value"] = "3"
    remote = _remote_meta(copy.deepcopy(base))
    remote["telecom"][1]["value"] = "4"
    outcome = three_way_merge(base, local, remote)
    assert [c.path for c in outcome.conflicts] == ["telecom"]
    assert outcome.merged["telecom"] == remote["telecom"]


def test_identifier_keyed_by_system() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["identifier"][1]["value"] = "MRN-2"
    remote = _remote_meta(copy.deepcopy(base))
    remote["identifier"].append({"system": "urn:clinic:insurance", "value": "INS-9"})
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == []
    assert [i["value"] for i in outcome.merged["identifier"]] == [
        "110101199003077777",
        "MRN-2",
        "INS-9",
    ]


def test_identifier_removed_locally_and_changed_remotely_is_a_conflict() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    del local["identifier"][1]
    remote = _remote_meta(copy.deepcopy(base))
    remote["identifier"][1]["value"] = "MRN-3"
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == [
        FieldConflict(
            "identifier[system=urn:clinic:mrn]",
            {"system": "urn:clinic:mrn", "value": "MRN-1"},
            None,
            {"system": "urn:clinic:mrn", "value": "MRN-3"},
        )
    ]
    assert len(outcome.merged["identifier"]) == 2
    assert len(merge_keeping_mine(base, local, remote)["identifier"]) == 1


def test_identifier_removed_on_one_side_untouched_on_the_other_is_removed() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    remote = _remote_meta(copy.deepcopy(base))
    del remote["identifier"][1]
    local["gender"] = "other"
    merged = three_way_merge(base, local, remote).merged
    assert [i["system"] for i in merged["identifier"]] == ["urn:oid:2.16.156.10011.1.1"]
    assert merged["gender"] == "other"


def test_extensions_keyed_by_url() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["extension"][0]["valueString"] = "回"
    remote = _remote_meta(copy.deepcopy(base))
    remote["extension"][1]["valueString"] = "城镇职工"
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == []
    assert outcome.merged["extension"] == [
        {"url": "urn:ext:ethnicity", "valueString": "回"},
        {"url": "urn:ext:insurance", "valueString": "城镇职工"},
    ]
    remote["extension"][0]["valueString"] = "满"
    outcome = three_way_merge(base, local, remote)
    assert [c.path for c in outcome.conflicts] == ["extension[url=urn:ext:ethnicity].valueString"]


def test_elements_the_app_does_not_model_are_kept_from_remote() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["gender"] = "female"
    remote = _remote_meta(copy.deepcopy(base))
    remote["maritalStatus"] = {"coding": [{"code": "M"}]}
    remote["communication"] = [{"language": {"text": "zh"}}]
    merged = three_way_merge(base, local, remote).merged
    assert merged["maritalStatus"] == {"coding": [{"code": "M"}]}
    assert merged["communication"] == [{"language": {"text": "zh"}}]
    assert merged["gender"] == "female"


def test_unknown_element_changed_locally_is_kept() -> None:
    base = _patient()
    base["deceasedBoolean"] = False
    local = copy.deepcopy(base)
    local["deceasedBoolean"] = True
    remote = _remote_meta(copy.deepcopy(base))
    assert three_way_merge(base, local, remote).merged["deceasedBoolean"] is True


def test_meta_always_comes_from_remote() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["meta"] = {"versionId": "3", "tag": [{"code": "local"}]}
    remote = _remote_meta(copy.deepcopy(base), "9")
    outcome = three_way_merge(base, local, remote)
    assert outcome.merged["meta"] == remote["meta"]
    assert outcome.conflicts == []


def test_generated_narratives_take_remote_without_conflict() -> None:
    base = _patient()
    base["text"] = {"status": "generated", "div": "<div>a</div>"}
    local = copy.deepcopy(base)
    local["text"] = {"status": "generated", "div": "<div>b</div>"}
    remote = _remote_meta(copy.deepcopy(base))
    remote["text"] = {"status": "generated", "div": "<div>c</div>"}
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == []
    assert outcome.merged["text"]["div"] == "<div>c</div>"


@pytest.mark.parametrize("field", ["id", "resourceType"])
def test_identity_mismatch_raises(field: str) -> None:
    base = _patient()
    remote = copy.deepcopy(base)
    remote[field] = "other"
    with pytest.raises(ValueError, match=field):
        three_way_merge(base, copy.deepcopy(base), remote)
    with pytest.raises(ValueError, match=field):
        three_way_merge(None, copy.deepcopy(base), remote)


def test_without_base_every_differing_top_level_element_conflicts() -> None:
    local = _patient()
    local["meta"] = {}
    remote = _remote_meta(_patient())
    remote["address"]["city"] = "保定市"
    remote["gender"] = "female"
    outcome = three_way_merge(None, local, remote)
    assert [c.path for c in outcome.conflicts] == ["gender", "address"]
    assert all(c.base is None for c in outcome.conflicts)
    assert outcome.merged == remote
    mine = merge_keeping_mine(None, local, remote)
    assert mine["address"] == local["address"]
    assert mine["gender"] == "male"
    assert mine["meta"] == remote["meta"]


def test_without_base_identical_content_is_clean() -> None:
    local = _patient()
    remote = _remote_meta(_patient())
    assert three_way_merge(None, local, remote).clean


def test_strict_equality() -> None:
    assert not same(1, 1.0)
    assert not same(1, True)
    assert same({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]})
    assert not same({"a": 1}, {"a": 1, "b": 2})


def test_merge_does_not_modify_its_inputs() -> None:
    base = _patient()
    local = copy.deepcopy(base)
    local["telecom"][0]["value"] = "1"
    remote = _remote_meta(copy.deepcopy(base))
    remote["telecom"][1]["value"] = "2"
    snapshot = copy.deepcopy((base, local, remote))
    three_way_merge(base, local, remote)
    merge_keeping_mine(base, local, remote)
    assert (base, local, remote) == snapshot


# Property-style checks over many random edits (seeded, so a failure is reproducible).

_LEAVES: list[tuple[str, ...]] = [
    ("gender",),
    ("birthDate",),
    ("address", "city"),
    ("address", "district"),
    ("address", "postalCode"),
    ("maritalStatus", "text"),
    ("active",),
]


def _set(resource: Resource, path: tuple[str, ...], value: Any) -> None:
    target = resource
    for name in path[:-1]:
        target = target.setdefault(name, {})
    target[path[-1]] = value


def _get(resource: Resource, path: tuple[str, ...]) -> Any:
    target: Any = resource
    for name in path:
        if not isinstance(target, dict) or name not in target:
            return None
        target = target[name]
    return target


@pytest.mark.parametrize("seed", range(200))
def test_random_disjoint_edits_always_merge_with_both_sides(seed: int) -> None:
    rng = random.Random(seed)
    base = _patient()
    paths = rng.sample(_LEAVES, k=rng.randint(2, len(_LEAVES)))
    split = rng.randint(1, len(paths) - 1)
    local, remote = copy.deepcopy(base), _remote_meta(copy.deepcopy(base))
    for path in paths[:split]:
        _set(local, path, f"L{rng.random()}")
    for path in paths[split:]:
        _set(remote, path, f"R{rng.random()}")
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts == []
    for path in paths[:split]:
        assert _get(outcome.merged, path) == _get(local, path)
    for path in paths[split:]:
        assert _get(outcome.merged, path) == _get(remote, path)
    assert outcome.merged["identifier"] == base["identifier"]


@pytest.mark.parametrize("seed", range(200))
def test_random_overlapping_edits_conflict_exactly_where_they_overlap(seed: int) -> None:
    rng = random.Random(1000 + seed)
    base = _patient()
    local, remote = copy.deepcopy(base), _remote_meta(copy.deepcopy(base))
    mine = set(rng.sample(_LEAVES, k=rng.randint(1, 4)))
    theirs = set(rng.sample(_LEAVES, k=rng.randint(1, 4)))
    for path in mine:
        _set(local, path, f"L-{'.'.join(path)}")
    for path in theirs:
        _set(remote, path, f"R-{'.'.join(path)}")
    outcome = three_way_merge(base, local, remote)
    assert {c.path for c in outcome.conflicts} == {".".join(p) for p in mine & theirs}
    kept_mine = merge_keeping_mine(base, local, remote)
    for path in mine | theirs:
        expected_remote = _get(remote, path) if path in theirs else _get(local, path)
        assert _get(outcome.merged, path) == expected_remote
        expected_mine = _get(local, path) if path in mine else _get(remote, path)
        assert _get(kept_mine, path) == expected_mine


@pytest.mark.parametrize("seed", range(100))
def test_one_side_unchanged_gives_the_other(seed: int) -> None:
    rng = random.Random(5000 + seed)
    base = _patient()
    changed = copy.deepcopy(base)
    for path in rng.sample(_LEAVES, k=rng.randint(1, 3)):
        _set(changed, path, rng.random())
    if rng.random() < 0.5:
        changed["telecom"].reverse()
    remote = _remote_meta(copy.deepcopy(changed))
    assert three_way_merge(base, copy.deepcopy(base), remote).merged == remote
    merged = three_way_merge(base, changed, _remote_meta(copy.deepcopy(base))).merged
    assert {k: v for k, v in merged.items() if k != "meta"} == {
        k: v for k, v in changed.items() if k != "meta"
    }
