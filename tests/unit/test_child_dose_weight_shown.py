"""A child's weight is shown as recorded (30.7 kg), not rounded, beside a per-kg dose."""

from __future__ import annotations

from datetime import date

from clinic_tui.prescribing.checks import check_basket
from clinic_tui.prescribing.facts import AllergyState, PrescribingContext
from clinic_tui.prescribing.formulary import starter_formulary
from clinic_tui.prescribing.model import Basket
from clinic_tui.prescribing.order_line import parse_order_line


def test_the_weight_beside_a_per_kg_warning_is_the_recorded_one() -> None:
    today = date(2026, 12, 7)
    order = parse_order_line("amoxicillin 1g po qid 5d", starter_formulary()).order
    assert order is not None
    context = PrescribingContext.for_birth_date(
        date(2016, 1, 12),
        today,
        weight_kg=30.7,
        weight_date=date(2026, 12, 1),
        allergy_state=AllergyState.NONE_KNOWN,
    )
    [per_kg] = [
        w
        for w in check_basket(Basket(lines=[order]), context, today)
        if w.key.startswith("dose:per-kg:")
    ]
    assert "130 mg/kg/day for 30.7 kg" in per_kg.message_en
    assert "体重30.7 kg" in per_kg.message_zh
