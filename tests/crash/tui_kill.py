"""Kill the workstation itself (SIGKILL) while it saves queue and chart changes typed in a terminal.

Each trial copies a demo clinic, starts `clinic-tui --data-dir D` in a pseudo-terminal
(80x24), waits for the first screen, then types "n" (call the next patient: a status
change and its outbox entry, written by the real queue screen), usually a chart edit on
the chart that opens (vital signs, the note, an allergy, a diagnosis, the complaint, each
saved with ctrl+s or Enter) and Escape (back to the queue) a few times with seeded
pauses, and kills the process at a seeded moment during or just after that typing.
Afterwards the cache must open cleanly (prepare_cache and PRAGMA integrity_check) and
every edit must be whole: a changed record is marked unsynced and has an outbox entry;
an outbox entry belongs to a changed record.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import select
import shutil
import signal
import sqlite3
import struct
import subprocess
import termios
import time
from pathlib import Path
from typing import Any

from clinic_tui.locations import cache_path
from clinic_tui.offline_cache.cache_file import prepare_cache
from clinic_tui.offline_cache.tables import RESOURCE_TABLES
from tests.crash.harness import Server, TrialResult, cli_command, cli_env, run_cli

DEMO_PATIENTS = 30
READY_TIMEOUT = 20.0
"""The first screen must be drawn within this; a trial that waits longer fails."""
QUIET = 0.6
"""The screen counts as drawn when nothing more has come for this long."""


def demo_clinic(workdir: Path, env: dict[str, str]) -> Path:
    """A demo clinic made once per run; trials work on copies of it."""
    template = workdir / "tui-template"
    if not cache_path(template).exists():
        made = run_cli(
            [
                "demo-data",
                "--patients",
                str(DEMO_PATIENTS),
                "--seed",
                "5",
                "--data-dir",
                str(template),
            ],
            env,
        )
        if made.returncode != 0:
            raise RuntimeError(f"demo-data failed: {made.stdout}{made.stderr}")
    return template


def _rows(path: Path) -> dict[tuple[str, str], tuple[str, bool]]:
    """Every cached record: (type, id) -> (JSON, pending)."""
    rows: dict[tuple[str, str], tuple[str, bool]] = {}
    with sqlite3.connect(path) as connection:
        for resource_type, model in RESOURCE_TABLES.items():
            query = f"SELECT id, resource_json, pending FROM {model.__tablename__}"
            for ident, text, pending in connection.execute(query):
                rows[(resource_type, str(ident))] = (str(text), bool(pending))
    return rows


def _outbox(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as connection:
        query = "SELECT resource_type, resource_id, operation FROM outbox"
        return [(str(t), str(i), str(o)) for t, i, o in connection.execute(query)]


def _drain(master: int, seconds: float) -> int:
    """Read what the app drew for `seconds` (so it never blocks on a full terminal)."""
    got = 0
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([master], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:
            return got
        if not chunk:
            return got
        got += len(chunk)
    return got


def _wait_drawn(master: int) -> bool:
    """True once the app has drawn something and gone quiet (bounded by READY_TIMEOUT)."""
    total = 0
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        got = _drain(master, QUIET)
        total += got
        if total > 2000 and got == 0:
            return True
    return False


CHART_EDITS: tuple[tuple[bytes, ...], ...] = (
    (b"v", b"1", b"5", b"0", b"\t", b"9", b"5", b"\x13"),  # vitals, ctrl+s
    (b"n", "头晕三天".encode(), b"\t", "血压高".encode(), b"\x13"),  # the visit's note
    (b"a", b"\t", b"\t", "花生".encode(), b"\x13"),  # an allergy typed by hand
    (b"d", b"g", b"x", b"y", b"\r", b"\x13"),  # a diagnosis from the search
    (b"c", "发热".encode(), b"\r"),  # the chief complaint
)
"""Keystrokes of chart edits, typed on the chart the call opened (each ends by saving)."""


def _kill_during_typing(master: int, process: subprocess.Popen[bytes], rng: random.Random) -> float:
    """Call patients, make chart edits, go back, and SIGKILL at a seeded moment; returns it."""
    keys: list[tuple[bytes, float]] = []
    for _ in range(rng.randint(1, 4)):
        keys.append((b"n", rng.uniform(0.05, 0.5)))
        for key in rng.choice(CHART_EDITS) if rng.random() < 0.75 else ():
            keys.append((key, rng.uniform(0.02, 0.3)))
        # Back to the queue; a form still open (a refused save) asks first: y discards.
        keys += [(b"\x1b", rng.uniform(0.1, 0.4)), (b"y", 0.05), (b"\x1b", rng.uniform(0.1, 0.5))]
    typing = sum(pause for _, pause in keys)
    kill_at = rng.uniform(0.0, typing + 0.3)
    started = time.monotonic()
    for key, pause in keys:
        if time.monotonic() - started >= kill_at:
            break
        os.write(master, key)
        _drain(master, min(pause, max(0.0, kill_at - (time.monotonic() - started))))
    _drain(master, max(0.0, kill_at - (time.monotonic() - started)))
    process.send_signal(signal.SIGKILL)
    return kill_at


def _check(path: Path, before: dict[tuple[str, str], tuple[str, bool]]) -> list[str]:
    problems: list[str] = []
    try:
        prepare_cache(path, create=False)
    except Exception as error:
        return [f"the cache does not open: {error}"]
    with sqlite3.connect(path) as connection:
        integrity = str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    after = _rows(path)
    queued = {(t, i) for t, i, _ in _outbox(path)}
    for key in sorted(after.keys() | before.keys()):
        old, new = before.get(key), after.get(key)
        if new is None:
            problems.append(f"{key[0]}/{key[1]}: vanished from the cache")
            continue
        changed = old is None or json.loads(old[0]) != json.loads(new[0])
        if changed and not (new[1] and key in queued):
            problems.append(
                f"{key[0]}/{key[1]}: changed without its unsynced mark and outbox entry"
            )
        if not changed and key in queued:
            problems.append(f"{key[0]}/{key[1]}: an outbox entry for a record that did not change")
    return problems


def tui_trial(
    workdir: Path, template: Path, env: dict[str, str], seed: int, index: int
) -> TrialResult:
    """One trial: a fresh copy of the clinic, keystrokes, a SIGKILL, then the checks."""
    rng = random.Random(f"crash-tui-{seed}-{index}")
    started = time.monotonic()
    data = workdir / f"tui-{index:03d}"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(template, data)
    path = cache_path(data)
    before = _rows(path)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [*cli_command(), "--data-dir", str(data)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"},
        start_new_session=True,
    )
    os.close(slave)
    violations: list[str] = []
    try:
        if not _wait_drawn(master):
            violations.append(f"the first screen was not drawn within {READY_TIMEOUT:.0f} s")
        else:
            _kill_during_typing(master, process, rng)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        os.close(master)
    violations.extend(_check(path, before))
    edits = len(_outbox(path))
    return TrialResult(index, 1, edits, time.monotonic() - started, violations)


def run_tui_trials(
    trials: int, seed: int, workdir: Path, server: Server | None
) -> list[TrialResult]:
    """Run the workstation kill trials (no server needed), printing a line per trial."""
    env: dict[str, Any] = cli_env("", "", workdir)
    for name in ("CLINIC_TUI_SERVER", "CLINIC_TUI_TOKEN"):
        env.pop(name)
    template = demo_clinic(workdir, env)
    results = []
    for index in range(trials):
        result = tui_trial(workdir, template, env, seed, index)
        verdict = "ok" if not result.violations else f"FAIL ({len(result.violations)})"
        print(
            f"tui trial {index:3d}: killed with {result.rounds} saved edit(s), "
            f"{result.seconds:4.1f} s: {verdict}",
            flush=True,
        )
        for violation in result.violations:
            print(f"    {violation}", flush=True)
        results.append(result)
    return results
