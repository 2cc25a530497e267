"""Build hook: compile the message catalogues (.po -> .mo) into the package being built.

The .mo files are not kept in git; every wheel, and an editable install, gets them here,
so `pip install .` (and `make demo`, `make install`) give working Chinese on a fresh machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LOCALE = Path("src") / "clinic_tui" / "locale"


class CatalogueBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compile locale/*/LC_MESSAGES/clinic_tui.po with Babel (a build-only dependency)."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Write each .mo beside its .po and ship it although git ignores it."""
        if self.target_name != "wheel":
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        root = Path(self.root)
        for po in sorted((root / LOCALE).glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=po.parents[1].name)
            with po.with_suffix(".mo").open("wb") as handle:
                write_mo(handle, catalog)
            build_data["artifacts"].append("/" + po.with_suffix(".mo").relative_to(root).as_posix())
