"""Helpers the screens use to draw outside data: cutting to cells, and the JSON editor's text."""

from __future__ import annotations

import json

from rich.cells import cell_len

from clinic_tui.domain.untrusted import is_clean
from clinic_tui.screens.conflict_editor import _visible_escapes
from clinic_tui.widgets.queue_table import fit

HOSTILE = "\x1b]52;c;Y3VybA==\x1b\\\x1b[2J\x9b31m\u202eexe.txt [@click=app.quit]Q[/] 王[/]五"


def test_fit_cuts_a_megabyte_name_to_its_cells_with_its_controls_visible() -> None:
    name = HOSTILE + "x" * (1024 * 1024)
    shown = fit(name, 20)
    assert cell_len(shown) <= 20
    assert shown.endswith("…")
    assert is_clean(shown)
    assert shown.startswith("␛]52;c;")


def test_fit_marks_a_cut_even_when_what_it_read_fits() -> None:
    # Combining marks take no cell: what fit reads of this fits, but the name goes on.
    name = "a" + "\u0301" * 10_000 + "tail"
    assert fit(name, 5).endswith("…")
    assert fit("王五", 5) == "王五"


def test_the_json_editor_shows_bidi_and_c1_as_escapes_of_the_same_json() -> None:
    record = {"name": [{"family": HOSTILE + "\x7f\u2066x\u2069\u2028"}], "id": "p-1"}
    text = _visible_escapes(json.dumps(record, ensure_ascii=False, indent=2))
    assert is_clean(text)
    assert json.loads(text) == record  # saved unchanged, the record is the record it was
    assert "王[/]五" in text  # everything else stays readable
