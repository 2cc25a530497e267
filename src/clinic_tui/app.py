"""ClinicApp: owns the services, wires the screens and global keys. Kept small on purpose."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from clinic_tui.config import Settings
from clinic_tui.i18n import add_translations, tr
from clinic_tui.offline_cache.clinic_cache import ClinicCache

add_translations({"Key": "按键", "Keys of this screen": "本屏快捷键"})


def local_now() -> datetime:
    """The wall clock in the machine's time zone (clinics read local time)."""
    return datetime.now().astimezone()


class ClinicApp(App[None]):
    """The clinician workstation."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "clinic-tui"
    BINDINGS = [
        Binding("ctrl+q", "quit", tr("Quit"), show=True, priority=True),
        Binding("question_mark", "help", tr("Help"), show=True),
    ]

    def __init__(
        self,
        *,
        settings: Settings,
        cache: ClinicCache,
        clock: Callable[[], datetime] = local_now,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.cache = cache
        self.clock = clock
        """Source of 'now' for waiting times; tests pass a fixed clock."""

    def on_mount(self) -> None:
        """Open on today's queue."""
        from clinic_tui.screens.queue import QueueScreen

        self.sub_title = self.cache.clinic.name
        self.push_screen(QueueScreen(self.cache, clock=self.clock))

    def screen_keys(self, screen: Screen[object]) -> list[tuple[str, str, str, Binding]]:
        """(key shown, description, namespace node id, binding) of every key active on `screen`."""
        keys = []
        seen: set[tuple[str, str]] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            description = binding.description or binding.action.replace("_", " ")
            display = self.get_key_display(binding)
            if (display, description) in seen or binding.system:
                continue
            seen.add((display, description))
            keys.append((display, description, active.node.id or "", binding))
        # The screen's own actions (those in the footer) first, cursor movement after.
        keys.sort(key=lambda item: not item[3].show)
        return keys

    def action_help(self) -> None:
        """Show every key of the current screen, including those the footer has no room for."""
        from clinic_tui.screens.help import HelpScreen

        if type(self.screen).__name__ == "HelpScreen":
            return
        keys = [
            (display, description) for display, description, *_ in self.screen_keys(self.screen)
        ]
        keys.append((self.get_key_display(Binding("ctrl+p", "")), tr("Commands")))
        self.push_screen(HelpScreen(keys, title=tr("Keys of this screen")))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette lists every key of the screen it was opened from, then Textual's own."""
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.system:
                continue
            run = partial(self.run_action, binding.action, active.node)
            key = self.get_key_display(binding)
            yield SystemCommand(binding.description, f"{tr('Key')}: {key}", run)
        yield from super().get_system_commands(screen)
