"""Allergy check: each ordered drug against each active allergy, by drug and by class.

An allergy is read by its codes (SNOMED CT, ATC), its names (Chinese or English, in its
text and codings' displays) and, when it names a formulary drug, that drug. The classes
and cross-reactivity rules are data (allergy_classes.toml) with a source per rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from clinic_tui.i18n import N_
from clinic_tui.prescribing.facts import AllergyFact, AllergyState, PrescribingContext
from clinic_tui.prescribing.model import DraftOrder, FormularyDrug, SafetyWarning, Severity
from clinic_tui.prescribing.rule_tables import (
    citation,
    drug_names,
    load_table,
    normalise,
    short_source,
)

TABLE = "allergy_classes.toml"

OWN_SOURCE_CITES = (
    N_("The patient's AllergyIntolerance record in the chart"),
    N_(
        "This cache's sync scope: a clinic downloads only its own patients' records "
        "(Patient.managingOrganization; clinic-tui sync/scope.py)"
    ),
)
"""The `cite` of the table's own sources (chart, elsewhere): the order screen shows a finding's
source through tr(), and these are words of the app, not a publication's title."""
SNOMED = "snomed"
ATC = "atc"


@dataclass(frozen=True)
class _Allergen:
    id: str
    en: str
    zh: str
    snomed: frozenset[str]
    atc: tuple[str, ...]
    names: tuple[str, ...]
    tags: frozenset[str]
    unless: tuple[str, ...] = ()
    """Words removed from a record's names before `names` are looked for (sulfate)."""

    def named_in(self, name: str) -> bool:
        """True when one of the allergen's names stands in the (normalised) record name."""
        for word in self.unless:
            name = name.replace(word, " ")
        return any(key in name for key in self.names)


@dataclass(frozen=True)
class _Rule:
    allergen: str
    drug: frozenset[str]
    kind: str
    severity: Severity
    low_criticality: Severity
    source: str | list[str]
    why_en: str
    why_zh: str


@cache
def _allergens() -> tuple[_Allergen, ...]:
    table = load_table(TABLE)
    return tuple(
        _Allergen(
            id=row["id"],
            en=row["en"],
            zh=row["zh"],
            snomed=frozenset(row.get("snomed", [])),
            atc=tuple(row.get("atc", [])),
            names=tuple(normalise(name) for name in row.get("names", [])),
            tags=frozenset(row["tags"]),
            unless=tuple(normalise(word) for word in row.get("unless", [])),
        )
        for row in table["allergen"]
    )


@cache
def _rules() -> tuple[_Rule, ...]:
    table = load_table(TABLE)
    return tuple(
        _Rule(
            allergen=row["allergen"],
            drug=frozenset(row["drug"]),
            kind=row["kind"],
            severity=Severity(row["severity"]),
            low_criticality=Severity(row["low_criticality"]),
            source=row["source"],
            why_en=row["why_en"],
            why_zh=row["why_zh"],
        )
        for row in table["rule"]
    )


@lru_cache(maxsize=4096)  # bounded: a long session reads many patients
def drug_allergy_tags(drug: FormularyDrug) -> frozenset[str]:
    """Class tags of a drug for allergy matching: its own, its ATC's, the R1 side chain."""
    table = load_table(TABLE)
    tags = set(drug.classes)
    for prefix, extra in table["atc_tags"].items():
        if drug.atc.startswith(prefix):
            tags.update(extra)
    r1 = table["r1_amino"]
    if drug.code.lower() in r1["codes"] or drug.atc in r1["atc"]:
        tags.add("r1-amino")
    return frozenset(tags)


def _coded(allergy: AllergyFact, kind: str) -> list[str]:
    return [code for system, code in allergy.codes if kind in system.lower()]


@lru_cache(maxsize=4096)  # bounded: a long session reads many patients
def allergy_tags(allergy: AllergyFact) -> tuple[frozenset[str], tuple[str, ...]]:
    """(class tags, English names of the classes found) that an allergy record stands for."""
    tags: set[str] = set()
    found: list[str] = []
    snomed = set(_coded(allergy, SNOMED))
    atc = _coded(allergy, ATC)
    names = [normalise(name) for name in allergy.names]
    for allergen in _allergens():
        hit = (
            bool(snomed & allergen.snomed)
            or any(code.startswith(prefix) for code in atc for prefix in allergen.atc)
            or any(allergen.named_in(name) for name in names)
        )
        if hit:
            tags |= allergen.tags
            found.append(allergen.id)
    if allergy.drug is not None:
        tags |= drug_allergy_tags(allergy.drug)
    return frozenset(tags), tuple(found)


def names_drug(allergy: AllergyFact, drug: FormularyDrug) -> bool:
    """True when the allergy record is to this very drug (by formulary code, ATC or name).

    A record the formulary resolved is that drug and no other (esomeprazole is not
    omeprazole). Otherwise a generic name must stand in the record as a whole word (Latin) or
    as written (Chinese); a synonym (levo, 安定) only when it is the record's whole text.
    """
    if allergy.drug is not None:
        return allergy.drug.code == drug.code
    if drug.atc and len(drug.atc) == 7 and drug.atc in _coded(allergy, ATC):
        return True
    texts = [name.lower() for name in allergy.names]
    for name in (drug.name_en, drug.code, drug.name_zh):
        key = name.strip().lower()
        if not key:
            continue
        if key.isascii():
            pattern = _whole_word(key)
            if len(key) >= 4 and any(pattern.search(text) for text in texts):
                return True
        elif len(key) >= 2 and any(key in text for text in texts):
            return True
    whole = {normalise(text) for text in texts}
    return any(name in whole for name in drug_names(drug))


@lru_cache(maxsize=4096)  # bounded: a long session reads many patients
def _whole_word(name: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in re.split(r"[\s\-_/]+", name) if word]
    return re.compile(r"(?<![a-z])" + r"[\s\-_/]*".join(words) + r"(?![a-z])")


def _severity(rule_severity: Severity, low: Severity, allergy: AllergyFact) -> Severity:
    # An unknown criticality is treated as a serious one: the record gives no reason not to.
    return low if allergy.criticality == "low" else rule_severity


def _substance(allergy: AllergyFact, zh: bool = True) -> str:
    return allergy.name(zh)


def _message(
    drug: FormularyDrug, allergy: AllergyFact, class_en: str, class_zh: str, why: tuple[str, str]
) -> tuple[str, str]:
    detail_en = allergy.described(zh=False)
    detail_zh = allergy.described(zh=True)
    tail_en = f" ({detail_en})" if detail_en else ""
    tail_zh = f"（{detail_zh}）" if detail_zh else ""
    en = (
        f"{drug.name_en} is {class_en}; the patient is allergic to "
        f"{_substance(allergy, zh=False)}{tail_en}: {why[0]}"
    )
    zh = f"{drug.name_zh}属于{class_zh}；患者对{_substance(allergy)}过敏{tail_zh}：{why[1]}"
    return en, zh


_CLASS_WORDS = {
    "penicillin": ("a penicillin", "青霉素类"),
    "cephalosporin": ("a cephalosporin", "头孢菌素类"),
    "sulfonamide-antibiotic": ("a sulfonamide antibiotic", "磺胺类抗菌药"),
    "nsaid": ("an NSAID", "非甾体抗炎药"),
    "thiazide": ("a thiazide (a non-antibiotic sulfonamide)", "噻嗪类利尿药（非抗菌磺胺）"),
    "loop-diuretic": ("a loop diuretic (a non-antibiotic sulfonamide)", "袢利尿药（非抗菌磺胺）"),
    "sulfonylurea": ("a sulfonylurea (a non-antibiotic sulfonamide)", "磺脲类（非抗菌磺胺）"),
}


def _class_words(rule: _Rule) -> tuple[str, str]:
    if "r1-amino" in rule.drug and "cephalosporin" in rule.drug:
        return (
            "a cephalosporin with the amoxicillin/ampicillin side chain",
            "头孢菌素（侧链同阿莫西林）",
        )
    if "r1-amino" in rule.drug and "penicillin" in rule.drug:
        return "an aminopenicillin", "氨基青霉素"
    for tag in sorted(rule.drug):
        if tag in _CLASS_WORDS:
            return _CLASS_WORDS[tag]
    return "related", "相关药物"


def _allergy_key(allergy: AllergyFact) -> str:
    return allergy.id or normalise(_substance(allergy))


def check_line(index: int, order: DraftOrder, context: PrescribingContext) -> list[SafetyWarning]:
    """Allergy warnings for one basket line: the worst finding per allergy record."""
    drug = order.drug
    table = load_table(TABLE)
    found: list[SafetyWarning] = []
    for allergy in context.allergies:
        key = f"allergy:{drug.code}:{_allergy_key(allergy)}"
        if names_drug(allergy, drug):
            detail_en = allergy.described(zh=False)
            detail_zh = allergy.described(zh=True)
            found.append(
                SafetyWarning(
                    check="allergy",
                    severity=Severity.HIGH,
                    line=index,
                    message_en=(
                        f"The patient is allergic to {_substance(allergy, zh=False)}"
                        + (f" ({detail_en})" if detail_en else "")
                        + f": {drug.name_en} is that drug"
                    ),
                    message_zh=(
                        f"患者对{_substance(allergy)}过敏"
                        + (f"（{detail_zh}）" if detail_zh else "")
                        + f"：{drug.name_zh}即为该药"
                    ),
                    source=citation(table, "chart"),
                    other=_substance(allergy, zh=False),
                    other_zh=_substance(allergy),
                    key=key,
                )
            )
            continue
        tags, _ = allergy_tags(allergy)
        drug_tags = drug_allergy_tags(drug)
        for rule in _rules():
            if rule.allergen in tags and rule.drug <= drug_tags:
                class_en, class_zh = _class_words(rule)
                en, zh = _message(drug, allergy, class_en, class_zh, (rule.why_en, rule.why_zh))
                found.append(
                    SafetyWarning(
                        check="allergy",
                        severity=_severity(rule.severity, rule.low_criticality, allergy),
                        line=index,
                        message_en=f"{en} ({short_source(table, rule.source, zh=False)})",
                        message_zh=f"{zh}（{short_source(table, rule.source, zh=True)}）",
                        source=citation(table, rule.source),
                        other=_substance(allergy, zh=False),
                        other_zh=_substance(allergy),
                        key=key,
                    )
                )
                break
    return found


def not_recorded(context: PrescribingContext) -> list[SafetyWarning]:
    """One reminder when the chart says nothing about allergies."""
    if context.allergy_state is not AllergyState.NOT_RECORDED:
        return []
    return [
        SafetyWarning(
            check="allergy",
            severity=Severity.MODERATE,
            line=0,
            message_en="Allergies are not recorded: ask the patient before prescribing",
            message_zh="未记录过敏史：开药前请询问患者",
            source=citation(load_table(TABLE), "chart"),
            key="allergy:not-recorded",
        )
    ]


def records_elsewhere(context: PrescribingContext) -> list[SafetyWarning]:
    """One warning when the patient's records are kept at another clinic (a referred patient):
    its allergies and medicines are not in this cache, so no check here could find a clash."""
    clinic = context.records_kept_at
    if clinic is None:
        return []
    return [
        SafetyWarning(
            check="allergy",
            severity=Severity.MODERATE,
            line=0,
            message_en=(
                f"Allergies and medications are kept at {clinic} and cannot be checked here: "
                "read the referral summary and ask the patient"
            ),
            message_zh=f"过敏史和用药记录保存在{clinic}，本机无法核对：请阅读转诊摘要并询问患者",
            source=citation(load_table(TABLE), "elsewhere"),
            key="allergy:records-elsewhere",
        )
    ]
