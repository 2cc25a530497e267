"""What the demo clinic treats: problems by age, the drugs that go with them, allergies, complaints.

Prevalences are rough figures for rural China (hypertension in about half of
people over 60, diabetes in about one in six), enough for a queue that looks
like a real morning at a township health centre.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProblemDef:
    """An ICD-10 coded problem and who tends to have it."""

    code: str
    en: str
    zh: str
    chronic: bool
    prevalence: tuple[tuple[int, float], ...]
    """(from age, probability) steps; the last step at or below the patient's age applies."""
    female_only: bool = False

    def probability(self, age: int, female: bool) -> float:
        """Chance that a patient of this age and sex has the problem."""
        if self.female_only and not female:
            return 0.0
        chance = 0.0
        for from_age, value in self.prevalence:
            if age >= from_age:
                chance = value
        return chance


PROBLEMS: tuple[ProblemDef, ...] = (
    ProblemDef("I10", "Essential (primary) hypertension", "高血压", True,
               ((18, 0.05), (40, 0.22), (60, 0.45), (75, 0.55))),
    ProblemDef("E11.9", "Type 2 diabetes mellitus without complications", "2型糖尿病", True,
               ((30, 0.03), (40, 0.09), (60, 0.17))),
    ProblemDef("E78.5", "Hyperlipidaemia, unspecified", "高脂血症", True,
               ((35, 0.06), (50, 0.12))),
    ProblemDef("I25.1", "Atherosclerotic heart disease", "冠状动脉粥样硬化性心脏病", True,
               ((50, 0.03), (65, 0.09))),
    ProblemDef("J44.9", "Chronic obstructive pulmonary disease, unspecified", "慢性阻塞性肺疾病",
               True, ((45, 0.04), (60, 0.10), (75, 0.14))),
    ProblemDef("N18.9", "Chronic kidney disease, unspecified", "慢性肾脏病", True,
               ((50, 0.02), (70, 0.05))),
    ProblemDef("I69.3", "Sequelae of cerebral infarction", "脑梗死后遗症", True,
               ((55, 0.02), (70, 0.05))),
    ProblemDef("M17.9", "Gonarthrosis, unspecified", "膝关节骨性关节炎", True,
               ((50, 0.08), (65, 0.15))),
    ProblemDef("E03.9", "Hypothyroidism, unspecified", "甲状腺功能减退症", True,
               ((20, 0.03),), female_only=True),
    ProblemDef("J45.9", "Asthma, unspecified", "支气管哮喘", True, ((3, 0.04), (18, 0.02))),
    ProblemDef("K29.7", "Gastritis, unspecified", "慢性胃炎", True, ((18, 0.08), (40, 0.12))),
    ProblemDef("M54.5", "Low back pain", "腰痛", False, ((18, 0.06), (40, 0.10))),
    ProblemDef("J06.9", "Acute upper respiratory infection, unspecified", "急性上呼吸道感染",
               False, ((0, 0.18), (15, 0.10))),
    ProblemDef("J20.9", "Acute bronchitis, unspecified", "急性支气管炎", False,
               ((0, 0.06), (60, 0.08))),
    ProblemDef("A09", "Infectious gastroenteritis and colitis", "感染性腹泻", False,
               ((0, 0.08), (10, 0.03))),
    ProblemDef("L30.9", "Dermatitis, unspecified", "皮炎", False, ((0, 0.04),)),
)  # fmt: skip
PROBLEM_BY_CODE = {problem.code: problem for problem in PROBLEMS}


@dataclass(frozen=True)
class DrugDef:
    """One line of a chronic prescription, as a township pharmacy stocks it."""

    zh: str
    en: str
    atc: str
    dose: float
    unit: str
    frequency: str
    """QD, BID, TID, QN or PRN."""
    route: str = "oral"
    form: str = "片"


DRUGS_FOR: dict[str, tuple[DrugDef, ...]] = {
    "I10": (
        DrugDef("苯磺酸氨氯地平片", "Amlodipine", "C08CA01", 5, "mg", "QD"),
        DrugDef("硝苯地平控释片", "Nifedipine", "C08CA05", 30, "mg", "QD"),
        DrugDef("缬沙坦胶囊", "Valsartan", "C09CA03", 80, "mg", "QD", form="粒"),
        DrugDef("厄贝沙坦片", "Irbesartan", "C09CA04", 150, "mg", "QD"),
        DrugDef("马来酸依那普利片", "Enalapril", "C09AA02", 10, "mg", "QD"),
    ),
    "E11.9": (
        DrugDef("盐酸二甲双胍片", "Metformin", "A10BA02", 0.5, "g", "TID"),
        DrugDef("格列美脲片", "Glimepiride", "A10BB12", 2, "mg", "QD"),
        DrugDef("阿卡波糖片", "Acarbose", "A10BF01", 50, "mg", "TID"),
    ),
    "E78.5": (DrugDef("阿托伐他汀钙片", "Atorvastatin", "C10AA05", 20, "mg", "QN"),),
    "I25.1": (
        DrugDef("阿司匹林肠溶片", "Acetylsalicylic acid", "B01AC06", 100, "mg", "QD"),
        DrugDef("单硝酸异山梨酯缓释片", "Isosorbide mononitrate", "C01DA14", 40, "mg", "QD"),
    ),
    "J44.9": (
        DrugDef("噻托溴铵粉吸入剂", "Tiotropium bromide", "R03BB04", 18, "ug", "QD",
                route="inhaled", form="吸"),
        DrugDef("沙丁胺醇气雾剂", "Salbutamol", "R03AC02", 100, "ug", "PRN",
                route="inhaled", form="揿"),
    ),
    "I69.3": (DrugDef("硫酸氢氯吡格雷片", "Clopidogrel", "B01AC04", 75, "mg", "QD"),),
    "M17.9": (DrugDef("硫酸氨基葡萄糖胶囊", "Glucosamine", "M01AX05", 0.5, "g", "TID", form="粒"),),
    "E03.9": (DrugDef("左甲状腺素钠片", "Levothyroxine sodium", "H03AA01", 50, "ug", "QD"),),
    "J45.9": (
        DrugDef("布地奈德福莫特罗粉吸入剂", "Budesonide and formoterol", "R03AK07", 160, "ug",
                "BID", route="inhaled", form="吸"),
    ),
    "K29.7": (DrugDef("奥美拉唑肠溶胶囊", "Omeprazole", "A02BC01", 20, "mg", "QD", form="粒"),),
}  # fmt: skip
"""Drugs per ICD-10 code; the first line of each is what most patients get."""

CLOPIDOGREL = DRUGS_FOR["I69.3"][0]
"""Given instead of aspirin to a patient allergic to aspirin."""

FREQUENCY_TEXT = {
    "QD": ("每日一次 qd", 1),
    "BID": ("每日两次 bid", 2),
    "TID": ("每日三次 tid", 3),
    "QN": ("每晚一次 qn", 1),
    "PRN": ("必要时 prn", 0),
}
"""Frequency code -> (Chinese sig text, doses per day)."""

ROUTES = {
    "oral": ("26643006", "Oral route", "口服"),
    "inhaled": ("447694001", "Respiratory tract route", "吸入"),
}


@dataclass(frozen=True)
class AllergenDef:
    """A substance people in the clinic are recorded as allergic to."""

    zh: str
    en: str
    snomed: str
    category: str


ALLERGENS: tuple[tuple[AllergenDef, float], ...] = (
    (AllergenDef("青霉素", "Penicillin", "764146007", "medication"), 40),
    (AllergenDef("头孢菌素类", "Cephalosporins", "373262009", "medication"), 15),
    (AllergenDef("磺胺类药物", "Sulfonamides", "387406002", "medication"), 12),
    (AllergenDef("阿司匹林", "Aspirin", "387458008", "medication"), 8),
    (AllergenDef("海鲜", "Seafood", "44027008", "food"), 12),
    (AllergenDef("花粉", "Pollen", "256259004", "environment"), 8),
    (AllergenDef("尘螨", "House dust mite", "260147004", "environment"), 5),
)
"""Allergens with relative weights (penicillin is by far the most recorded)."""

REACTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("271807003", "Eruption of skin", "皮疹", "low"),
    ("126485001", "Urticaria", "荨麻疹", "low"),
    ("418290006", "Itching", "瘙痒", "low"),
    ("267036007", "Dyspnoea", "呼吸困难", "high"),
    ("41291007", "Angioedema", "血管性水肿", "high"),
    ("39579001", "Anaphylaxis", "过敏性休克", "high"),
)
"""(SNOMED code, English, Chinese, criticality) of reaction manifestations."""

# Chief complaints at registration, by what brings the patient in.
CHRONIC_VISIT_REASONS: dict[str, tuple[str, ...]] = {
    "I10": ("高血压复诊 测血压", "头晕2天", "慢病随访 续方取药", "头痛 血压偏高"),
    "E11.9": ("血糖复查", "糖尿病随访 续方取药", "口干多饮1月"),
    "E78.5": ("血脂复查 续方取药",),
    "I25.1": ("胸闷 活动后加重1周", "心前区不适2天", "冠心病随访 取药"),
    "J44.9": ("咳嗽咳痰加重5天", "气喘 活动后加重1周", "慢阻肺随访"),
    "N18.9": ("双下肢水肿1周", "肾功能复查"),
    "I69.3": ("脑梗后随访 取药", "右侧肢体无力加重3天"),
    "M17.9": ("双膝关节疼痛1月", "膝痛 上下楼加重"),
    "E03.9": ("乏力怕冷 复查甲功",),
    "J45.9": ("喘息2天", "哮喘随访 取药"),
    "K29.7": ("上腹部不适 反酸1周", "胃痛3天"),
}
ACUTE_PROBLEM_COMPLAINTS: dict[str, tuple[str, ...]] = {
    "J06.9": ("发热咳嗽3天", "咽痛流涕2天", "发热1天"),
    "J20.9": ("咳嗽咳痰1周", "发热咳嗽5天"),
    "A09": ("腹泻3天", "腹痛腹泻1天"),
    "L30.9": ("皮疹瘙痒3天",),
    "M54.5": ("腰痛1周", "弯腰后腰痛2天"),
}
"""Chief complaints of a visit for an acute problem, by ICD-10 code."""
FEBRILE_PROBLEMS = {"J06.9", "J20.9"}
"""Problems that often bring a fever to the visit."""
RESPIRATORY_PROBLEMS = {"J06.9", "J20.9", "J44.9", "J45.9"}
"""Problems whose visits record oxygen saturation and respiratory rate."""
ACUTE_COMPLAINTS_ADULT = (
    "发热咳嗽3天", "咽痛1天", "咳嗽2周", "流涕鼻塞2天", "腹痛腹泻1天", "腰痛1周", "头痛2天",
    "皮疹瘙痒3天", "失眠1月", "乏力 食欲差1周", "尿频尿急2天", "牙痛2天", "左手割伤1小时",
    "咳嗽咳痰1周", "恶心呕吐1天", "体检", "测血压",
)  # fmt: skip
ACUTE_COMPLAINTS_CHILD = (
    "发热1天", "发热咳嗽2天", "腹泻3天", "咳嗽流涕3天", "呕吐1天", "皮疹2天", "预防接种后发热",
)  # fmt: skip
URGENT_COMPLAINTS = (
    "高热39.5℃ 伴寒战", "外伤出血 右小腿", "剧烈腹痛3小时", "血压180/110 头痛", "腹痛伴呕吐",
)  # fmt: skip
EMERGENCY_COMPLAINTS = ("胸痛1小时 伴大汗", "突发呼吸困难", "突发言语不清 右侧肢体无力")
CHILD_EMERGENCY = ("高热惊厥",)

REFERRAL_REASONS: dict[str, tuple[str, str]] = {
    "I10": ("血压控制不佳，多药联用仍>160/100 mmHg，请心内科调整方案", "心内科"),
    "E11.9": ("空腹血糖持续>10 mmol/L，请内分泌科评估胰岛素治疗", "内分泌科"),
    "I25.1": ("活动后胸痛加重，请心内科评估冠脉造影", "心内科"),
    "J44.9": ("慢阻肺急性加重，血氧偏低，请呼吸科诊治", "呼吸内科"),
    "N18.9": ("肌酐进行性升高，请肾内科评估", "肾内科"),
    "I69.3": ("肢体无力加重，请神经内科评估", "神经内科"),
    "M17.9": ("膝关节疼痛影响行走，请骨科评估手术指征", "骨科"),
}
"""ICD-10 code -> (reason for an upward referral, target department)."""
