"""Basket lines and patients for the slip tests: a few drugs as the formulary would give them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from clinic_tui.prescribing.model import DraftOrder, FormularyDrug, Frequency, Product
from clinic_tui.prescribing.slip import SlipData, slip_data_for

TID = Frequency("tid", 3, text_en="three times a day", text_zh="每日三次")
BID = Frequency("bid", 2, text_en="twice a day", text_zh="每日两次")
QD = Frequency("qd", 1, text_en="once a day", text_zh="每日一次")
Q8H_PRN = Frequency("q8h", 3, as_needed=True, text_en="every 8 hours", text_zh="每8小时一次")

AMOX_CAP = Product("capsule", 250, "mg", "capsule", "粒")
AMOX = FormularyDrug("amoxicillin", "Amoxicillin", "阿莫西林", "J01CA04", products=(AMOX_CAP,))
AMOX_SUSP = Product("suspension", 125, "mg", "bottle", "瓶", volume_ml=5)
METF_TAB = Product("tablet", 500, "mg", "tablet", "片")
METF = FormularyDrug("metformin", "Metformin", "二甲双胍", "A10BA02", products=(METF_TAB,))
AMLO_TAB = Product("tablet", 5, "mg", "tablet", "片", pack_size=28)
AMLO = FormularyDrug("amlodipine", "Amlodipine", "氨氯地平", "C08CA01", products=(AMLO_TAB,))
ATOR_TAB = Product("tablet", 20, "mg", "tablet", "片")
ATOR = FormularyDrug("atorvastatin", "Atorvastatin", "阿托伐他汀", "C10AA05", products=(ATOR_TAB,))
IBU_TAB = Product("tablet", 200, "mg", "tablet", "片")
IBU = FormularyDrug("ibuprofen", "Ibuprofen", "布洛芬", "M01AE01", products=(IBU_TAB,))

AMOX_LINE = DraftOrder(
    "amox 500mg po tid 7d", AMOX, AMOX_CAP, 500, "mg", "po", TID, 7, 42, "粒", "饭后"
)
METF_LINE = DraftOrder("二甲双胍 500mg bid", METF, METF_TAB, 500, "mg", "po", BID, 7, 14, "片")
AMLO_LINE = DraftOrder("amlo 5mg qd 28d", AMLO, AMLO_TAB, 5, "mg", "po", QD, 7, 7, "片")
ATOR_LINE = DraftOrder("ator 20mg qn", ATOR, ATOR_TAB, 20, "mg", "po", QD, 7, 7, "片", "睡前")
IBU_LINE = DraftOrder(
    "ibuprofen 400 prn q8h 3d", IBU, IBU_TAB, 400, "mg", "po", Q8H_PRN, 3, 18, "片"
)
CHILD_AMOX = DraftOrder(
    "amox susp 250mg tid 5d", AMOX, AMOX_SUSP, 250, "mg", "po", TID, 5, 2, "瓶", ""
)

RARE_NAME = "李䶮𠮷"
"""U+4DAE (CJK Ext A) and U+20BB7 (Ext B): outside fonts such as WQY Micro Hei."""
RARE_CHARACTERS = "䶮𠮷堃喆燚赟昇"

ISSUED = date(2026, 11, 30)


def rare_name_slip(lang: str = "zh") -> SlipData:
    """An adult with a rare-character name, one line, ordinary slip, every optional field."""
    return slip_data_for(
        [AMOX_LINE],
        kind="ordinary",
        slip_number="RX-20261130-0007",
        clinic_name="青山镇卫生院",
        patient_name=RARE_NAME,
        sex="male",
        birth_date=date(1979, 6, 2),
        patient_id="MZ0012345",
        diagnoses=[("J02.9", "急性咽炎")],
        issued=ISSUED,
        prescriber="王堃喆",
        lang=lang,  # type: ignore[arg-type]
        clinic_address="青山镇建设路12号",
        clinic_phone="0731-5555 0101",
        fee_category="医保",
        department="全科",
        amount="¥18.60",
    )


def child_slip(lang: str = "zh") -> SlipData:
    """An infant of 9 months on the paediatric slip, with weight."""
    return slip_data_for(
        [CHILD_AMOX],
        kind="paediatric",
        slip_number="RX-20261130-0011",
        clinic_name="青山镇卫生院",
        patient_name="赵燚",
        sex="female",
        birth_date=date(2026, 2, 20),
        patient_id="MZ0020001",
        diagnoses=[("J20.9", "急性支气管炎")],
        issued=ISSUED,
        prescriber="周赟",
        lang=lang,  # type: ignore[arg-type]
        department="儿科",
        weight_kg=8.4,
    )


def emergency_slip(lang: str = "zh") -> SlipData:
    """An emergency slip: ibuprofen for 3 days, validity noted as 2 days."""
    return slip_data_for(
        [IBU_LINE],
        kind="emergency",
        slip_number="RX-20261130-0019",
        clinic_name="青山镇卫生院",
        patient_name="孙昇",
        sex="male",
        birth_date=date(1990, 1, 31),
        patient_id="JZ0000456",
        diagnoses=[("S93.4", "踝关节扭伤")],
        issued=ISSUED,
        prescriber="王堃喆",
        lang=lang,  # type: ignore[arg-type]
        department="急诊",
        valid_days=2,
    )


def five_line_slip(lang: str = "zh") -> SlipData:
    """Five drugs, two diagnoses: the fullest slip the regulation allows."""
    return slip_data_for(
        [AMOX_LINE, METF_LINE, AMLO_LINE, ATOR_LINE, IBU_LINE],
        kind="ordinary",
        slip_number="RX-20261130-0023",
        clinic_name="青山镇卫生院",
        patient_name="钱喆",
        sex="female",
        birth_date=date(1958, 3, 14),
        patient_id="MZ0009876",
        diagnoses=[("E11.9", "2型糖尿病"), ("I10", "原发性高血压")],
        issued=ISSUED,
        prescriber="王堃喆",
        lang=lang,  # type: ignore[arg-type]
        fee_category="自费",
        department="全科",
    )


def narcotic_slip(lang: str = "zh") -> SlipData:
    """A 麻、精一 slip: identity document and agent lines."""
    return slip_data_for(
        [IBU_LINE],
        kind="narcotic-psychotropic-1",
        slip_number="MJ-20261130-0001",
        clinic_name="青山镇卫生院",
        patient_name="周赟",
        sex="male",
        birth_date=date(1950, 8, 8),
        patient_id="MZ0000777",
        diagnoses=[("C16.9", "胃恶性肿瘤")],
        issued=ISSUED,
        prescriber="王堃喆",
        lang=lang,  # type: ignore[arg-type]
        id_document="430000195008080000",
        agent="周堃 430000198001010000",
    )


LONG_NOTE = "饭后温水送服，服药期间忌酒，如出现皮疹、呼吸困难立即停药并就医"


def crowded_slip(lang: str = "zh") -> SlipData:
    """Five lines with long instructions, four diagnoses, a 麻、精一 block: the most text."""
    lines = [
        replace(line, instructions=LONG_NOTE)
        for line in (AMOX_LINE, METF_LINE, AMLO_LINE, ATOR_LINE, IBU_LINE)
    ]
    return slip_data_for(
        lines,
        kind="narcotic-psychotropic-1",
        slip_number="MJ-20261130-0002",
        clinic_name="青山镇中心卫生院（青山镇社区卫生服务中心）第二门诊部",
        patient_name="欧阳䶮𠮷",
        sex="female",
        birth_date=date(1948, 2, 29),
        patient_id="MZ0000778",
        diagnoses=[
            ("E11.9", "2型糖尿病"),
            ("I10", "原发性高血压"),
            ("E78.5", "高脂血症"),
            ("M17.9", "膝关节骨关节炎"),
        ],
        issued=ISSUED,
        prescriber="王堃喆",
        lang=lang,  # type: ignore[arg-type]
        id_document="430000194802290000",
        agent="欧阳燚 430000197001010000",
    )
