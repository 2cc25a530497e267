"""The hospital side of the demo: departments, experts, and a triage inbox in every state.

The county hospital gets departments (Organizations partOf it) and two experts
each (Practitioner + PractitionerRole); two more township health centres join
the demo township in referring to it. A few hundred referrals of the last
weeks reach the hospital from all three, in every Task state, some urgent ones
past the triage SLA, some with a question and answer thread, the completed
ones with advice and a downward follow-up due today or later. The shapes are
those of the referral workflow (referral.fhir_shapes): ServiceRequest.performer
is [hospital, department], the Task is owned by the hospital and names the
department in an extension, a thread is Communications `about` the request.

Everything is drawn from its own Random, so the township's records (and every
id in them) are the same as without this module.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from clinic_tui.demo.context import (
    ORGANIZATION_KIND,
    SERVICE_CATEGORY,
    SNOMED,
    DemoContext,
    DemoRandom,
    reference,
)
from clinic_tui.demo.history_years import DEFAULT_HISTORY_YEARS
from clinic_tui.demo.people import PatientFacts, build_patient
from clinic_tui.demo.records import build_history
from clinic_tui.demo.referral_summary import (
    drug_allergy_answer,
    medication_answer,
    referral_summary,
)
from clinic_tui.domain.fhir import Resource
from clinic_tui.i18n import N_

ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
DEPARTMENT_EXTENSION = "urn:clinic-tui:fhir:extension:department"
PRACTITIONER_EXTENSION = "urn:clinic-tui:fhir:extension:practitioner"
TASK_KIND_SYSTEM = "urn:clinic-tui:task-kind"
TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"
BUSINESS_STATUS_SYSTEM = "urn:clinic-tui:referral-business-status"
DECLINE_REASON_SYSTEM = "urn:clinic-tui:referral-decline-reason"
OUTPUT_SYSTEM = "urn:clinic-tui:referral-output"
MESSAGE_SYSTEM = "urn:clinic-tui:referral-message"
ICD10 = "http://hl7.org/fhir/sid/icd-10"

# (name, SNOMED CT practice-setting code or None, English, [(ICD-10, reason), ...]). The
# SNOMED codes are FHIR R4's c80-practice-codes value set, as referral.fhir_shapes uses them.
DEPARTMENTS: tuple[tuple[str, str | None, str, tuple[tuple[str, str], ...]], ...] = (
    ("心内科", "394579002", "Cardiology", (
        ("I10", "血压控制不佳，三药联用仍>160/100 mmHg"),
        ("I20.0", "静息胸痛反复发作，心电图ST段压低"),
        ("I48", "新发心房颤动，心室率120次/分"),
        ("I50.9", "活动后气促加重，双下肢水肿"),
    )),
    ("内分泌科", "394583002", "Endocrinology", (
        ("E11.9", "空腹血糖持续>10 mmol/L，请评估胰岛素治疗"),
        ("E05.9", "心悸、消瘦，TSH明显降低"),
        ("E11.6", "糖尿病足溃疡两周不愈"),
    )),
    ("呼吸内科", "418112009", "Pulmonary medicine", (
        ("J44.1", "慢阻肺急性加重，SpO2 88%"),
        ("J18.9", "肺炎抗感染3天无好转"),
        ("R91", "胸片发现肺部结节，待明确性质"),
    )),
    ("消化内科", "394584008", "Gastroenterology", (
        ("K92.2", "黑便两天，血红蛋白下降"),
        ("K74.6", "肝硬化腹水加重"),
    )),
    ("肾内科", "394589003", "Nephrology", (
        ("N18.9", "肌酐进行性升高，eGFR 28"),
        ("N04.9", "大量蛋白尿伴水肿"),
    )),
    ("神经内科", "394591006", "Neurology", (
        ("I63.9", "右侧肢体无力6小时，疑急性脑梗死"),
        ("G40.9", "反复抽搐发作，需调整抗癫痫药"),
        ("G20", "震颤加重，行走困难"),
    )),
    ("普外科", "394609007", "General surgery", (
        ("K35.8", "转移性右下腹痛，疑急性阑尾炎"),
        ("K80.2", "胆囊结石反复绞痛"),
        ("K40.9", "腹股沟疝，要求手术"),
    )),
    ("骨科", None, "Orthopaedics", (
        ("M17.9", "膝关节疼痛影响行走，评估手术指征"),
        ("S72.0", "跌倒后髋部疼痛，不能站立"),
    )),
    ("儿科", "394537008", "Pediatric specialty", (
        ("J21.9", "婴儿喘息、拒奶，呼吸急促"),
        ("R62.8", "生长发育迟缓，身高低于同龄儿"),
    )),
)  # fmt: skip

_EXPERTS = (
    ("李", "卫东", "male", "主任医师"),
    ("黄", "晓燕", "female", "副主任医师"),
    ("孙", "浩", "male", "主治医师"),
    ("吴", "静", "female", "主任医师"),
    ("郑", "国平", "male", "副主任医师"),
    ("冯", "雪梅", "female", "主治医师"),
    ("何", "立新", "male", "主任医师"),
    ("许", "丹", "female", "副主任医师"),
    ("邓", "志刚", "male", "主治医师"),
)
_OTHER_TOWNSHIPS = (
    ("白沙镇卫生院", "Baisha Town Health Centre"),
    ("石门乡卫生院", "Shimen Township Health Centre"),
)
_URGENCIES = (("routine", 50), ("urgent", 28), ("asap", 12), ("stat", 10))
_STATUSES = (
    ("requested", 22), ("received", 14), ("accepted", 16), ("in-progress", 12),
    ("completed", 20), ("rejected", 9), ("cancelled", 7),
)  # fmt: skip
_DECLINES = (
    (
        "manage-locally",
        N_("Can be managed at the township"),
        "建议在乡镇卫生院调整用药，两周后复诊",
    ),
    ("more-information", N_("More information needed"), "请补充近期化验及心电图结果"),
    ("wrong-department", N_("Wrong department"), "请转至相应专科"),
    ("no-capacity", N_("No capacity (beds or specialists)"), "本周床位已满，建议转市级医院"),
)
_MEDICATION_QUESTION = "目前用药剂量和服药依从性如何？"
_ALLERGY_QUESTION = "有无药物过敏史？"
_QUESTIONS = (
    ("最近一次血常规和肝肾功能结果？", "血红蛋白102 g/L，肌酐135 μmol/L，已拍照上传。"),
    (_MEDICATION_QUESTION, ""),  # answered from the patient's records (_thread)
    (_ALLERGY_QUESTION, ""),  # likewise
    ("症状持续多久？夜间能否平卧？", "约一周，夜间需垫高枕头。"),
    ("能否安排家属陪同来院？", ""),
)
_ADVICE = (
    "诊断明确，已调整降压方案：氨氯地平加量至10 mg qd，回乡镇卫生院每周测血压",
    "已完成检查，建议继续口服药物治疗，每月随访血糖、糖化血红蛋白",
    "手术顺利，切口愈合良好，回乡镇卫生院换药拆线",
    "病情稳定出院，低盐饮食，两周后复查肾功能",
)
_FOLLOW_UPS = (
    "测血压、询问头晕胸闷，记录于随访表",
    "复查空腹血糖，评估胰岛素剂量",
    "伤口换药，观察有无红肿渗液",
    "复查肾功能和电解质",
)

INBOX_MAX = 300
"""Referrals in the hospital's demo inbox (fewer for a small demo: one per five patients)."""


def inbox_size(patients: int) -> int:
    """How many inbox referrals a demo of `patients` gets: a fifth of them, 300 at most."""
    return max(6, min(INBOX_MAX, patients // 5))


def _coded(system: str, code: str, display: str, text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        concept["text"] = text
    return concept


@dataclass
class HospitalSide:
    """The hospital's departments and experts, the other townships, and the inbox's records."""

    departments: list[Resource] = field(default_factory=list)
    experts: list[Resource] = field(default_factory=list)
    roles: list[Resource] = field(default_factory=list)
    townships: list[Resource] = field(default_factory=list)
    records: list[Resource] = field(default_factory=list)
    elsewhere: list[Resource] = field(default_factory=list)
    """The records of the patients the other townships referred: those townships keep them
    (a seeded server holds them; the demo township's cache does not)."""

    def fixed(self) -> list[Resource]:
        """Organizations, practitioners and their roles."""
        return [*self.townships, *self.departments, *self.experts, *self.roles]


class HospitalBuilder:
    """Builds the hospital side for one demo (deterministic for its Random and `now`)."""

    def __init__(self, rng: DemoRandom, context: DemoContext, hospital: Resource) -> None:
        self.rng = rng
        self.context = context
        self.hospital = hospital
        self.side = HospitalSide()

    def _with_meta(self, resource: Resource) -> Resource:
        return {"resourceType": resource["resourceType"], "id": self.rng.new_id(),
                "meta": self.context.meta, **{k: v for k, v in resource.items()
                                              if k not in ("resourceType", "id")}}  # fmt: skip

    def units(self) -> None:
        """Departments, two experts each, and the other townships."""
        hospital_ref = reference(self.hospital, self.hospital["name"])
        for index, (name, code, english, _reasons) in enumerate(DEPARTMENTS):
            types: list[dict[str, Any]] = [
                {
                    "coding": [
                        {
                            "system": ORGANIZATION_TYPE,
                            "code": "dept",
                            "display": "Hospital Department",
                        }
                    ],
                    "text": "科室",
                }
            ]
            if code:
                types.append(_coded(SNOMED, code, english, name))
            department = self._with_meta(
                {
                    "resourceType": "Organization",
                    "active": True,
                    "type": types,
                    "name": name,
                    "alias": [english],
                    "partOf": hospital_ref,
                }
            )
            self.side.departments.append(department)
            for family, given, gender, title in (
                _EXPERTS[index % len(_EXPERTS)],
                _EXPERTS[(index + 4) % len(_EXPERTS)],
            ):
                expert = self._with_meta(
                    {
                        "resourceType": "Practitioner",
                        "active": True,
                        "name": [
                            {
                                "use": "official",
                                "text": family + given,
                                "family": family,
                                "given": [given],
                            }
                        ],
                        "gender": gender,
                        "qualification": [{"code": {"text": f"{name} {title}"}}],
                    }
                )
                self.side.experts.append(expert)
                role: Resource = {
                    "resourceType": "PractitionerRole",
                    "active": True,
                    "practitioner": reference(expert, family + given),
                    "organization": reference(department, name),
                    "code": [{"text": title}],
                }
                if code:
                    role["specialty"] = [_coded(SNOMED, code, english, name)]
                self.side.roles.append(self._with_meta(role))
        for name, alias in _OTHER_TOWNSHIPS:
            self.side.townships.append(
                self._with_meta(
                    {
                        "resourceType": "Organization",
                        "active": True,
                        "type": [
                            {
                                "coding": [{"system": ORGANIZATION_KIND, "code": "township"}],
                                "text": "乡镇卫生院",
                            }
                        ],
                        "name": name,
                        "alias": [alias],
                        "partOf": hospital_ref,
                    }
                )
            )

    def _ago(self, low: timedelta, high: timedelta) -> datetime:
        span = (high - low).total_seconds()
        return self.context.now - low - timedelta(seconds=self.rng.random() * span)

    @staticmethod
    def _stamp(moment: datetime) -> str:
        return moment.isoformat(timespec="seconds")

    def referral(
        self,
        patient: PatientFacts,
        township: dict[str, str],
        township_id: str,
        records: list[Resource],
    ) -> None:
        """One referral from `township` with its Task, thread and outcome; its summary states
        what the patient's `records` held on the referral's day."""
        rng = self.rng
        urgency = rng.choices([u for u, _ in _URGENCIES], weights=[w for _, w in _URGENCIES])[0]
        status = rng.choices([s for s, _ in _STATUSES], weights=[w for _, w in _STATUSES])[0]
        department = rng.choice(self.side.departments)
        name, code, english, reasons = DEPARTMENTS[self.side.departments.index(department)]
        if name == "儿科" and patient.age >= 14:
            department = self.side.departments[0]
            name, code, english, reasons = DEPARTMENTS[0]
        icd, reason = rng.choice(reasons)
        if status in ("requested", "received"):
            # Most wait hours; a tail waits days: urgent ones past the SLA show in the inbox.
            authored = self._ago(
                timedelta(minutes=8), timedelta(hours=30 if rng.random() < 0.8 else 96)
            )
        elif status in ("accepted", "in-progress"):
            authored = self._ago(timedelta(days=1), timedelta(days=10))
        else:
            authored = self._ago(timedelta(days=2), timedelta(days=30))
        moved = min(authored + timedelta(hours=rng.randint(1, 30)), self.context.now)
        hospital_ref = reference(self.hospital, self.hospital["name"])
        department_ref = reference(department, name)
        # Drawn as the made-up summary once drew them, so every later draw of the inbox
        # (statuses, threads, outcomes) stays what it was; the summary comes from the chart.
        for low, high in ((2, 15), (130, 178), (78, 104), (62, 112)):
            rng.randint(low, high)
        rng.choice(("", "", ""))
        summary = referral_summary(records, self._stamp(authored))
        request = self._with_meta(
            {
                "resourceType": "ServiceRequest",
                "status": "completed" if status == "completed" else
                          "revoked" if status == "cancelled" else "active",
                "intent": "order",
                "category": [
                    {
                        "coding": [
                            {"system": SERVICE_CATEGORY, "code": "referral", "display": "Referral"},
                            {"system": SNOMED, "code": "3457005", "display": "Patient referral"},
                        ],
                        "text": "转诊",
                    }
                ],
                "priority": urgency,
                "code": {"text": "转诊"},
                "subject": patient.ref,
                "authoredOn": self._stamp(authored),
                "requester": township,
                "performer": [hospital_ref, department_ref],
                "reasonCode": [_coded(ICD10, icd, reason, reason)],
                "note": [{"text": summary, "time": self._stamp(authored)}],
            }
        )  # fmt: skip
        if code:
            request["performerType"] = _coded(SNOMED, code, english, name)
        self.side.records.append(request)
        task: Resource = self._with_meta(
            {
                "resourceType": "Task",
                "status": status,
                "intent": "order",
                "priority": urgency,
                "code": {
                    "coding": [
                        {"system": TASK_CODE_SYSTEM, "code": "fulfill",
                         "display": "Fulfill the focal request"},
                        {"system": TASK_KIND_SYSTEM, "code": "referral", "display": "Referral"},
                    ]
                },
                "focus": reference(request),
                "for": patient.ref,
                "authoredOn": self._stamp(authored),
                "lastModified": self._stamp(authored if status == "requested" else moved),
                "requester": township,
                "owner": hospital_ref,
                "description": reason,
                "extension": [{"url": DEPARTMENT_EXTENSION, "valueReference": department_ref}],
            }
        )  # fmt: skip
        if status == "accepted":
            if rng.random() < 0.3:
                task["businessStatus"] = _coded(
                    BUSINESS_STATUS_SYSTEM, "teleconsultation", N_("Teleconsultation"), "远程会诊"
                )
            else:
                day = (self.context.now + timedelta(days=rng.randint(0, 7))).date()
                task["businessStatus"] = _coded(
                    BUSINESS_STATUS_SYSTEM, "appointment-booked", N_("Appointment booked"), "已预约"
                )
                task["restriction"] = {"period": {"start": day.isoformat()}}
        if status == "rejected":
            code_, display, text = rng.choice(_DECLINES)
            task["statusReason"] = _coded(DECLINE_REASON_SYSTEM, code_, display, text)
        if status == "completed":
            self._complete(task, township, moved)
        self.side.records.append(task)
        if status != "requested" and rng.random() < 0.4:
            self._thread(task, request, township_id, authored, moved, records)

    def _complete(self, task: Resource, township: dict[str, str], moved: datetime) -> None:
        rng = self.rng
        advice = rng.choice(_ADVICE)
        # A third due today (they show on the township's queue now), the rest later.
        days = 0 if rng.random() < 0.34 else rng.randint(1, 30)
        due = (self.context.now + timedelta(days=days)).date()
        follow_up = self._with_meta(
            {
                "resourceType": "Task",
                "status": "requested",
                "intent": "plan",
                "priority": "routine",
                "code": {
                    "coding": [
                        {"system": TASK_KIND_SYSTEM, "code": "follow-up", "display": "Follow-up"}
                    ],
                    "text": "随访",
                },
                "description": rng.choice(_FOLLOW_UPS),
                "partOf": [reference(task)],
                "basedOn": [task["focus"]],
                "for": task["for"],
                "authoredOn": self._stamp(moved),
                "lastModified": self._stamp(moved),
                "requester": reference(self.hospital, self.hospital["name"]),
                "owner": township,
                "restriction": {"period": {"end": due.isoformat()}},
            }
        )
        task["output"] = [
            {"type": _coded(OUTPUT_SYSTEM, "advice", "Advice"), "valueString": advice},
            {
                "type": _coded(OUTPUT_SYSTEM, "follow-up", "Follow-up"),
                "valueReference": reference(follow_up),
            },
        ]
        task["executionPeriod"] = {"end": self._stamp(moved)}
        task["businessStatus"] = _coded(
            BUSINESS_STATUS_SYSTEM, "follow-up-planned", N_("Follow-up planned"), "已安排随访"
        )
        self.side.records.append(follow_up)

    def _thread(
        self,
        task: Resource,
        request: Resource,
        township_id: str,
        authored: datetime,
        moved: datetime,
        records: list[Resource],
    ) -> None:
        rng = self.rng
        question, answer = rng.choice(_QUESTIONS)
        asked = authored + (moved - authored) / 3
        # What the township answers of its own records says what those records say.
        if question == _ALLERGY_QUESTION:
            answer = drug_allergy_answer(records, self._stamp(asked))
        elif question == _MEDICATION_QUESTION:
            answer = medication_answer(records, self._stamp(asked))
        about = [reference(request), reference(task)]
        hospital_id = str(self.hospital["id"])

        def message(kind: str, text: str, sent: datetime, sender: str, to: str) -> Resource:
            return self._with_meta(
                {
                    "resourceType": "Communication",
                    "status": "completed",
                    "category": [_coded(MESSAGE_SYSTEM, kind, kind.title())],
                    "subject": task["for"],
                    "about": about,
                    "sent": self._stamp(sent),
                    "sender": {"reference": f"Organization/{sender}"},
                    "recipient": [{"reference": f"Organization/{to}"}],
                    "payload": [{"contentString": text}],
                }
            )

        first = message("question", question, asked, hospital_id, township_id)
        self.side.records.append(first)
        if answer:
            reply = message("answer", answer, asked + (moved - asked) / 2, township_id, hospital_id)
            reply["inResponseTo"] = [reference(first)]
            self.side.records.append(reply)


def _history_elsewhere(
    rng: DemoRandom, context: DemoContext, patient: Resource, facts: PatientFacts, years: int
) -> list[Resource]:
    """The records another township keeps of `patient`, from a Random of their own (seeded by
    the patient's id) so the inbox's own draws stay as they were."""
    own = DemoRandom(uuid.UUID(str(patient["id"])).int, rng.stamp)
    return build_history(own, context, facts, years).resources


def build_hospital_side(
    rng: DemoRandom,
    context: DemoContext,
    hospital: Resource,
    township_patients: list[tuple[PatientFacts, list[Resource]]],
    patients: int,
    count: int | None = None,
    history_years: int = DEFAULT_HISTORY_YEARS,
) -> HospitalSide:
    """The hospital's units and an inbox of `count` referrals (default: inbox_size(patients)):
    half from the demo township's `township_patients` (each with its records), the rest from
    patients of the two other townships (made here, with `history_years` of records in
    `elsewhere`)."""
    builder = HospitalBuilder(rng, context, hospital)
    builder.units()
    total = inbox_size(patients) if count is None else count
    own = min(len(township_patients), total // 2)
    others = builder.side.townships
    for index in range(total):
        # One id stream per referral: a stream hands out at most 4095 ids.
        builder.rng = DemoRandom(rng.getrandbits(64), rng.stamp)
        if index < own:
            township_id = context.township["reference"].split("/")[-1]
            facts, records = township_patients[index]
            builder.referral(facts, context.township, township_id, records)
            continue
        township = others[index % len(others)]
        township_ref = reference(township, township["name"])
        local = replace(context, township=township_ref)
        patient, facts = build_patient(builder.rng, local)
        builder.side.records.append(patient)
        history = _history_elsewhere(builder.rng, local, patient, facts, history_years)
        builder.side.elsewhere.extend(history)
        builder.referral(facts, township_ref, str(township["id"]), history)
    return builder.side
