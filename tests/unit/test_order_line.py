"""The order-line parser: lines as clinicians say them, in English and Chinese."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic_tui.i18n import language, set_language
from clinic_tui.prescribing.formulary import Formulary
from clinic_tui.prescribing.model import FormularyDrug, Product
from clinic_tui.prescribing.order_line import MAX_LINE, parse_order_line

CAPSULE_250 = Product("capsule", 250, "mg", "capsule", "粒")
CAPSULE_500 = Product("capsule", 500, "mg", "capsule", "粒")
TABLET_200 = Product("tablet", 200, "mg", "tablet", "片")
TABLET_500 = Product("tablet", 500, "mg", "tablet", "片")
BOX_5 = Product("tablet", 5, "mg", "tablet", "片", pack_size=28, pack_unit_en="box",
                pack_unit_zh="盒")  # fmt: skip
INHALER = Product("inhaler", 100, "µg", "puff", "揿", pack_size=200, pack_unit_en="inhaler",
                  pack_unit_zh="支")  # fmt: skip
PEN = Product("injection-pen", 1, "IU", "unit", "单位", pack_size=300, pack_unit_en="pen",
              pack_unit_zh="支")  # fmt: skip

FORMULARY = Formulary(
    [
        FormularyDrug("amoxicillin", "Amoxicillin", "阿莫西林", "J01CA04",
                      products=(CAPSULE_250, CAPSULE_500), synonyms=("amox",)),
        FormularyDrug("metformin", "Metformin", "二甲双胍", "A10BA02", products=(TABLET_500,)),
        FormularyDrug("ibuprofen", "Ibuprofen", "布洛芬", "M01AE01", products=(TABLET_200,),
                      adult_max_daily=2400),
        FormularyDrug("atorvastatin", "Atorvastatin", "阿托伐他汀", "C10AA05",
                      products=(Product("tablet", 20, "mg", "tablet", "片"),)),
        FormularyDrug("salbutamol", "Salbutamol", "沙丁胺醇", "R03AC02", routes=("inh", "po"),
                      products=(INHALER,), adult_max_daily=800),
        FormularyDrug("amlodipine", "Amlodipine", "氨氯地平", "C08CA01", products=(BOX_5,)),
        FormularyDrug("insulin-glargine", "Insulin glargine", "甘精胰岛素", "A10AE04",
                      routes=("sc",), products=(PEN,)),
        FormularyDrug("nifedipine-sr", "Nifedipine (controlled release)", "硝苯地平控释片",
                      "C08CA05", products=(Product("tablet-cr", 30, "mg", "tablet", "片"),),
                      synonyms=("nifedipine cr", "nifedipine sr")),
        FormularyDrug("paracetamol", "Paracetamol", "对乙酰氨基酚", "N02BE01",
                      products=(TABLET_500,)),
    ]
)  # fmt: skip


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    before = language()
    set_language("en")
    yield
    set_language(before)


# text, drug, dose (drug's unit), route, frequency code, per day, days, quantity, unit
READS = [
    ("amox 500mg po tid 7d", "amoxicillin", 500, "po", "tid", 3, 7, 21, "capsule"),
    ("阿莫西林 0.5g 口服 每日三次 7天", "amoxicillin", 500, "po", "tid", 3, 7, 21, "capsule"),
    ("阿莫西林0.5g口服每日三次7天", "amoxicillin", 500, "po", "tid", 3, 7, 21, "capsule"),
    ("阿莫西林口服 0.5g 一日三次 ×3日", "amoxicillin", 500, "po", "tid", 3, 3, 9, "capsule"),
    ("amoxicillin 250 mg t.i.d. 7/7", "amoxicillin", 250, "po", "tid", 3, 7, 21, "capsule"),
    ("Amox 1g TDS x5d", "amoxicillin", 1000, "po", "tid", 3, 5, 30, "capsule"),
    ("amox 500mg q8h for 7 days", "amoxicillin", 500, "po", "q8h", 3, 7, 21, "capsule"),
    ("阿莫西林 500mg 每8小时 共7天", "amoxicillin", 500, "po", "q8h", 3, 7, 21, "capsule"),
    ("阿莫西林 500mg 一天三次 七天", "amoxicillin", 500, "po", "tid", 3, 7, 21, "capsule"),
    ("阿莫西林 500mg 3次/日 5天", "amoxicillin", 500, "po", "tid", 3, 5, 15, "capsule"),
    ("amoxi 500mg tid 7d", "amoxicillin", 500, "po", "tid", 3, 7, 21, "capsule"),
    ("二甲双胍 500mg bid 30d", "metformin", 500, "po", "bid", 2, 30, 60, "tablet"),
    ("二甲双胍 0.5g 每日两次 饭后 2周", "metformin", 500, "po", "bid", 2, 14, 28, "tablet"),
    ("二甲双胍 1片 每日3次 7天", "metformin", 500, "po", "tid", 3, 7, 21, "tablet"),
    ("metformin 1000mg bd 1/52", "metformin", 1000, "po", "bid", 2, 7, 28, "tablet"),
    ("ibuprofen 400 prn q8h 3d", "ibuprofen", 400, "po", "q8h prn", 3, 3, 18, "tablet"),
    ("布洛芬 200mg 必要时 每6小时 3天", "ibuprofen", 200, "po", "q6h prn", 4, 3, 12, "tablet"),
    ("atorvastatin 20mg qn 30d", "atorvastatin", 20, "po", "qn", 1, 30, 30, "tablet"),
    ("阿托伐他汀 20mg 每晚一次 1个月", "atorvastatin", 20, "po", "qn", 1, 30, 30, "tablet"),
    ("salbutamol 2 puffs prn qid", "salbutamol", 200, "inh", "qid prn", 4, None, 1, "inhaler"),
    ("沙丁胺醇 2揿 吸入 必要时", "salbutamol", 200, "inh", "max4/d prn", 4, None, 1, "inhaler"),
    ("salbutamol 200mcg inh qid 60d", "salbutamol", 200, "inh", "qid", 4, 60, 3, "inhaler"),
    ("amlodipine 5mg qd 4w", "amlodipine", 5, "po", "qd", 1, 28, 1, "box"),
    ("amlodipine 10mg once daily 4 weeks", "amlodipine", 10, "po", "qd", 1, 28, 2, "box"),
    ("氨氯地平 5mg 每日1次 12周", "amlodipine", 5, "po", "qd", 1, 84, 3, "box"),
    ("甘精胰岛素 10单位 皮下 睡前", "insulin-glargine", 10, "sc", "qn", 1, None, 1, "pen"),
    ("insulin glargine 20iu sc qd 30d", "insulin-glargine", 20, "sc", "qd", 1, 30, 2, "pen"),
    ("nifedipine sr 30mg qd 14d", "nifedipine-sr", 30, "po", "qd", 1, 14, 14, "tablet"),
    ("paracetamol 1g qid prn 3d", "paracetamol", 1000, "po", "qid prn", 4, 3, 24, "tablet"),
    ("对乙酰氨基酚 0.5g 必要时 每日最多4次 2天", "paracetamol", 500, "po", "qid prn", 4, 2, 8,
     "tablet"),
    ("paracetamol 500mg q4h 2d", "paracetamol", 500, "po", "q4h", 6, 2, 12, "tablet"),
    ("paracetamol 500mg stat", "paracetamol", 500, "po", "stat", 1, None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "code", "dose", "route", "freq", "per_day", "days", "quantity", "unit"), READS
)
def test_reads_a_line(
    text: str,
    code: str,
    dose: float,
    route: str,
    freq: str,
    per_day: float,
    days: int | None,
    quantity: int | None,
    unit: str | None,
) -> None:
    parsed = parse_order_line(text, FORMULARY)
    if quantity is None:
        # stat needs a duration like any loose tablet; the test says so rather than skip it.
        assert parsed.order is None
        assert parsed.problems == ("no duration (e.g. 7d, 7天)",)
        return
    assert parsed.problems == ()
    order = parsed.order
    assert order is not None
    assert order.text == text
    assert (order.drug.code, order.dose, order.route) == (code, dose, route)
    assert (order.frequency.code, order.frequency.per_day) == (freq, per_day)
    assert (order.duration_days, order.quantity, order.quantity_unit) == (days, quantity, unit)


def test_the_strength_that_gives_the_fewest_whole_units_is_chosen() -> None:
    order = parse_order_line("amox 500mg tid 7d", FORMULARY).order
    assert order is not None
    assert order.product == CAPSULE_500
    order = parse_order_line("amox 750mg tid 7d", FORMULARY).order
    assert order is not None
    assert order.product == CAPSULE_250
    assert order.quantity == 63


def test_frequency_and_instructions_carry_words_for_the_slip() -> None:
    order = parse_order_line("二甲双胍 500mg 每日三次 饭后 7天", FORMULARY).order
    assert order is not None
    assert (order.frequency.text_en, order.frequency.text_zh) == ("three times a day", "每日三次")
    assert order.instructions == "饭后"
    assert order.quantity_unit_zh == "片"
    prn = parse_order_line("ibuprofen 400mg prn q8h 3d", FORMULARY).order
    assert prn is not None
    assert prn.frequency.as_needed
    assert prn.frequency.text_zh == "必要时，最多每8小时一次"


# text, the problems it must give (English)
PROBLEMS = [
    ("", ("nothing typed",)),
    ("   ", ("nothing typed",)),
    ("500mg tid 7d", ("no drug name at the start of the line",)),
    ("xyzzy 500mg tid 7d", ("unknown drug 'xyzzy'",)),
    ("metfromin 500mg bid 7d",
     ("unknown drug 'metfromin'; nearest in the formulary: Metformin 二甲双胍",)),
    ("amo 500mg tid 7d",
     ("unknown drug 'amo'; nearest in the formulary: "
      "Amoxicillin 阿莫西林, Salbutamol 沙丁胺醇, Paracetamol 对乙酰氨基酚",)),
    ("amox tid 7d", ("no dose (e.g. 500mg)",)),
    ("amox 500mg 7d", ("no frequency (e.g. tid, 每日三次)",)),
    ("amox 500mg tid", ("no duration (e.g. 7d, 7天)",)),
    ("amox 300mg tid 7d",
     ("dose 300mg is not a whole number of any stocked strength "
      "(250 mg capsule, 500 mg capsule)",)),
    ("amox 500mg qzz 7d", ("unknown frequency 'qzz'",)),
    ("阿莫西林 500mg 每周期 7天", ("unknown frequency '每周期'",)),
    ("amox 500mg tid 7d blah", ("could not read 'blah'",)),
    ("amox 500mg tid bid 7d", ("two frequencies (tid and bid)",)),
    ("amox 500mg 250mg tid 7d", ("two doses (500mg and 250mg)",)),
    ("amox 500mg tid 7d 5d", ("two durations (7d and 5d)",)),
    ("amox 5ml tid 7d", ("dose in ml, but Amoxicillin is dosed in mg",)),
    ("amox 2 caps tid 7d",
     ("2 caps: which strength? (250 mg capsule, 500 mg capsule)",)),
    ("amox 500mg iv tid 7d", ("route iv is not how Amoxicillin is given (po)",)),
    ("amox 0mg tid 7d", ("a dose of zero",)),
    ("amox 500mg tid 0d", ("a duration of zero days",)),
    ("amox 500mg po iv tid 7d",
     ("two routes (po and iv)", "route iv is not how Amoxicillin is given (po)")),
    ("amox " + "x" * MAX_LINE, (f"the line is too long (at most {MAX_LINE} characters)",)),
]  # fmt: skip


@pytest.mark.parametrize(("text", "problems"), PROBLEMS)
def test_says_what_it_could_not_read(text: str, problems: tuple[str, ...]) -> None:
    parsed = parse_order_line(text, FORMULARY)
    assert parsed.order is None
    assert parsed.problems == problems
    assert parsed.text == text


def test_ambiguous_prefix_lists_the_candidates() -> None:
    formulary = Formulary(
        [
            FormularyDrug("amoxicillin", "Amoxicillin", "阿莫西林", "J01CA04",
                          products=(CAPSULE_500,)),
            FormularyDrug("amoxicillin-clavulanate", "Amoxicillin and clavulanic acid",
                          "阿莫西林克拉维酸钾", "J01CR02", products=(CAPSULE_500,)),
        ]
    )  # fmt: skip
    parsed = parse_order_line("amoxi 500mg tid 7d", formulary)
    assert parsed.order is None
    assert parsed.problems == (
        "'amoxi' could be Amoxicillin 阿莫西林, "
        "Amoxicillin and clavulanic acid 阿莫西林克拉维酸钾: "
        "type more of the name",
    )


def test_problems_are_in_chinese_with_lang_zh() -> None:
    set_language("zh")
    assert parse_order_line("xyzzy 5mg", FORMULARY).problems == ("未知药品 “xyzzy”",)
    assert parse_order_line("amox 300mg tid 7d", FORMULARY).problems == (
        "剂量 300mg 不是任何库存规格（250 mg 粒, 500 mg 粒）的整数倍",
    )
    assert parse_order_line("amox 500mg 7d", FORMULARY).problems == (
        "缺少频次（如 tid、每日三次）",
    )


_WORDS = st.sampled_from(
    ["amox", "阿莫西林", "500mg", "0.5g", "po", "口服", "tid", "每日三次", "7d", "7天", "x7d",
     "7/7", "×3日", "prn", "q8h", "每8小时", "饭后", "2", "puffs", "1片", "半片", "qd", "4w",
     "salbutamol", "二甲双胍", "十", "q0h", "每0小时", "0/7", "9" * 30, "1e309", "µg", "/", "."]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_never_raises_on_any_text(text: str) -> None:
    parsed = parse_order_line(text, FORMULARY)
    assert (parsed.order is None) == bool(parsed.problems)


@settings(max_examples=400, deadline=None)
@given(st.lists(_WORDS, max_size=8).map(" ".join))
def test_never_raises_on_lines_of_order_words(text: str) -> None:
    parsed = parse_order_line(text, FORMULARY)
    assert (parsed.order is None) == bool(parsed.problems)
    if parsed.order is not None:
        assert parsed.order.quantity >= 1
        assert parsed.order.dose > 0


def test_a_childs_dose_no_tablet_gives_is_measured_from_the_liquid_or_vial() -> None:
    drops = Product("oral-drops", 100, "mg", "ml", "ml", volume_ml=1, pack_size=15,
                    pack_unit_en="bottle", pack_unit_zh="瓶")  # fmt: skip
    vial = Product("injection", 1000, "mg", "vial", "支")
    formulary = Formulary(
        [
            FormularyDrug("paracetamol", "Paracetamol", "对乙酰氨基酚", "N02BE01",
                          products=(TABLET_500, drops)),
            FormularyDrug("ceftriaxone", "Ceftriaxone", "头孢曲松", "J01DD04",
                          routes=("iv", "im"), products=(vial,)),
        ]
    )  # fmt: skip
    # 160 mg is no whole or half 500 mg tablet: 1.6 ml of the 100 mg/ml drops.
    order = parse_order_line("paracetamol 160mg qid 3d", formulary).order
    assert order is not None
    assert (order.dose, order.product) == (160, drops)
    # 1.6 ml four times a day for 3 days = 19.2 ml: two 15 ml bottles.
    assert (order.quantity, order.quantity_unit) == (2, "bottle")
    # 500 mg is still one tablet, not 5 ml of drops.
    tablet = parse_order_line("paracetamol 500mg qid 3d", formulary).order
    assert tablet is not None
    assert tablet.product == TABLET_500
    # 400 mg of ceftriaxone is drawn from a 1 g vial.
    vial_order = parse_order_line("ceftriaxone 400mg iv qd 5d", formulary).order
    assert vial_order is not None
    assert (vial_order.dose, vial_order.product) == (400, vial)
