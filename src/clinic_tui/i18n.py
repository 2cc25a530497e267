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
    "Wait": "候诊时间",
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


# Textual's own key descriptions (DataTable, scrolling, Input), shown in `?` help and the palette.
_ZH.update(
    {
        "Select": "选择",
        "Cursor up": "上移",
        "Cursor down": "下移",
        "Cursor right": "右移",
        "Cursor left": "左移",
        "Page up": "上一页",
        "Page down": "下一页",
        "Top": "到顶部",
        "Bottom": "到底部",
        "Home": "首行",
        "End": "末行",
        "First": "第一项",  # OptionList's home / end (the status dialog, lists in forms)
        "Last": "最后一项",
        "Scroll Up": "向上滚动",
        "Scroll Down": "向下滚动",
        "Scroll Left": "向左滚动",
        "Scroll Right": "向右滚动",
        "Scroll Home": "滚动到开头",
        "Scroll End": "滚动到末尾",
        "Page Up": "上一页",
        "Page Down": "下一页",
        "Page Left": "向左翻页",
        "Page Right": "向右翻页",
        "Focus Next": "下一项",
        "Focus Previous": "上一项",
        "Copy selected text": "复制所选文字",
        "Move cursor left": "光标左移",
        "Move cursor right or accept the completion suggestion": "光标右移或接受补全",
        "Move cursor left a word": "光标左移一个词",
        "Move cursor right a word": "光标右移一个词",
        "Delete character left": "删除左侧字符",
        "Delete character right": "删除右侧字符",
        "Select all": "全选",
        "Go to start": "到开头",
        "Go to end": "到末尾",
        "Submit": "提交",
        "Cut selected text": "剪切所选文字",
        "Paste text from the clipboard": "粘贴",
        "palette": "命令面板",
        # The queue table's j/k and the help screen's last line.
        "Down": "下移",
        "Up": "上移",
        "Commands": "命令",
    }
)


def in_chinese(text: str) -> str:
    """The Chinese of `text` whatever the language in force (itself when there is none)."""
    return _ZH.get(text, text)


def add_translations(entries: dict[str, str]) -> None:
    """Register Chinese for English phrases (a screen calls this beside its own strings)."""
    _ZH.update(entries)


def tr(text: str) -> str:
    """`text` in the current language (English when no translation exists)."""
    if _language == "zh":
        return _ZH.get(text, text)
    return text
