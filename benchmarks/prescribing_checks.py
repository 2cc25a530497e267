"""Safety-check time per basket line: check_basket beside two baselines measured in the same run.

A 62-year-old on ten medicines (warfarin, enalapril, amlodipine, simvastatin, clopidogrel,
omeprazole, spironolactone, metformin, aspirin, sertraline) with two allergies and three
diagnoses; a five-line basket typed against the starter formulary (amoxicillin, ibuprofen,
paracetamol, atorvastatin, metformin). Times, per basket line:
  - check_basket: every check (allergy, interactions, duplicates, dose, pregnancy, renal,
    elderly, China's rules), after a first call that reads the rule tables;
  - baseline 1, parsing: parse_order_line of the same five lines (what typing them costs);
  - baseline 2, naive interactions: the interaction table scanned row by row for every pair,
    members matched by string each time (what the token index replaces).
  - the same with every per-drug cache emptied before each run (a new patient's first check);
Prints p50 / p95 / max in milliseconds over --runs runs. Target: at most 5 ms per line.

    .venv/bin/python benchmarks/prescribing_checks.py [--runs 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import summary, timed

from clinic_tui.prescribing import allergy_check, interaction_check
from clinic_tui.prescribing.checks import (
    ActiveMedication,
    AllergyFact,
    AllergyState,
    PrescribingContext,
    check_basket,
)
from clinic_tui.prescribing.formulary import starter_formulary
from clinic_tui.prescribing.interaction_check import interactions
from clinic_tui.prescribing.model import Basket, DraftOrder, FormularyDrug
from clinic_tui.prescribing.order_line import parse_order_line
from clinic_tui.prescribing.rule_tables import latin_words, load_table

TODAY = date(2026, 12, 1)
LINES = (
    "amox 500mg po tid 7d",
    "ibuprofen 400mg tid 3d",
    "对乙酰氨基酚 0.5g 口服 每日三次 3天",
    "atorvastatin 20mg qn 7d",
    "二甲双胍 500mg bid 7天",
)
MEDICATIONS = (
    ("warfarin", "华法林", "B01AA03", ("anticoagulant-vka",)),
    ("enalapril", "依那普利", "C09AA02", ("ace-inhibitor",)),
    ("amlodipine", "氨氯地平", "C08CA01", ("ccb",)),
    ("simvastatin", "辛伐他汀", "C10AA01", ("statin",)),
    ("clopidogrel", "氯吡格雷", "B01AC04", ("antiplatelet",)),
    ("omeprazole", "奥美拉唑", "A02BC01", ("ppi",)),
    ("spironolactone", "螺内酯", "C03DA01", ("k-sparing",)),
    ("metformin", "二甲双胍", "A10BA02", ("biguanide",)),
    ("aspirin", "阿司匹林", "B01AC06", ("antiplatelet", "salicylate")),
    ("sertraline", "舍曲林", "N06AB06", ("ssri",)),
)


def basket_lines() -> list[DraftOrder]:
    """The five lines, parsed against the starter formulary."""
    formulary = starter_formulary()
    lines = []
    for text in LINES:
        parsed = parse_order_line(text, formulary)
        if parsed.order is None:
            raise SystemExit(f"could not parse {text!r}: {parsed.problems}")
        lines.append(parsed.order)
    return lines


def context() -> PrescribingContext:
    """The ten-medicine patient."""
    medications = tuple(
        ActiveMedication(
            text=zh,
            drug=FormularyDrug(
                code=code, name_en=code.capitalize(), name_zh=zh, atc=atc, classes=tags
            ),
            id=f"mr-{code}",
        )
        for code, zh, atc, tags in MEDICATIONS
    )
    allergies = (
        AllergyFact(substance="磺胺类药物", codes=(("http://snomed.info/sct", "387406002"),)),
        AllergyFact(substance="海鲜", codes=(("http://snomed.info/sct", "44027008"),)),
    )
    return PrescribingContext.for_birth_date(
        date(1964, 5, 1),
        TODAY,
        sex="male",
        weight_kg=72.0,
        weight_date=TODAY,
        allergy_state=AllergyState.RECORDED,
        allergies=allergies,
        medications=medications,
        diagnoses=("I10", "E11.9", "I48.9"),
        egfr=55.0,
    )


def naive_interactions(lines: list[DraftOrder], patient: PrescribingContext) -> int:
    """Baseline: scan every row for every pair, matching members by string each time."""
    class_atc = load_table("interactions.toml")["class_atc"]

    def matches(member: str, drug: FormularyDrug) -> bool:
        kind, value = member.split(":", 1)
        if kind == "class":
            prefixes = class_atc.get(value, [])
            return value in drug.classes or any(drug.atc.startswith(p) for p in prefixes)
        if kind == "drug":
            return value == drug.code or value in latin_words(drug.name_en)
        return drug.atc.startswith(value)

    found = 0
    current = [m.drug for m in patient.medications if m.drug is not None]
    for index, order in enumerate(lines):
        others = current + [line.drug for line in lines[:index]]
        for other in others:
            for row in interactions():
                a_first = any(matches(m, order.drug) for m in row.a) and any(
                    matches(m, other) for m in row.b
                )
                b_first = any(matches(m, order.drug) for m in row.b) and any(
                    matches(m, other) for m in row.a
                )
                found += a_first or b_first
    return found


def cold_check(basket: Basket, patient: PrescribingContext) -> object:
    """check_basket with every per-drug cache emptied first (the rule tables stay read)."""
    for cached in (
        interaction_check.class_tags,
        interaction_check._drug_tokens,
        interaction_check._text_tokens,
        interaction_check._sides_of,
        allergy_check.drug_allergy_tags,
        allergy_check.allergy_tags,
    ):
        cached.cache_clear()
    return check_basket(basket, patient, TODAY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    lines = basket_lines()
    patient = context()
    basket = Basket(lines=lines)
    per_line = len(lines)

    started = time.perf_counter()
    first = check_basket(basket, patient, TODAY)
    cold = (time.perf_counter() - started) * 1000
    formulary = starter_formulary()

    checks = [t / per_line for t in timed(lambda: check_basket(basket, patient, TODAY), args.runs)]
    cold_runs = [t / per_line for t in timed(lambda: cold_check(basket, patient), args.runs)]
    parsing = [
        t / per_line
        for t in timed(lambda: [parse_order_line(text, formulary) for text in LINES], args.runs)
    ]
    naive = [t / per_line for t in timed(lambda: naive_interactions(lines, patient), args.runs)]

    high = sum(1 for w in first if w.severity.value == "high")
    print(f"basket: {per_line} lines; medication list: {len(patient.medications)} drugs; ")
    print(f"interaction rows: {len(interactions())}; warnings: {len(first)} ({high} high)")
    print(f"first call (reads the rule tables): {cold:.1f} ms for the basket")
    print(f"ms per basket line over {args.runs} runs      p50      p95      max")
    print(f"check_basket (all checks)            {summary(checks, decimals=3)}")
    print(f"check_basket, per-drug caches empty  {summary(cold_runs, decimals=3)}")
    print(f"baseline: parse_order_line           {summary(parsing, decimals=3)}")
    print(f"baseline: naive interaction scan     {summary(naive, decimals=3)}")
    worst = max(sorted(times)[int(0.95 * len(times))] for times in (checks, cold_runs))
    verdict = "within" if worst <= 5 else "OVER"
    print(f"target <= 5 ms per line at p95: {verdict}")


if __name__ == "__main__":
    main()
