"""HLA prompts: before a first prescription of carbamazepine or allopurinol, ask for the test.

The alleles, the populations and the sources are data (hla.toml). A drug is a first
prescription when the chart holds no MedicationRequest for it (PrescribingContext
.prescribed_before) and the patient does not take it now.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from clinic_tui.prescribing.facts import PrescribingContext
from clinic_tui.prescribing.model import DraftOrder, SafetyWarning, Severity
from clinic_tui.prescribing.rule_tables import citation, load_table, short_source

TABLE = "hla.toml"


@cache
def _rows() -> dict[str, dict[str, Any]]:
    return {row["drug"]: row for row in load_table(TABLE)["drug"]}


def first_prescription(code: str, context: PrescribingContext) -> bool:
    """True when the chart shows no earlier prescription of the drug `code`."""
    taking = {m.drug.code for m in context.medications if m.drug is not None}
    return code not in taking and code not in context.prescribed_before


def check_line(index: int, order: DraftOrder, context: PrescribingContext) -> list[SafetyWarning]:
    """The gene-test prompt for one basket line, when its drug is a first prescription."""
    drug = order.drug
    row = _rows().get(drug.code)
    if row is None or not first_prescription(drug.code, context):
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
                f"what was the result? Carriers risk {row['reaction_en']}: {row['advice_en']} "
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
