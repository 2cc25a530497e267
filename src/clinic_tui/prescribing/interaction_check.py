"""Drug-drug interactions: each basket line against active medications and the other lines.

The table (interactions.toml) names its sides by class tag, drug (INN) or ATC prefix. It
is indexed once by those tokens, so a pair of drugs costs two set intersections however
long the table grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from clinic_tui.prescribing.facts import ActiveMedication, PrescribingContext
from clinic_tui.prescribing.model import DraftOrder, FormularyDrug, SafetyWarning, Severity
from clinic_tui.prescribing.rule_tables import citation, latin_words, load_table, short_source

TABLE = "interactions.toml"


@dataclass(frozen=True)
class Interaction:
    """One row of the table."""

    index: int
    a: tuple[str, ...]
    b: tuple[str, ...]
    severity: Severity
    source: str | list[str]
    effect_en: str
    effect_zh: str
    advice_en: str
    advice_zh: str
    except_a: frozenset[str] = frozenset()
    """Tokens that take a drug off side a although another member matched it."""
    except_b: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Party:
    """One side of a possible interaction: a drug with its tokens and the names to show."""

    key: str
    """Formulary code, or the record's text for an unresolved medication."""
    name_en: str
    name_zh: str
    tokens: frozenset[str]


@cache
def interactions() -> tuple[Interaction, ...]:
    """The table's rows, in file order."""
    table = load_table(TABLE)
    return tuple(
        Interaction(
            index=number,
            a=tuple(row["a"]),
            b=tuple(row["b"]),
            severity=Severity(row["severity"]),
            source=row["source"],
            effect_en=row["effect_en"],
            effect_zh=row["effect_zh"],
            advice_en=row["advice_en"],
            advice_zh=row["advice_zh"],
            except_a=frozenset(row.get("except_a", ())),
            except_b=frozenset(row.get("except_b", ())),
        )
        for number, row in enumerate(table["pair"])
    )


@cache
def _index() -> tuple[dict[str, frozenset[int]], dict[str, frozenset[int]]]:
    side_a: dict[str, set[int]] = {}
    side_b: dict[str, set[int]] = {}
    for row in interactions():
        for token in row.a:
            side_a.setdefault(token, set()).add(row.index)
        for token in row.b:
            side_b.setdefault(token, set()).add(row.index)
    return (
        {token: frozenset(rows) for token, rows in side_a.items()},
        {token: frozenset(rows) for token, rows in side_b.items()},
    )


@lru_cache(maxsize=4096)  # bounded: a long session reads many patients
def class_tags(classes: tuple[str, ...], atc: str) -> frozenset[str]:
    """The drug's class tags plus those its ATC code implies, less [class_except]'s."""
    table = load_table(TABLE)
    tags = set(classes)
    for tag, prefixes in table["class_atc"].items():
        if any(atc.startswith(prefix) for prefix in prefixes):
            tags.add(tag)
    for tag, excepted in table["class_except"].items():
        if tags & set(excepted):
            tags.discard(tag)
    return frozenset(tags)


@lru_cache(maxsize=4096)  # bounded: a long session reads many patients
def _drug_tokens(code: str, name_en: str, atc: str, classes: tuple[str, ...]) -> frozenset[str]:
    tokens = {f"drug:{code.lower()}"}
    tokens.update(f"drug:{word}" for word in latin_words(name_en) | latin_words(code))
    tokens.update(f"class:{tag}" for tag in class_tags(classes, atc))
    tokens.update(f"atc:{atc[:length]}" for length in range(1, len(atc) + 1))
    return frozenset(tokens)


def drug_party(drug: FormularyDrug) -> Party:
    """A formulary drug as one side of an interaction."""
    return Party(
        key=drug.code,
        name_en=drug.name_en,
        name_zh=drug.name_zh,
        tokens=_drug_tokens(drug.code, drug.name_en, drug.atc, drug.classes),
    )


@lru_cache(maxsize=4096)  # bounded: a long session reads many patients
def _text_tokens(text: str) -> frozenset[str]:
    tokens = {f"drug:{word}" for word in latin_words(text)}
    for code, names in load_table(TABLE)["names_zh"].items():
        if any(name in text for name in names):
            tokens.add(f"drug:{code}")
    return frozenset(tokens)


def medication_party(medication: ActiveMedication) -> Party:
    """An active medication: its formulary drug, or its recorded text when unresolved."""
    if medication.drug is not None:
        return drug_party(medication.drug)
    return Party(
        key=medication.text,
        name_en=medication.text,
        name_zh=medication.text,
        tokens=_text_tokens(medication.text),
    )


def _sides(party: Party) -> tuple[frozenset[int], frozenset[int]]:
    return _sides_of(party.tokens)


@lru_cache(maxsize=4096)  # bounded: a long session reads many patients
def _sides_of(tokens: frozenset[str]) -> tuple[frozenset[int], frozenset[int]]:
    side_a, side_b = _index()
    on_a: set[int] = set()
    on_b: set[int] = set()
    for token in tokens:
        on_a |= side_a.get(token, frozenset())
        on_b |= side_b.get(token, frozenset())
    return frozenset(on_a), frozenset(on_b)


def between(first: Party, second: Party) -> list[Interaction]:
    """Rows of the table that `first` and `second` make, either way round."""
    first_a, first_b = _sides(first)
    second_a, second_b = _sides(second)
    table = interactions()
    rows = {
        number
        for number in first_a & second_b
        if not (table[number].except_a & first.tokens or table[number].except_b & second.tokens)
    } | {
        number
        for number in first_b & second_a
        if not (table[number].except_a & second.tokens or table[number].except_b & first.tokens)
    }
    return [table[number] for number in sorted(rows)]


def _warning(
    line: int, ordered: Party, other: Party, row: Interaction, taken_now: bool
) -> SafetyWarning:
    table: dict[str, Any] = load_table(TABLE)
    where_en = "taken now" if taken_now else "in this prescription"
    where_zh = "正在服用" if taken_now else "本处方"
    pair = "+".join(sorted((ordered.key, other.key)))
    return SafetyWarning(
        check="interaction",
        severity=row.severity,
        line=line,
        message_en=(
            f"{ordered.name_en} with {other.name_en} ({where_en}): {row.effect_en}. "
            f"{row.advice_en} ({short_source(table, row.source, zh=False)})"
        ),
        message_zh=(
            f"{ordered.name_zh}与{other.name_zh}（{where_zh}）合用：{row.effect_zh}。"
            f"{row.advice_zh}（{short_source(table, row.source, zh=True)}）"
        ),
        source=citation(table, row.source),
        other=other.name_en,
        other_zh=other.name_zh,
        key=f"interaction:{pair}:{row.index}",
    )


def check_basket_interactions(
    lines: list[DraftOrder], context: PrescribingContext
) -> list[SafetyWarning]:
    """Interactions of every line with active medications and with the lines before it."""
    found: list[SafetyWarning] = []
    parties = [drug_party(order.drug) for order in lines]
    current = [(medication, medication_party(medication)) for medication in context.medications]
    replaced = {order.replaces for order in lines if order.replaces}
    for index, party in enumerate(parties):
        for medication, other in current:
            if medication.id and medication.id in replaced:
                continue  # the basket renews or changes it: the new line stands for it
            if other.key == party.key:
                continue  # the same drug: the duplicate check speaks of it
            for row in between(party, other):
                found.append(_warning(index, party, other, row, taken_now=True))
        for earlier in range(index):
            other = parties[earlier]
            if other.key == party.key:
                continue
            for row in between(party, other):
                found.append(_warning(index, party, other, row, taken_now=False))
    return found
