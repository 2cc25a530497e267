"""The `?` help: the keys of the screen in front, in the clinician's words, then moving around,
then the keys that work everywhere.

Textual's own keys that a clinician never needs (sideways cursor and paging, copying
selected text, text-editing keys of an input field) are left out, and each action is
listed once with all its keys. The list scrolls with the arrows and says which lines
are on display, so at 80x24 it is clear when there is more.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from clinic_tui.i18n import N_, tr
from clinic_tui.widgets.key_footer import KeyFooter

HIDDEN_ACTIONS = frozenset(
    {
        "cursor_left",
        "cursor_right",
        "scroll_left",
        "scroll_right",
        "page_left",
        "page_right",
        "screen.copy_text",
        "app.copy_text",
        "copy_text",
        "command_palette",
        "app.command_palette",
        "help_quit",
        "app.help",
        "help",
        "dismiss_help",
    }
)
"""Framework keys a clinician never needs, and the help keys (listed once, by hand)."""

MOVEMENT_ACTIONS = (
    "cursor_up",
    "cursor_down",
    "first",
    "last",
    "scroll_top",
    "scroll_bottom",
    "scroll_home",
    "scroll_end",
    "page_up",
    "page_down",
    "scroll_up",
    "scroll_down",
    "app.focus_next",
    "app.focus_previous",
)
"""Moving the cursor, scrolling and moving between fields, in the order help lists them."""

_FOCUS_ACTIONS = frozenset({"app.focus_next", "app.focus_previous"})

_RENAMED = {"Focus Next": N_("Next field"), "Focus Previous": N_("Previous field")}
"""Textual's descriptions that read badly to a clinician, and what help says instead."""

_AROUND_THE_LIST = 6
"""Rows the help takes besides its list: border 2, title, position line, footer, margin."""
_LEAST_LINES = 5

CHOOSE_ACTIONS = frozenset({"select", "select_cursor"})
"""Enter on a list: the one framework key that is the screen's own action."""


@dataclass
class KeyLine:
    """One action with every key that does it."""

    keys: list[str]
    description: str
    action: str
    bindings: list[Binding] = field(default_factory=list)

    @property
    def key_text(self) -> str:
        """The keys as help shows them: '↑ / k'."""
        return " / ".join(self.keys)


@dataclass
class KeySection:
    """A titled group of key lines."""

    title: str
    lines: list[KeyLine]
    kind: str = "screen"
    """'screen', 'moving' or 'everywhere'."""


def _framework_node(node: object) -> bool:
    return type(node).__module__.startswith("textual.")


def _inherited_from_textual(node: object, binding: Binding) -> bool:
    """A key a widget of ours inherits from Textual's (the order line's text-editing keys)."""
    if _framework_node(node):
        return True
    for cls in type(node).__mro__:
        if cls.__module__.startswith("textual."):
            continue
        for declared in cls.__dict__.get("BINDINGS", ()):
            if (
                isinstance(declared, Binding)
                and declared.action == binding.action
                and declared.description == binding.description
            ):
                return False
    return True


def _add(lines: dict[str, KeyLine], key: str, description: str, binding: Binding) -> None:
    line = lines.get(binding.action)
    if line is None:
        lines[binding.action] = KeyLine([key], description, binding.action, [binding])
    elif key not in line.keys:
        line.keys.append(key)
        line.bindings.append(binding)


def key_sections(screen: Screen[object]) -> list[KeySection]:
    """The keys active on `screen`, grouped: this screen's, moving around, everywhere."""
    app = screen.app
    own: dict[str, KeyLine] = {}
    moving: dict[str, KeyLine] = {}
    everywhere: dict[str, KeyLine] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.system or binding.action in HIDDEN_ACTIONS:
            continue
        if binding.action in _FOCUS_ACTIONS and len(screen.focus_chain) < 2:
            continue  # nothing else to move to: a key listed must do something
        # A footer word kept short for 80 columns ("Rx") is said whole in help (its tooltip).
        raw = binding.tooltip or binding.description or binding.action.replace("_", " ")
        description = tr(_RENAMED.get(raw, raw))
        key = app.get_key_display(binding)
        if binding.action in MOVEMENT_ACTIONS:
            _add(moving, key, description, binding)
        elif active.node is app:
            _add(everywhere, key, description, binding)
        elif _inherited_from_textual(active.node, binding) and binding.action not in CHOOSE_ACTIONS:
            continue  # an input field's editing keys, and the like
        else:
            _add(own, key, description, binding)
    # A screen may name keys of its parts the cursor is not in (the order screen's basket
    # while a line is typed): help lists every key of the screen, wherever the cursor is.
    for binding in getattr(screen, "help_bindings", list)():
        if binding.action not in HIDDEN_ACTIONS:
            raw = binding.tooltip or binding.description
            _add(own, app.get_key_display(binding), tr(_RENAMED.get(raw, raw)), binding)
    if isinstance(screen, ModalScreen):
        # A dialog passes on only the app's priority keys; list those that reach it.
        for _key, binding in app._bindings:
            if binding.priority and binding.action not in HIDDEN_ACTIONS:
                _add(everywhere, app.get_key_display(binding), tr(binding.description), binding)
    help_line = KeyLine(["?", "F1"], tr("Help"), "help")
    palette = KeyLine([app.get_key_display(Binding("ctrl+p", ""))], tr("Commands"), "palette")
    # The screen's own actions in footer order first, then the keys the footer has no room for.
    own_lines = sorted(own.values(), key=lambda line: not any(b.show for b in line.bindings))
    moving_lines = sorted(moving.values(), key=lambda line: MOVEMENT_ACTIONS.index(line.action))
    sections = [
        KeySection(tr("This screen"), own_lines, "screen"),
        KeySection(tr("Moving around"), moving_lines, "moving"),
        KeySection(tr("Everywhere"), [*everywhere.values(), help_line, palette], "everywhere"),
    ]
    return [section for section in sections if section.lines]


def keys_table(sections: list[KeySection]) -> Table:
    """Sections as one two-column table, each under its bold title."""
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False, expand=True)
    table.add_column(no_wrap=True, min_width=12)
    table.add_column(ratio=1)
    for index, section in enumerate(sections):
        if index:
            table.add_row("", "")
        table.add_row(Text(section.title, style="bold underline"), "")
        for line in section.lines:
            table.add_row(Text(line.key_text, style="bold"), line.description)
    return table


class HelpScreen(ModalScreen[None]):
    """The keys of the screen underneath; arrows scroll, Esc, q or ? closes."""

    BINDINGS = [
        Binding("escape", "dismiss_help", tr("Close")),
        Binding("q", "dismiss_help", tr("Close"), show=False),
        Binding("question_mark", "dismiss_help", tr("Close"), show=False),
    ]

    def __init__(self, sections: list[KeySection], title: str | None = None) -> None:
        super().__init__()
        self.sections = sections
        self.title_text = title or tr("Keys")

    @property
    def keys(self) -> list[tuple[str, str]]:
        """(key, description) of every key listed, each key on its own."""
        return [
            (key, line.description)
            for section in self.sections
            for line in section.lines
            for key in line.keys
        ]

    @property
    def line_count(self) -> int:
        """Lines of the list: titles, keys and the blank line between sections."""
        return sum(len(section.lines) + 1 for section in self.sections) + len(self.sections) - 1

    def compose(self) -> ComposeResult:
        """A title, the scrolling list of keys, and a line saying which part is on display."""
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            with VerticalScroll(id="help-keys"):
                yield Static(keys_table(self.sections), id="help-table")
            yield Static(id="help-position")
        yield KeyFooter(compact=True, help_key=False)  # F1 here would do nothing

    def on_mount(self) -> None:
        """Arrows scroll the list at once; the position line follows the scrolling."""
        scroll = self.query_one("#help-keys", VerticalScroll)
        scroll.focus()
        self._fit()
        self.watch(scroll, "scroll_y", self._show_position, init=False)
        self.call_after_refresh(self._show_position)

    def _show_position(self, _value: object = None) -> None:
        scroll = self.query_one("#help-keys", VerticalScroll)
        total = self.line_count
        shown = scroll.scrollable_content_region.height
        first = round(scroll.scroll_y) + 1
        last = min(total, first + shown - 1)
        if shown >= total or shown <= 0:
            text = tr("All {total} lines shown · Esc closes").format(total=total)
        else:
            text = tr("Lines {first}–{last} of {total} · ↑ ↓ PgUp PgDn scroll · Esc closes")
            text = text.format(first=first, last=last, total=total)
        self.query_one("#help-position", Static).update(text)

    def on_resize(self) -> None:
        """A new size shows a different part."""
        self._fit()
        self.call_after_refresh(self._show_position)

    def _fit(self) -> None:
        """As many lines as the terminal has room for (title, position line, border, footer)."""
        scroll = self.query_one("#help-keys", VerticalScroll)
        scroll.styles.max_height = max(_LEAST_LINES, self.app.size.height - _AROUND_THE_LIST)

    def action_dismiss_help(self) -> None:
        """Back to the screen underneath."""
        self.dismiss(None)
