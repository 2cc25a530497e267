"""The organizations, practitioners and patients of the demo township."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from typing import Any

from clinic_tui.demo import vocab
from clinic_tui.demo.context import ORGANIZATION_KIND, DemoContext, DemoRandom, new_id, reference
from clinic_tui.domain import national_id
from clinic_tui.domain.fhir import Resource

_SURNAMES = tuple(name for name, _ in vocab.SURNAMES)
_SURNAME_CUM = tuple(accumulate(weight for _, weight in vocab.SURNAMES))
# Age bands (from, to inclusive) and weights: a rural clinic sees mostly the elderly and children.
_AGE_BANDS = ((0, 5), (6, 14), (15, 29), (30, 44), (45, 59), (60, 74), (75, 95))
_AGE_CUM = tuple(accumulate((8, 8, 9, 13, 22, 26, 14)))
_NATIONAL_ID_TYPE = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
            "code": "NI",
            "display": "National unique individual identifier",
        }
    ],
    "text": "居民身份证",
}
_PASSPORT_TYPE = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
            "code": "PPN",
            "display": "Passport number",
        }
    ],
    "text": "护照",
}
ENGLISH_SHARE = 0.10
"""Share of patients with English names: foreign workers and visitors, identified by passport."""


def _organization(
    rng: DemoRandom, kind: str, name: str, alias: str, kind_zh: str, part_of: Resource | None
) -> Resource:
    resource: Resource = {
        "resourceType": "Organization",
        "id": new_id(rng),
        "active": True,
        "type": [{"coding": [{"system": ORGANIZATION_KIND, "code": kind}], "text": kind_zh}],
        "name": name,
        "alias": [alias],
        "telecom": [{"system": "phone", "value": f"0731-{rng.randrange(10**7, 10**8)}"}],
        "address": [{"city": vocab.CITY, "state": vocab.PROVINCE, "country": "CN"}],
    }
    if part_of is not None:
        resource["partOf"] = reference(part_of, part_of["name"])
    return resource


def build_organizations(rng: DemoRandom) -> tuple[Resource, Resource, Resource]:
    """(township health centre, county hospital, city hospital); the township is in the county's
    medical alliance (医共体), hence partOf."""
    city = _organization(
        rng,
        "city",
        f"{vocab.CITY}第一人民医院",
        "Jiangzhou First People's Hospital",
        "市级医院",
        None,
    )
    county = _organization(
        rng, "county", f"{vocab.COUNTY}人民医院", "Qinghe County People's Hospital", "县医院", None
    )
    township = _organization(
        rng,
        "township",
        f"{vocab.TOWN}卫生院",
        "Qingshan Township Health Centre",
        "乡镇卫生院",
        county,
    )
    return township, county, city


_STAFF = (
    ("刘", "建华", "male", "全科医师 (副主任医师)"),
    ("陈", "丽", "female", "全科医师"),
    ("王", "志强", "male", "中医师"),
    ("杨", "帆", "female", "执业助理医师"),
    ("赵", "敏", "female", "护士"),
    ("周", "德明", "male", "乡村医生"),
)
_HOSPITAL_STAFF = (
    ("李", "卫东", "male", "心内科 主任医师"),
    ("黄", "晓燕", "female", "内分泌科 副主任医师"),
    ("孙", "浩", "male", "呼吸内科 主治医师"),
)


def build_practitioners(rng: DemoRandom) -> tuple[list[Resource], list[Resource]]:
    """(township practitioners, hospital specialists)."""

    def practitioner(family: str, given: str, gender: str, role: str) -> Resource:
        return {
            "resourceType": "Practitioner",
            "id": new_id(rng),
            "active": True,
            "name": [
                {"use": "official", "text": family + given, "family": family, "given": [given]}
            ],
            "gender": gender,
            "qualification": [{"code": {"text": role}}],
        }

    return [practitioner(*row) for row in _STAFF], [practitioner(*row) for row in _HOSPITAL_STAFF]


@dataclass(frozen=True)
class PatientFacts:
    """What the record builders need to know about a patient."""

    ref: dict[str, str]
    age: int
    female: bool
    birth: date


def _age(rng: DemoRandom) -> int:
    low, high = _AGE_BANDS[rng.choices(range(len(_AGE_BANDS)), cum_weights=_AGE_CUM)[0]]
    return rng.randint(low, high)


def _chinese_given(rng: DemoRandom, age: int, female: bool) -> str:
    if age >= 60:
        pool = vocab.ELDER_FEMALE if female else vocab.ELDER_MALE
    elif age < 18:
        pool = vocab.CHILD_FEMALE if female else vocab.CHILD_MALE
    else:
        pool = vocab.ADULT_FEMALE if female else vocab.ADULT_MALE
        if rng.random() < 0.35:
            # Two single characters make the pool far larger than the list.
            return rng.choice(pool)[0] + rng.choice(pool)[-1]
    return rng.choice(pool)


def _address(rng: DemoRandom) -> dict[str, Any]:
    line = (
        f"{rng.choice(vocab.VILLAGES)}{rng.choice(vocab.GROUPS)}组{rng.randint(1, 120)}号"
        if rng.random() < 0.92
        else f"{vocab.TOWN}人民路{rng.randint(1, 300)}号"
    )
    return {
        "use": "home",
        "type": "physical",
        "text": f"{vocab.PROVINCE}{vocab.CITY}{vocab.COUNTY}{vocab.TOWN}{line}",
        "line": [line],
        "district": vocab.COUNTY,
        "city": vocab.CITY,
        "state": vocab.PROVINCE,
        "postalCode": vocab.POSTAL_CODE,
        "country": "CN",
    }


def build_patient(rng: DemoRandom, context: DemoContext) -> tuple[Resource, PatientFacts]:
    """One patient of the township, with what the record builders need to know about them."""
    female = rng.random() < 0.51
    english = rng.random() < ENGLISH_SHARE
    age = rng.randint(20, 62) if english else _age(rng)
    today = context.today
    birth = date.fromordinal(today.toordinal() - age * 365 - age // 4 - rng.randrange(365))
    if english:
        family, country = rng.choice(vocab.ENGLISH_FAMILY)
        given = rng.choice(vocab.ENGLISH_GIVEN_FEMALE if female else vocab.ENGLISH_GIVEN_MALE)
        display = f"{given} {family}"
        letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
        identifier = {
            "use": "official",
            "type": _PASSPORT_TYPE,
            "system": f"http://hl7.org/fhir/sid/passport-{country}",
            "value": f"{letters}{rng.randrange(10**6, 10**7)}",
        }
    else:
        family = _SURNAMES[rng.choices(range(len(_SURNAMES)), cum_weights=_SURNAME_CUM)[0]]
        given = _chinese_given(rng, age, female)
        display = family + given
        region = vocab.HOME_REGION if rng.random() < 0.85 else rng.choice(vocab.OTHER_REGIONS)
        # GB 11643: the sequence's last digit is odd for men, even for women.
        sequence = rng.randrange(500) * 2 + (0 if female else 1)
        identifier = {
            "use": "official",
            "type": _NATIONAL_ID_TYPE,
            "system": national_id.IDENTIFIER_SYSTEM,
            "value": national_id.make(region, birth, sequence),
        }
    resource: Resource = {
        "resourceType": "Patient",
        "id": new_id(rng),
        "meta": context.meta,
        "identifier": [identifier],
        "active": True,
        "name": [{"use": "official", "text": display, "family": family, "given": [given]}],
        "telecom": [
            {
                "system": "phone",
                "value": f"{rng.choice(vocab.MOBILE_PREFIXES)}{rng.randrange(10**8):08d}",
                "use": "mobile",
            }
        ],
        "gender": "female" if female else "male",
        "birthDate": birth.isoformat(),
        "address": [_address(rng)],
        "managingOrganization": context.township,
    }
    facts = PatientFacts(ref=reference(resource, display), age=age, female=female, birth=birth)
    return resource, facts
