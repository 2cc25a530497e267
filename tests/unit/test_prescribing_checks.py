"""The offline safety checks: each one raises its warning when due and stays quiet when not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from clinic_tui.prescribing.checks import (
    ActiveMedication,
    AllergyState,
    PrescribingContext,
    check_basket,
)
from clinic_tui.prescribing.model import Basket, SafetyWarning, Severity
from tests.unit.rx_check_fixtures import (
    AMLODIPINE,
    AMOXICILLIN,
    ASPIRIN,
    ATC,
    ATORVASTATIN,
    BID,
    CEFALEXIN,
    CEFUROXIME,
    CETIRIZINE,
    CLARITHROMYCIN,
    CLOPIDOGREL,
    COTRIMOXAZOLE,
    DIAZEPAM,
    DICLOFENAC,
    ENALAPRIL,
    FUROSEMIDE,
    HCTZ,
    IBUPROFEN,
    ISOSORBIDE,
    METFORMIN,
    MORPHINE,
    NIFEDIPINE,
    OMEPRAZOLE,
    PANTOPRAZOLE,
    QD,
    SILDENAFIL,
    SIMVASTATIN,
    SPIRONOLACTONE,
    TODAY,
    VALSARTAN,
    WARFARIN,
    adult,
    allergy,
    order,
    taking,
)


def check(*lines: object, context: PrescribingContext | None = None, **basket: object) -> list:
    """check_basket over the given lines for `context` (a healthy adult by default)."""
    made = Basket(lines=list(lines), **basket)  # type: ignore[arg-type]
    return check_basket(made, context or adult(), TODAY)


def of(warnings: list[SafetyWarning], kind: str) -> list[SafetyWarning]:
    return [warning for warning in warnings if warning.check == kind]


def high(warnings: list[SafetyWarning]) -> list[SafetyWarning]:
    return [warning for warning in warnings if warning.severity is Severity.HIGH]


# ----- the three safe everyday orders ---------------------------------------------------------


def test_amoxicillin_500_tid_7_days_for_an_adult_without_allergies_raises_nothing() -> None:
    assert check(order(AMOXICILLIN, 500, days=7)) == []


def test_atorvastatin_beside_metformin_raises_no_high_warning() -> None:
    context = adult(medications=taking(METFORMIN), diagnoses=("E11.9", "E78.5"))
    found = check(order(ATORVASTATIN, 20, QD, days=7), context=context)
    assert high(found) == []
    assert of(found, "interaction") == []
    assert of(found, "duplicate") == []


def test_hydrochlorothiazide_beside_amlodipine_raises_no_high_warning() -> None:
    context = adult(medications=taking(AMLODIPINE), diagnoses=("I10",))
    found = check(order(HCTZ, 25, QD, days=7), context=context)
    assert high(found) == []
    assert of(found, "interaction") == of(found, "duplicate") == []


# ----- allergy ----------------------------------------------------------------------------


def test_penicillin_allergy_makes_amoxicillin_high_with_the_reason_in_words() -> None:
    context = adult(
        allergy_state=AllergyState.RECORDED,
        allergies=(allergy("青霉素", "764146007"),),
    )
    [warning] = of(check(order(AMOXICILLIN), context=context), "allergy")
    assert warning.severity is Severity.HIGH
    assert warning.line == 0
    assert "Amoxicillin is a penicillin; the patient is allergic to 青霉素" in warning.message_en
    assert "severe rash, 2023" in warning.message_en
    assert "阿莫西林属于青霉素类" in warning.message_zh
    assert "BNF" in warning.source
    assert warning.key == "allergy:amoxicillin:allergy-青霉素"


def test_allergy_read_by_english_name_alone() -> None:
    context = adult(allergies=(allergy("Penicillin"),), allergy_state=AllergyState.RECORDED)
    assert high(of(check(order(AMOXICILLIN), context=context), "allergy"))


def test_allergy_to_the_very_drug_by_chinese_name() -> None:
    context = adult(allergies=(allergy("阿莫西林胶囊"),), allergy_state=AllergyState.RECORDED)
    [warning] = of(check(order(AMOXICILLIN), context=context), "allergy")
    assert warning.severity is Severity.HIGH
    assert "Amoxicillin is that drug" in warning.message_en


def test_allergy_read_by_atc_code() -> None:
    context = adult(
        allergies=(allergy("some antibiotic", "J01CA01", system=ATC),),
        allergy_state=AllergyState.RECORDED,
    )
    assert high(of(check(order(AMOXICILLIN), context=context), "allergy"))


def test_an_unrelated_allergy_raises_nothing() -> None:
    context = adult(
        allergies=(allergy("海鲜", "44027008"), allergy("磺胺类药物", "387406002")),
        allergy_state=AllergyState.RECORDED,
    )
    assert of(check(order(AMOXICILLIN)), "allergy") == []
    assert of(check(order(AMOXICILLIN), context=context), "allergy") == []


def test_penicillin_allergy_crosses_to_an_r1_side_chain_cephalosporin() -> None:
    context = adult(
        allergies=(allergy("青霉素", "764146007"),), allergy_state=AllergyState.RECORDED
    )
    [warning] = of(check(order(CEFALEXIN), context=context), "allergy")
    assert warning.severity is Severity.HIGH
    assert "side chain" in warning.message_en


def test_low_criticality_penicillin_allergy_makes_the_r1_cephalosporin_moderate() -> None:
    mild = allergy("青霉素", "764146007", criticality="low", severity="mild")
    context = adult(allergies=(mild,), allergy_state=AllergyState.RECORDED)
    [warning] = of(check(order(CEFALEXIN), context=context), "allergy")
    assert warning.severity is Severity.MODERATE


def test_penicillin_allergy_and_a_cephalosporin_of_another_side_chain_is_not_high() -> None:
    context = adult(
        allergies=(allergy("青霉素", "764146007"),), allergy_state=AllergyState.RECORDED
    )
    [warning] = of(check(order(CEFUROXIME), context=context), "allergy")
    assert warning.severity is Severity.MODERATE


def test_amoxicillin_allergy_crosses_to_cefalexin_by_the_resolved_drug() -> None:
    context = adult(
        allergies=(allergy("某药", resolved=AMOXICILLIN),), allergy_state=AllergyState.RECORDED
    )
    assert high(of(check(order(CEFALEXIN), context=context), "allergy"))


def test_sulfonamide_allergy_blocks_co_trimoxazole_but_not_furosemide() -> None:
    context = adult(
        allergies=(allergy("磺胺类药物", "387406002"),), allergy_state=AllergyState.RECORDED
    )
    assert high(of(check(order(COTRIMOXAZOLE, 960, BID), context=context), "allergy"))
    diuretic = of(check(order(FUROSEMIDE, 20, QD), context=context), "allergy")
    assert [w.severity for w in diuretic] == [Severity.INFO]
    assert "not expected" in diuretic[0].message_en


def test_aspirin_allergy_crosses_to_every_nsaid() -> None:
    context = adult(
        allergies=(allergy("阿司匹林", "387458008"),), allergy_state=AllergyState.RECORDED
    )
    [warning] = of(check(order(IBUPROFEN, 400), context=context), "allergy")
    assert warning.severity is Severity.HIGH
    assert "NSAID" in warning.message_en
    assert high(of(check(order(ASPIRIN, 100, QD), context=context), "allergy"))


def test_unrecorded_allergies_ask_once_and_never_block() -> None:
    found = check(
        order(AMOXICILLIN),
        order(CETIRIZINE, 10, QD),
        context=adult(allergy_state=AllergyState.NOT_RECORDED),
    )
    [warning] = of(found, "allergy")
    assert warning.severity is Severity.MODERATE
    assert "not recorded" in warning.message_en


# ----- interactions -------------------------------------------------------------------------


def test_simvastatin_with_clarithromycin_is_high_and_cited() -> None:
    context = adult(medications=taking(SIMVASTATIN))
    [warning] = of(check(order(CLARITHROMYCIN, 500, BID), context=context), "interaction")
    assert warning.severity is Severity.HIGH
    assert "Simvastatin" in warning.message_en
    assert "taken now" in warning.message_en
    assert "Zocor" in warning.source
    assert warning.key.startswith("interaction:clarithromycin+simvastatin:")


def test_interaction_within_the_basket_is_found_on_the_later_line() -> None:
    found = check(order(WARFARIN, 3, QD), order(IBUPROFEN, 400))
    [warning] = of(found, "interaction")
    assert (warning.line, warning.severity) == (1, Severity.HIGH)
    assert "in this prescription" in warning.message_en


def test_clopidogrel_with_omeprazole_but_not_pantoprazole() -> None:
    context = adult(medications=taking(CLOPIDOGREL))
    assert high(of(check(order(OMEPRAZOLE, 20, QD), context=context), "interaction"))
    assert of(check(order(PANTOPRAZOLE, 40, QD), context=context), "interaction") == []


def test_ace_inhibitor_with_arb_and_with_spironolactone() -> None:
    context = adult(medications=taking(ENALAPRIL))
    assert high(of(check(order(VALSARTAN, 80, QD), context=context), "interaction"))
    [potassium] = of(check(order(SPIRONOLACTONE, 20, QD), context=context), "interaction")
    assert potassium.severity is Severity.MODERATE


def test_sildenafil_with_a_nitrate_is_high() -> None:
    context = adult(medications=taking(ISOSORBIDE))
    assert high(of(check(order(SILDENAFIL, 50, QD, days=1), context=context), "interaction"))


def test_warfarin_with_co_trimoxazole_is_high_as_fischer_2010_supports() -> None:
    context = adult(medications=taking(WARFARIN))
    [warning] = of(check(order(COTRIMOXAZOLE, 960, BID), context=context), "interaction")
    assert warning.severity is Severity.HIGH
    assert "Fischer" in warning.source


def test_unresolved_active_medication_matches_by_its_chinese_name() -> None:
    methotrexate = ActiveMedication(text="甲氨蝶呤片", drug=None, id="mr-mtx")
    context = adult(medications=(methotrexate,))
    [warning] = of(check(order(COTRIMOXAZOLE, 960, BID), context=context), "interaction")
    assert warning.severity is Severity.HIGH
    assert "Phansalkar" in warning.source


def test_a_renewed_medication_is_not_checked_against_its_own_renewal() -> None:
    context = adult(medications=taking(SIMVASTATIN))
    renewal = order(SIMVASTATIN, 20, QD, replaces="mr-simvastatin")
    assert check(renewal, context=context) == []


def test_interaction_key_is_the_same_whichever_order_the_lines_come_in() -> None:
    one = of(check(order(WARFARIN, 3, QD), order(IBUPROFEN, 400)), "interaction")
    two = of(check(order(IBUPROFEN, 400), order(WARFARIN, 3, QD)), "interaction")
    assert [w.key for w in one] == [w.key for w in two]


# ----- duplicates ---------------------------------------------------------------------------


def test_two_nsaids_are_a_duplicate() -> None:
    [warning] = of(check(order(IBUPROFEN, 400), order(DICLOFENAC, 50)), "duplicate")
    assert warning.severity is Severity.MODERATE
    assert "Two NSAIDs" in warning.message_en


def test_a_ppi_already_taken_and_another_ordered() -> None:
    context = adult(medications=taking(OMEPRAZOLE))
    [warning] = of(check(order(PANTOPRAZOLE, 40, QD), context=context), "duplicate")
    assert "taken now" in warning.message_en


def test_same_ingredient_twice_in_the_basket() -> None:
    found = check(order(AMOXICILLIN, 500), order(AMOXICILLIN, 1000))
    [warning] = of(found, "duplicate")
    assert "Amoxicillin twice" in warning.message_en
    # 1500 + 3000 mg a day together is above the 4000 mg maximum.
    assert [w.key for w in high(of(found, "dose"))] == ["dose:combined:amoxicillin:4,500mg"]


def test_aspirin_beside_an_nsaid_is_an_interaction_not_a_duplicate() -> None:
    found = check(order(ASPIRIN, 100, QD), order(IBUPROFEN, 400))
    assert of(found, "duplicate") == []
    assert [w.severity for w in of(found, "interaction")] == [Severity.MODERATE]


def test_two_calcium_channel_blockers_but_not_aspirin_with_clopidogrel() -> None:
    assert of(check(order(AMLODIPINE, 5, QD), order(NIFEDIPINE, 30, QD)), "duplicate")
    assert of(check(order(ASPIRIN, 100, QD), order(CLOPIDOGREL, 75, QD)), "duplicate") == []


# ----- dose ---------------------------------------------------------------------------------


def test_adult_dose_above_the_daily_maximum_is_high() -> None:
    found = of(check(order(IBUPROFEN, 800, frequency=replace(QD, per_day=4))), "dose")
    [warning] = [w for w in found if w.key.startswith("dose:max-daily:")]
    assert warning.severity is Severity.HIGH
    assert "3,200 mg a day is above the adult maximum of 2,400 mg" in warning.message_en


def test_adult_single_dose_above_the_maximum_is_high_and_above_usual_is_moderate() -> None:
    assert high(of(check(order(IBUPROFEN, 1000, QD)), "dose"))
    [usual] = of(check(order(IBUPROFEN, 600, QD)), "dose")
    assert usual.severity is Severity.MODERATE


def test_a_dose_in_grams_is_compared_in_milligrams() -> None:
    assert of(check(order(AMOXICILLIN, 0.5, unit="g")), "dose") == []
    assert high(of(check(order(AMOXICILLIN, 2, unit="g")), "dose"))


def child(weight: float | None, **facts: object) -> PrescribingContext:
    """A four-year-old, weighed this month unless told."""
    values: dict[str, object] = {"birth_date": date(2022, 6, 1), "weight_kg": weight}
    values.setdefault("weight_date", date(2026, 11, 20) if weight is not None else None)
    values.update(facts)
    return adult(**values)


def test_child_dose_within_the_mg_per_kg_range_raises_nothing() -> None:
    # 16 kg, 250 mg tid = 750 mg/day = 47 mg/kg/day: inside 20-90.
    assert of(check(order(AMOXICILLIN, 250), context=child(16.0)), "dose") == []


def test_child_dose_above_the_mg_per_kg_range_is_high() -> None:
    # 16 kg, 500 mg tid of ibuprofen = 94 mg/kg/day against 20-30.
    found = high(of(check(order(IBUPROFEN, 500), context=child(16.0)), "dose"))
    [most, warning] = sorted(found, key=lambda w: w.key)
    assert most.key == "dose:child-max-daily:ibuprofen:1,500mg"
    assert "mg/kg/day" in warning.message_en
    assert "16 kg" in warning.message_en


def test_child_dose_just_above_the_range_is_rounding_moderate() -> None:
    # 16 kg, 170 mg tid = 510 mg/day = 31.9 mg/kg/day: within 10% of 30.
    [warning] = of(check(order(IBUPROFEN, 170), context=child(16.0)), "dose")
    assert warning.severity is Severity.MODERATE


def test_child_without_a_weight_is_asked_for_one() -> None:
    # High: it blocks signing until the child is weighed (or a reason is given).
    [warning] = of(check(order(AMOXICILLIN, 250), context=child(None)), "dose")
    assert warning.severity is Severity.HIGH
    assert "WEIGH THE CHILD" in warning.message_en
    assert "称体重" in warning.message_zh


def test_child_weighed_long_ago_is_asked_to_be_weighed_again() -> None:
    old = child(16.0, weight_date=date(2025, 12, 1))
    assert [w.key for w in of(check(order(AMOXICILLIN, 250), context=old), "dose")] == [
        "dose:old-weight:2025-12-01"
    ]


# ----- pregnancy, breastfeeding, renal, elderly -------------------------------------------------


def test_pregnant_patient_and_a_contraindicated_drug_is_high() -> None:
    context = adult(sex="female", pregnant=True, pregnancy_date=date(2026, 10, 2))
    [warning] = of(check(order(ATORVASTATIN, 20, QD), context=context), "pregnancy")
    assert warning.severity is Severity.HIGH
    assert "pregnant (recorded 2026-10-02)" in warning.message_en


def test_pregnancy_safe_drug_and_not_pregnant_raise_nothing() -> None:
    pregnant = adult(sex="female", pregnant=True)
    assert of(check(order(AMOXICILLIN), context=pregnant), "pregnancy") == []
    not_pregnant = adult(sex="female", pregnant=False)
    assert of(check(order(ATORVASTATIN, 20, QD), context=not_pregnant), "pregnancy") == []


def test_unrecorded_pregnancy_in_a_young_woman_is_a_reminder_only() -> None:
    [warning] = of(check(order(ATORVASTATIN, 20, QD), context=adult(sex="female")), "pregnancy")
    assert warning.severity is Severity.INFO


def test_breastfeeding_reads_the_formulary_field() -> None:
    context = adult(sex="female", breastfeeding=True)
    [warning] = of(
        check(order(replace(IBUPROFEN, breastfeeding=IBUPROFEN.pregnancy), 400), context=context),
        "breastfeeding",
    )
    assert warning.severity is Severity.MODERATE


def test_metformin_below_egfr_30_is_high_and_below_60_moderate() -> None:
    assert high(of(check(order(METFORMIN, 500, BID), context=adult(egfr=25.0)), "renal"))
    [caution] = of(check(order(METFORMIN, 500, BID), context=adult(egfr=50.0)), "renal")
    assert caution.severity is Severity.MODERATE
    assert "reduce the dose below eGFR 45" in caution.message_en
    assert of(check(order(METFORMIN, 500, BID), context=adult(egfr=90.0)), "renal") == []


def test_elderly_caution_from_65() -> None:
    old = adult(birth_date=date(1950, 1, 1))
    assert of(check(order(HCTZ, 25, QD), context=old), "elderly")
    assert of(check(order(HCTZ, 25, QD)), "elderly") == []


# ----- China's prescription rules -------------------------------------------------------------


def test_ordinary_slip_beyond_7_days_without_a_reason_is_high() -> None:
    [warning] = of(check(order(AMLODIPINE, 5, QD, days=30)), "rule")
    assert warning.severity is Severity.HIGH
    assert "第十九条" in warning.source
    assert "at most 7 days" in warning.message_en


def test_emergency_slip_holds_3_days() -> None:
    assert of(check(order(AMOXICILLIN, days=3), kind="emergency"), "rule") == []
    assert high(of(check(order(AMOXICILLIN, days=4), kind="emergency"), "rule"))


def test_long_term_with_a_reason_up_to_12_weeks() -> None:
    reason = "高血压，病情稳定"
    [note] = of(check(order(AMLODIPINE, 5, QD, days=84), long_term_reason=reason), "rule")
    assert note.severity is Severity.INFO
    assert reason in note.message_en
    assert high(of(check(order(AMLODIPINE, 5, QD, days=90), long_term_reason=reason), "rule"))


def test_no_long_term_prescription_of_an_antimicrobial_even_with_a_reason() -> None:
    found = check(order(AMOXICILLIN, days=14), long_term_reason="慢性病")
    [warning] = of(found, "rule")
    assert warning.severity is Severity.HIGH
    assert "antimicrobial" in warning.message_en


def test_narcotic_needs_its_own_slip_and_3_days() -> None:
    found = check(order(MORPHINE, 10, days=5))
    keys = sorted(w.key.split(":")[1] for w in high(of(found, "rule")))
    assert keys == ["days", "slip-kind"]
    assert of(check(order(MORPHINE, 10, days=3), kind="narcotic-psychotropic-1"), "rule") == []


def test_class_2_psychotropic_on_its_slip_for_7_days() -> None:
    assert of(check(order(DIAZEPAM, 5, QD, days=7), kind="psychotropic-2"), "rule") == []
    assert high(of(check(order(DIAZEPAM, 5, QD, days=7)), "rule"))


def test_at_most_five_medicines_on_one_slip() -> None:
    five = [order(d, 5, QD) for d in (AMLODIPINE, HCTZ, CETIRIZINE, OMEPRAZOLE, CLOPIDOGREL)]
    assert of(check(*five), "rule") == []
    [warning] = of(check(*five, order(ATORVASTATIN, 20, QD)), "rule")
    assert (warning.line, warning.severity) == (5, Severity.HIGH)


def test_a_trade_name_is_refused_and_a_missing_chinese_name_flagged() -> None:
    brand = replace(AMLODIPINE, generic=False, name_en="Norvasc")
    assert high(of(check(order(brand, 5, QD)), "rule"))
    nameless = replace(AMLODIPINE, name_zh="")
    [warning] = of(check(order(nameless, 5, QD)), "rule")
    assert warning.severity is Severity.MODERATE


# ----- the result as a whole --------------------------------------------------------------------


def test_every_warning_carries_both_languages_a_source_and_a_unique_key() -> None:
    context = adult(
        allergies=(allergy("青霉素", "764146007"),),
        allergy_state=AllergyState.RECORDED,
        medications=taking(SIMVASTATIN, WARFARIN),
        pregnant=True,
        sex="female",
    )
    found = check(
        order(AMOXICILLIN, 2000, days=30),
        order(CLARITHROMYCIN, 500, BID),
        order(IBUPROFEN, 400),
        context=context,
    )
    assert len({w.check for w in found}) >= 5
    assert len({w.key for w in found}) == len(found)
    for warning in found:
        assert warning.message_en
        assert warning.message_zh
        assert warning.source
        assert warning.key


@pytest.mark.parametrize("line_order", [(0, 1), (1, 0)])
def test_keys_survive_rechecking_with_lines_moved(line_order: tuple[int, int]) -> None:
    lines = [order(WARFARIN, 3, QD), order(IBUPROFEN, 400)]
    found = check(*(lines[i] for i in line_order))
    assert {w.key for w in high(found)} == {"interaction:ibuprofen+warfarin:9"}


def test_english_message_names_the_coded_english_substance_and_reaction() -> None:
    coded = replace(
        allergy("青霉素", "764146007", reaction="荨麻疹"),
        displays=("Penicillin",),
        reaction_en="Urticaria",
    )
    context = adult(allergies=(coded,), allergy_state=AllergyState.RECORDED)
    [warning] = of(check(order(AMOXICILLIN), context=context), "allergy")
    assert "allergic to Penicillin (severe Urticaria, 2023)" in warning.message_en
    assert "患者对青霉素过敏（严重荨麻疹，2023年）" in warning.message_zh


def test_a_missing_weight_is_asked_for_once_per_basket() -> None:
    found = check(order(AMOXICILLIN, 250), order(IBUPROFEN, 100), context=child(None))
    assert [(w.line, w.key) for w in of(found, "dose")] == [(0, "dose:no-weight")]


def test_low_dose_aspirin_tagged_nsaid_is_not_an_analgesic_nsaid_for_interactions() -> None:
    tagged = replace(ASPIRIN, classes=("antiplatelet", "nsaid", "salicylate"))
    context = adult(medications=taking(WARFARIN, ENALAPRIL))
    found = of(check(order(tagged, 100, QD), context=context), "interaction")
    # Warfarin with low-dose aspirin (its own row, high: Schaefer 2019), never warfarin or
    # enalapril with an analgesic NSAID, nor the general antiplatelet row as well.
    assert [(w.severity, "Schaefer" in w.source) for w in found] == [(Severity.HIGH, True)]
    assert of(check(order(tagged, 100, QD), order(IBUPROFEN, 400)), "duplicate") == []


def test_a_name_inside_another_name_is_not_the_same_drug() -> None:
    levofloxacin = replace(CLARITHROMYCIN, code="levofloxacin", name_en="Levofloxacin",
                           name_zh="左氧氟沙星", atc="J01MA12", classes=("fluoroquinolone",),
                           synonyms=("levo", "左氧"))  # fmt: skip
    by_text = adult(allergies=(allergy("levothyroxine"),), allergy_state=AllergyState.RECORDED)
    assert of(check(order(levofloxacin), context=by_text), "allergy") == []
    esomeprazole = replace(
        OMEPRAZOLE, code="esomeprazole", name_en="Esomeprazole", name_zh="埃索美拉唑"
    )
    resolved = adult(
        allergies=(allergy("esomeprazole", resolved=esomeprazole),),
        allergy_state=AllergyState.RECORDED,
    )
    assert of(check(order(OMEPRAZOLE, 20, QD), context=resolved), "allergy") == []
    assert high(of(check(order(esomeprazole, 20, QD), context=resolved), "allergy"))


def test_a_synonym_names_the_drug_only_as_the_whole_record() -> None:
    assert high(
        of(check(order(AMOXICILLIN), context=adult(allergies=(allergy("amox"),))), "allergy")
    )
    assert (
        of(check(order(AMOXICILLIN), context=adult(allergies=(allergy("amoxapine"),))), "allergy")
        == []
    )


# ----- the NSAID class comes from tags or NSAID ATC subgroups, not all of M01A (issue #11) ----


def test_glucosamine_with_valsartan_raises_nothing_ibuprofen_with_valsartan_still_does() -> None:
    from clinic_tui.prescribing.formulary import starter_formulary

    formulary = starter_formulary()
    glucosamine, ibuprofen, valsartan = (
        formulary.find(name) for name in ("glucosamine", "ibuprofen", "valsartan")
    )
    assert glucosamine is not None
    assert ibuprofen is not None
    assert valsartan is not None
    assert glucosamine.atc == "M01AX05"  # filed under M01A "other", yet no NSAID
    context = adult(medications=taking(valsartan))
    assert check(order(glucosamine, 500, BID), context=context) == []
    [kidney] = of(check(order(ibuprofen, 400, BID), context=context), "interaction")
    assert "kidney" in kidney.message_en


def test_an_untagged_drug_is_an_nsaid_by_its_nsaid_atc_subgroup_only() -> None:
    # A hospital's import without class tags: naproxen (M01AE02) is an NSAID by its code;
    # diacerein (M01AX21, "other" anti-inflammatory) is not.
    naproxen = replace(IBUPROFEN, code="naproxen", name_en="Naproxen", atc="M01AE02", classes=())
    diacerein = replace(IBUPROFEN, code="diacerein", name_en="Diacerein", atc="M01AX21", classes=())
    context = adult(medications=taking(VALSARTAN))
    assert of(check(order(naproxen, 250, BID), context=context), "interaction")
    assert of(check(order(diacerein, 50, BID), context=context), "interaction") == []


def test_an_nsaid_allergy_does_not_reach_glucosamine() -> None:
    from clinic_tui.prescribing.formulary import starter_formulary

    glucosamine = starter_formulary().find("glucosamine")
    assert glucosamine is not None
    allergic = adult(
        allergies=(allergy("NSAIDs", "M01A", system=ATC),), allergy_state=AllergyState.RECORDED
    )
    assert of(check(order(glucosamine, 500, BID), context=allergic), "allergy") == []
    assert high(of(check(order(IBUPROFEN, 400), context=allergic), "allergy"))
