"""Labels in English or Simplified Chinese, with the clinical terms of shared/GLOSSARY.md.

English text is the key; `tr()` returns the Chinese where the language is "zh"
and a translation exists, else the English. Screens register their own phrases
with `add_translations` beside the code that uses them.
"""

from __future__ import annotations

_language = "en"

_ZH: dict[str, str] = {
    # Queue
    "Queue": "候诊队列",
    "Waiting": "候诊",
    "In consultation": "就诊中",
    "Done": "已完成",
    "Left": "未就诊离开",
    "Call next": "叫号",
    "Walk-in": "现场挂号",
    "Chief complaint": "主诉",
    "Waiting time": "候诊时间",
    "Emergency": "急诊",
    "Urgent": "紧急",
    "Routine": "普通",
    "Priority": "优先级",
    "Status": "状态",
    "No.": "号",
    "Name": "姓名",
    "Sex/Age": "性别/年龄",
    "Wait": "候诊",
    "Search": "搜索",
    "Undo": "撤销",
    "Help": "帮助",
    "Quit": "退出",
    "Open chart": "打开病历",
    "Change status": "更改状态",
    # Chart
    "Chart": "病历",
    "Allergies": "过敏史",
    "No known allergies": "无已知过敏",
    "Allergies not recorded": "过敏史未记录",
    "Problems": "诊断 / 问题列表",
    "Vital signs": "生命体征",
    "Blood pressure": "血压",
    "Heart rate": "心率",
    "Temperature": "体温",
    "Respiratory rate": "呼吸频率",
    "Oxygen saturation": "血氧饱和度",
    "Body weight": "体重",
    "Body height": "身高",
    "BMI": "体重指数",
    "Active medications": "当前用药",
    "Visits": "就诊记录",
    "Back": "返回",
    # Patients
    "Male": "男",
    "Female": "女",
    "Other": "其他",
    "Unknown": "未知",
    "Identity number": "身份证号",
    "Phone": "电话",
    "Birth date": "出生日期",
    "Sex": "性别",
    "Save": "保存",
    "Cancel": "取消",
    # Sync
    "Offline": "离线",
    "pending": "待同步",
    "Unsynced": "未同步",
}


def set_language(language: str) -> None:
    """Choose the label language for this process: "en" or "zh"."""
    global _language
    _language = language


def language() -> str:
    """The label language in force."""
    return _language


def add_translations(entries: dict[str, str]) -> None:
    """Register Chinese for English phrases (a screen calls this beside its own strings)."""
    _ZH.update(entries)


def tr(text: str) -> str:
    """`text` in the current language (English when no translation exists)."""
    if _language == "zh":
        return _ZH.get(text, text)
    return text
