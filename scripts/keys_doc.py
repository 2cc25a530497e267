"""The keys of every screen, read from the screens' BINDINGS, as the clinician guide's tables
(docs/clinician/keys-en.md, keys-zh.md) and as a one-page A4 key card per language (PDF).

    python scripts/keys_doc.py markdown            # writes the two pages (`make keys-doc`)
    python scripts/keys_doc.py check               # exit 1 when the pages are stale
    python scripts/keys_doc.py keycard [--out DIR] # build/keycard/keycard-{en,zh}.pdf

The keys are grouped as the `?` help groups them (screens/help.py): each screen's own
actions, then moving around, and once for all screens the keys that work everywhere
(the app's bindings, help and the command palette). A Screen in clinic_tui.screens that
declares BINDINGS and is missing from SCREENS below stops the script, so a new screen
cannot go undocumented. The card uses the slips' PDF library and CJK font
(prescribing/slip.py).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "clinician"
PAGES = {"en": DOCS / "keys-en.md", "zh": DOCS / "keys-zh.md"}
KEYCARD_DIR = ROOT / "build" / "keycard"


@dataclass(frozen=True)
class ScreenSpec:
    """One screen (or dialog) of the guide: its title and the classes whose keys it has."""

    key: str
    title_en: str
    title_zh: str
    classes: tuple[str, ...]
    """'module:Class' under clinic_tui; their BINDINGS and those of their own base classes."""
    framework: tuple[str, ...] = ()
    """Textual widgets on the screen whose moving keys (arrows, paging) help lists."""
    on_card: bool = False


SCREENS: tuple[ScreenSpec, ...] = (
    ScreenSpec(
        "queue",
        "Queue",
        "候诊队列",
        ("screens.queue:QueueScreen", "widgets.queue_table:QueueTable"),
        ("textual.widgets:DataTable",),
        on_card=True,
    ),
    ScreenSpec(
        "status",
        "Queue: change status (s)",
        "候诊队列：更改状态 (s)",
        ("screens.queue_status:StatusScreen",),
    ),
    ScreenSpec(
        "search",
        "Patient search (/)",
        "患者搜索 (/)",
        ("screens.patient_search:PatientSearchScreen", "screens.patient_search:ResultsTable"),
        ("textual.widgets:DataTable",),
    ),
    ScreenSpec(
        "walk-in",
        "Walk-in: find the patient (r)",
        "现场挂号：查找患者 (r)",
        ("screens.walk_in:WalkInSearchScreen", "screens.patient_search:ResultsTable"),
        ("textual.widgets:DataTable",),
        on_card=True,
    ),
    ScreenSpec(
        "walk-in-form",
        "Walk-in: new patient form",
        "现场挂号：新患者表单",
        ("screens.walk_in:WalkInScreen",),
    ),
    ScreenSpec(
        "duplicate",
        "Walk-in: this patient may be on file",
        "现场挂号：可能已有此患者",
        ("screens.walk_in_dialogs:DuplicateScreen",),
    ),
    ScreenSpec(
        "chart",
        "Chart",
        "病历",
        ("screens.chart:ChartScreen", "widgets.chart_sections:ChartSection"),
        on_card=True,
    ),
    ScreenSpec(
        "forms",
        "Chart forms (diagnosis, allergy, vital signs, note, complaint, contact details)",
        "病历表单（诊断、过敏、生命体征、病程记录、主诉、联系方式）",
        ("screens.chart_form:ChartForm", "widgets.text_box:TextBox"),
        on_card=True,
    ),
    ScreenSpec(
        "history",
        "Visit history (h)",
        "就诊历史 (h)",
        ("screens.visit_history:VisitHistoryScreen",),
    ),
    ScreenSpec(
        "order",
        "Order screen: writing a prescription (m)",
        "开处方 (m)",
        (
            "screens.prescription:PrescriptionScreen",
            "screens.order_input:OrderInput",
            "screens.prescription:BasketList",
            "screens.prescription:ActiveList",
        ),
        on_card=True,
    ),
    ScreenSpec(
        "override",
        "Order screen: override a warning",
        "开处方：忽略警示",
        ("screens.prescription_dialogs:OverrideDialog",),
    ),
    ScreenSpec(
        "stop",
        "Order screen: stop a medicine",
        "开处方：停药",
        ("screens.prescription_dialogs:StopDialog",),
    ),
    ScreenSpec(
        "referrals",
        "Referrals list (R)",
        "转诊列表 (R)",
        ("screens.referrals:ReferralsScreen",),
        ("textual.widgets:DataTable",),
    ),
    ScreenSpec(
        "referral",
        "One referral",
        "转诊详情",
        ("screens.referrals:ReferralScreen",),
        on_card=True,
    ),
    ScreenSpec(
        "follow-ups",
        "Follow-ups due (F)",
        "到期随访 (F)",
        ("screens.follow_ups:FollowUpsScreen",),
        ("textual.widgets:DataTable",),
    ),
    ScreenSpec(
        "chronic",
        "Chronic follow-up list (v)",
        "慢病随访名单 (v)",
        ("screens.followup_list:FollowUpListScreen",),
        ("textual.widgets:DataTable",),
        on_card=True,
    ),
    ScreenSpec(
        "chronic-filter",
        "Chronic follow-up list: filter (f)",
        "慢病随访名单：筛选 (f)",
        ("screens.followup_dialogs:FilterForm",),
    ),
    ScreenSpec(
        "triage",
        "Triage inbox (hospital experts)",
        "分诊收件箱（医院专家）",
        ("screens.triage:TriageScreen", "widgets.inbox_table:InboxTable"),
        ("textual.widgets:DataTable",),
        on_card=True,
    ),
    ScreenSpec(
        "conflicts",
        "Conflicts (c)",
        "同步冲突 (c)",
        ("screens.conflicts:ConflictsScreen", "screens.conflicts:FieldChoices"),
        on_card=True,
    ),
    ScreenSpec(
        "conflict-editor",
        "Conflicts: edit the record's data",
        "同步冲突：编辑记录数据",
        ("screens.conflict_editor:ConflictEditor",),
    ),
    ScreenSpec(
        "confirm",
        "Questions (yes / no)",
        "确认（是 / 否）",
        ("screens.discard_dialog:ConfirmScreen", "screens.walk_in_dialogs:ConfirmScreen"),
    ),
    ScreenSpec(
        "lock",
        "Sign-in and lock screen",
        "登录与锁屏",
        ("screens.lock:LockScreen",),
    ),
    ScreenSpec(
        "help",
        "Help (? or F1)",
        "帮助 (? 或 F1)",
        ("screens.help:HelpScreen",),
    ),
)

UNNAMED = {
    "lock:clear": ("Empty the PIN field", "清空 PIN"),
    "lock:choose(-1)": ("Previous clinician", "上一位医生"),
    "lock:choose(1)": ("Next clinician", "下一位医生"),
    "lock:submit": ("Sign in (Enter)", "登录（回车）"),
    "search:cursor_up_or_leave": (
        "Up (from the first row: back to the search)",
        "上移（首行时回到搜索框）",
    ),
    "walk-in:cursor_up_or_leave": (
        "Up (from the first row: back to the search)",
        "上移（首行时回到搜索框）",
    ),
}
"""Words for keys the code binds without a description (help does not list those)."""

TITLES = {
    "en": {
        "page": "Keys, screen by screen",
        "everywhere": "Everywhere",
        "screen": "This screen",
        "moving": "Moving around",
        "key": "Key",
        "action": "Action",
        "card": "clinic-tui keys",
    },
    "zh": {
        "page": "各屏幕快捷键",
        "everywhere": "任何屏幕",
        "screen": "本屏",
        "moving": "移动",
        "key": "按键",
        "action": "功能",
        "card": "clinic-tui 快捷键",
    },
}

NOTES = {
    "en": (
        "Generated by `scripts/keys_doc.py` from the screens' key bindings (`make keys-doc`); "
        "do not edit by hand: a test fails when this page and the code differ.\n\n"
        "`^` is Ctrl (`^s` = Ctrl+S). Keys the footer has no room for are still on this "
        "page and in `?` help. The keys that work everywhere are listed once, "
        "[first](#everywhere)."
    ),
    "zh": (
        "本页由 `scripts/keys_doc.py` 根据各屏幕代码中的按键绑定生成（`make keys-doc`），"
        "请勿手工修改：本页与代码不一致时测试会失败。\n\n"
        "`^` 表示 Ctrl（`^s` 即 Ctrl+S）。底栏放不下的按键也都列在本页和 `?` 帮助中。"
        "任何屏幕都可用的按键只列一次，见[最前面](#任何屏幕)。"
    ),
}


@dataclass
class KeyLine:
    """One action with all its keys, in English and Chinese."""

    keys: list[str]
    en: str
    zh: str
    action: str


@dataclass
class ScreenKeys:
    """A screen's own keys and its moving keys."""

    spec: ScreenSpec
    own: list[KeyLine] = field(default_factory=list)
    moving: list[KeyLine] = field(default_factory=list)


def _import(path: str) -> type:
    module, name = path.split(":")
    full = module if module.startswith("textual") else f"clinic_tui.{module}"
    found: type = getattr(importlib.import_module(full), name)
    return found


def _all_modules() -> None:
    """Import every screen and widget module, so each registers its Chinese words."""
    import clinic_tui.screens
    import clinic_tui.widgets

    for package in (clinic_tui.screens, clinic_tui.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")


def undocumented_screens() -> list[str]:
    """Screens that declare keys but are in no ScreenSpec (the guide would miss them)."""
    from textual.screen import Screen

    import clinic_tui.screens

    listed = {path for spec in SCREENS for path in spec.classes}
    missing = []
    for info in pkgutil.iter_modules(clinic_tui.screens.__path__):
        module = importlib.import_module(f"clinic_tui.screens.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            own = cls.__module__ == module.__name__ and "BINDINGS" in cls.__dict__
            if not own or not issubclass(cls, Screen) or f"screens.{info.name}:{name}" in listed:
                continue
            # A mixin whose keys a listed screen inherits is documented through it.
            if not any(issubclass(_import(p), cls) for p in listed if p.startswith("screens")):
                missing.append(f"clinic_tui.screens.{info.name}.{name}")
    return missing


def _bindings(cls: type, *, ours: bool) -> Iterable[object]:
    """BINDINGS of `cls` and its bases, nearest first (ours: clinic_tui classes only)."""
    for base in cls.__mro__:
        if ours != base.__module__.startswith("clinic_tui"):
            continue
        yield from base.__dict__.get("BINDINGS", ())


def key_display(key: str, key_shown: str | None = None) -> str:
    """A key as the footer and help show it (Textual's App.get_key_display): `^s`, `?`."""
    from textual.keys import format_key

    if key_shown:
        return key_shown
    *modifiers, name = key.split("+")
    shown = format_key(name)
    if "ctrl" in modifiers:
        modifiers.remove("ctrl")
        shown = f"^{shown}"
    return "+".join([*modifiers, shown])


def _add(
    lines: dict[str, KeyLine], key: str, en: str, zh: str, action: str, *, yields: bool = False
) -> None:
    """Add `key` to the line of `action`; a key that `yields` is left out where another
    action already has it (a table's own Enter or arrows under the screen's)."""
    if yields and any(key in line.keys for name, line in lines.items() if name != action):
        return
    line = lines.get(action)
    if line is None:
        lines[action] = KeyLine([key], en, zh, action)
    elif key not in line.keys:
        line.keys.append(key)


def _words(description: str) -> tuple[str, str]:
    """English and Chinese of a binding's words, through the app's own translations."""
    from clinic_tui.i18n import language, set_language, tr
    from clinic_tui.screens.help import _RENAMED

    english = _RENAMED.get(description, description)
    before = language()
    set_language("zh")
    try:
        chinese = tr(english)
    finally:
        set_language(before)
    return english, chinese


def screen_keys(spec: ScreenSpec) -> ScreenKeys:
    """The keys of one screen, as `?` help lists them there."""
    from textual.binding import Binding

    from clinic_tui.screens.help import CHOOSE_ACTIONS, HIDDEN_ACTIONS, MOVEMENT_ACTIONS

    own: dict[str, KeyLine] = {}
    moving: dict[str, KeyLine] = {}
    sources: list[tuple[type, bool]] = [(_import(p), True) for p in spec.classes]
    sources += [(_import(p), False) for p in spec.framework]
    for cls, ours in sources:
        for binding in _bindings(cls, ours=ours):
            if not isinstance(binding, Binding):
                continue
            action = binding.action
            if binding.system or (action in HIDDEN_ACTIONS and spec.key != "help"):
                continue
            if not ours and action not in MOVEMENT_ACTIONS and action not in CHOOSE_ACTIONS:
                continue
            raw = binding.tooltip or binding.description
            unnamed = UNNAMED.get(f"{spec.key}:{action}")
            if unnamed is not None:
                en, zh = unnamed
            elif raw:
                en, zh = _words(raw)
            else:
                raise SystemExit(f"{cls.__name__}: key {binding.key!r} has no words")
            for key in binding.key.split(","):
                shown = key_display(key.strip(), binding.key_display)
                target = moving if action in MOVEMENT_ACTIONS else own
                yields = not ours or action in CHOOSE_ACTIONS
                _add(target, shown, en, zh, action, yields=yields)
    moving_lines = sorted(moving.values(), key=lambda line: MOVEMENT_ACTIONS.index(line.action))
    return ScreenKeys(spec, list(own.values()), moving_lines)


def everywhere() -> list[KeyLine]:
    """The app's keys (every screen), then help and the command palette."""
    from textual.binding import Binding

    from clinic_tui.app import ClinicApp

    lines: dict[str, KeyLine] = {}
    for binding in ClinicApp.BINDINGS:
        if isinstance(binding, Binding) and binding.action != "help":
            en, zh = _words(binding.description)
            _add(lines, key_display(binding.key), en, zh, binding.action)
    help_en, help_zh = _words("Help")
    palette_en, palette_zh = _words("Commands")
    from clinic_tui.widgets.key_footer import HELP_KEY_IN_TEXT

    lines["help"] = KeyLine(["?", HELP_KEY_IN_TEXT], help_en, help_zh, "help")
    lines["palette"] = KeyLine([key_display("ctrl+p")], palette_en, palette_zh, "palette")
    return list(lines.values())


def all_keys() -> tuple[list[KeyLine], list[ScreenKeys]]:
    """Everywhere's keys and each screen's, read from the code."""
    _all_modules()
    missing = undocumented_screens()
    if missing:
        raise SystemExit(
            "screens with keys the guide does not list (add them to SCREENS in "
            f"scripts/keys_doc.py): {', '.join(missing)}"
        )
    return everywhere(), [screen_keys(spec) for spec in SCREENS]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(key: str) -> str:
    return f"`` {key} ``" if "`" in key else f"`{key}`"


def _table(lines: Sequence[KeyLine], lang: str) -> list[str]:
    words = TITLES[lang]
    rows = [f"| {words['key']} | {words['action']} |", "|---|---|"]
    for line in lines:
        keys = " / ".join(_code(key) for key in line.keys)
        rows.append(f"| {keys} | {_cell(line.en if lang == 'en' else line.zh)} |")
    return rows


def _title(spec: ScreenSpec, lang: str) -> str:
    return spec.title_en if lang == "en" else spec.title_zh


def markdown(lang: str) -> str:
    """The keys page in `lang` ("en" or "zh")."""
    common, screens = all_keys()
    words = TITLES[lang]
    out = [f"# {words['page']}", "", NOTES[lang], "", f"## {words['everywhere']}", ""]
    out += [*_table(common, lang), ""]
    for keys in screens:
        out += [f"## {_title(keys.spec, lang)}", ""]
        if keys.own:
            out += [*_table(keys.own, lang), ""]
        if keys.moving:
            out += [f"{words['moving']}:", "", *_table(keys.moving, lang), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def stale_pages() -> list[Path]:
    """The generated pages that differ from what the code says now."""
    return [
        path
        for lang, path in PAGES.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != markdown(lang)
    ]


# ----- the key card ---------------------------------------------------------------------------

A4_MM = (210.0, 297.0)
MARGIN = 10.0
GAP = 6.0


def keycard(lang: str, path: Path) -> Path:
    """One A4 page: the keys of every screen on the card, in two columns."""
    from fpdf import FPDF

    from clinic_tui.prescribing.slip import slip_font

    common, screens = all_keys()
    words = TITLES[lang]
    blocks: list[tuple[str, list[KeyLine]]] = [(words["everywhere"], common)]
    for keys in screens:
        if keys.spec.on_card:
            blocks.append((_title(keys.spec, lang), keys.own + keys.moving))
    font_path, face = slip_font()
    pdf = FPDF(orientation="P", unit="mm", format=A4_MM)
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", "", str(font_path), collection_font_number=face)
    pdf.set_title(words["card"])
    pdf.set_creator("clinic-tui")
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.add_page()
    # The largest type that fits one page: the card is pinned beside the screen.
    size = next((s for s in CARD_SIZES if _lay_out(pdf, blocks, lang, s, draw=False)), None)
    if size is None:
        raise SystemExit(f"the {lang} key card does not fit one A4 page")
    pdf.set_font("cjk", size=size + 6)
    pdf.set_xy(MARGIN, MARGIN)
    pdf.cell(w=A4_MM[0] - 2 * MARGIN, h=8, text=words["card"])
    _lay_out(pdf, blocks, lang, size, draw=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


CARD_SIZES = (10.0, 9.5, 9.0, 8.5, 8.0, 7.5, 7.0, 6.5, 6.0)
"""Type sizes tried, largest first."""


def _lay_out(
    pdf: FPDF, blocks: list[tuple[str, list[KeyLine]]], lang: str, size: float, *, draw: bool
) -> bool:
    """Place the blocks in two columns at `size` pt (drawing them when `draw`); False when
    they do not fit the page."""
    width = (A4_MM[0] - 2 * MARGIN - GAP) / 2
    key_width = width * 0.3
    line = size * 0.45
    top, bottom = MARGIN + 11, A4_MM[1] - MARGIN
    column, y = 0, top
    for heading, lines in blocks:
        pdf.set_font("cjk", size=size)
        heights = [
            line * _line_count(pdf, width - key_width, line, _line_text(k, lang)) for k in lines
        ]
        if y + line * 2.2 + sum(heights) > bottom:
            if column == 1:
                return False
            column, y = 1, top
        x = MARGIN + column * (width + GAP)
        if draw:
            pdf.set_font("cjk", size=size + 1)
            pdf.set_fill_color(225, 225, 225)
            pdf.set_xy(x, y)
            if pdf.get_string_width(heading) > width:  # the card keeps a long title's first part
                heading = heading.replace("（", " (").split(" (")[0]
            pdf.cell(w=width, h=line * 1.4, text=heading, fill=True)
        y += line * 1.6
        for key_line, height in zip(lines, heights, strict=True):
            if draw:
                pdf.set_font("cjk", size=size)
                pdf.set_xy(x, y)
                pdf.cell(w=key_width, h=line, text=" / ".join(key_line.keys))
                pdf.set_xy(x + key_width, y)
                pdf.multi_cell(w=width - key_width, h=line, text=_line_text(key_line, lang))
            y += height
        y += line * 0.6
    return True


def _line_count(pdf: FPDF, width: float, height: float, text: str) -> int:
    """How many lines `text` takes in a cell `width` wide (measured, nothing drawn)."""
    wrapped = pdf.multi_cell(w=width, h=height, text=text, dry_run=True, output="LINES")
    return len(wrapped) if isinstance(wrapped, list) else 1


def _line_text(line: KeyLine, lang: str) -> str:
    return line.en if lang == "en" else line.zh


def main(argv: Sequence[str] | None = None) -> int:
    """Write the pages, check them, or build the key cards."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("markdown", help="write docs/clinician/keys-en.md and keys-zh.md")
    sub.add_parser("check", help="exit 1 when the keys pages differ from the code")
    card = sub.add_parser("keycard", help="build the A4 key cards (PDF, en and zh)")
    card.add_argument("--out", type=Path, default=KEYCARD_DIR)
    args = parser.parse_args(argv)
    if args.command == "markdown":
        for lang, path in PAGES.items():
            path.write_text(markdown(lang), encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if args.command == "check":
        stale = stale_pages()
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale: run `make keys-doc`", file=sys.stderr)
        return 1 if stale else 0
    for lang in ("en", "zh"):
        written = keycard(lang, args.out / f"keycard-{lang}.pdf")
        print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
