"""HLA prompts: before a first prescription of carbamazepine or allopurinol, ask for the test.

The alleles, the populations and the sources are data (hla.toml). A drug is a first
prescription when the chart holds no MedicationRequest for it (PrescribingContext
.prescribed_before) and the patient does not take it now. A result recorded in the chart
(PrescribingContext.hla_results) answers the question: negative, nothing to ask; positive,
a high warning whenever the drug is ordered.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from clinic_tui.prescribing.facts import HlaResult, PrescribingContext
from clinic_tui.prescribing.model import DraftOrder, SafetyWarning, Severity
from clinic_tui.prescribing.rule_tables import citation, load_table, short_source

TABLE = "hla.toml"
_ALLELE = re.compile(r"hla\W*b\W*(\d{2})\W*(\d{2})")


def allele_key(text: str) -> str:
    """'hlab1502' for HLA-B*15:02, HLA-B*1502 or hla b 15 02; '' when `text` names none."""
    match = _ALLELE.search(text.lower())
    return f"hlab{match.group(1)}{match.group(2)}" if match else ""


@cache
def _rows() -> dict[str, dict[str, Any]]:
    return {row["drug"]: row for row in load_table(TABLE)["drug"]}


def first_prescription(code: str, context: PrescribingContext) -> bool:
    """True when the chart shows no earlier prescription of the drug `code`."""
    taking = {m.drug.code for m in context.medications if m.drug is not None}
    return code not in taking and code not in context.prescribed_before


def recorded(allele: str, context: PrescribingContext) -> HlaResult | None:
    """The newest result the chart records for `allele`, if any."""
    key = allele_key(allele)
    return next((result for result in context.hla_results if result.allele == key), None)


def _carrier(
    index: int, order: DraftOrder, row: dict[str, Any], result: HlaResult
) -> SafetyWarning:
    drug, allele = order.drug, row["allele"]
    table = load_table(TABLE)
    source = row["source"]
    when = f" ({result.recorded_on})" if result.recorded_on else ""
    when_zh = f"（{result.recorded_on}）" if result.recorded_on else ""
    return SafetyWarning(
        check="hla",
        severity=Severity.HIGH,
        line=index,
        message_en=(
            f"The chart records {allele} POSITIVE{when}: {drug.name_en} risks "
            f"{row['reaction_en']}; {row['advice_en']} ({short_source(table, source, zh=False)})"
        ),
        message_zh=(
            f"病历记录{allele}阳性{when_zh}：使用{drug.name_zh}有发生{row['reaction_zh']}的风险；"
            f"{row['advice_zh']}（{short_source(table, source, zh=True)}）"
        ),
        source=citation(table, source),
        other=allele,
        key=f"hla:{drug.code}",
    )


def check_line(index: int, order: DraftOrder, context: PrescribingContext) -> list[SafetyWarning]:
    """The gene-test prompt for one basket line: a recorded carrier always, else a first
    prescription with no recorded negative result."""
    drug = order.drug
    row = _rows().get(drug.code)
    if row is None:
        return []
    result = recorded(row["allele"], context)
    if result is not None and result.positive:
        return [_carrier(index, order, row, result)]
    if result is not None or not first_prescription(drug.code, context):
        return []
    table = load_table(TABLE)
    source = row["source"]
    allele = row["allele"]
    return [
        SafetyWarning(
            check="hla",
            severity=Severity(row["severity"]),
            line=index,
            message_en=(
                f"First prescription of {drug.name_en}: has the {allele} test been done, and "
                f"what was the result? Carriers risk {row['reaction_en']}: {row['advice_en']}; "
                f"the source names {row['population']} "
                f"({short_source(table, source, zh=False)})"
            ),
            message_zh=(
                f"首次开具{drug.name_zh}：是否已做{allele}基因检测，结果如何？携带者有发生"
                f"{row['reaction_zh']}的风险：{row['advice_zh']}"
                f"（{short_source(table, source, zh=True)}）"
            ),
            source=citation(table, source),
            other=allele,
            key=f"hla:{drug.code}",
        )
    ]
