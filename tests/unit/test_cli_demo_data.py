"""`clinic-tui demo-data`: a bounded number of patients, progress, and nothing half-made left."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from clinic_tui.commands.progress import ProgressDisplay
from tests.conftest import Cli


@pytest.mark.parametrize("patients", ["99999999999999", "100000000", "200001", "0", "-3"])
def test_too_many_or_too_few_patients_are_refused_before_anything_is_made(
    patients: str, tmp_path: Path, cli: Cli
) -> None:
    code, out, err = cli("demo-data", "--patients", patients, "--data-dir", str(tmp_path / "d"))
    assert code == 2
    assert out == ""
    assert f"argument --patients: expected 1 to 200,000 patients, got {int(patients):,}" in err
    assert "Traceback" not in err
    assert not (tmp_path / "d").exists()


def test_the_limit_is_in_the_help(cli: Cli) -> None:
    code, out, _ = cli("demo-data", "--help")
    assert code == 0
    assert "number of patients, 1 to 200,000 (default: 2,000)" in out


def test_progress_is_told_in_plain_lines_when_not_on_a_terminal(tmp_path: Path, cli: Cli) -> None:
    code, _, err = cli("demo-data", "--patients", "1500", "--data-dir", str(tmp_path))
    assert code == 0
    lines = err.splitlines()
    assert lines[0] == "writing patients: 0/1,500"
    assert lines[-2] == "writing patients: 1,500/1,500"
    assert lines[-1].startswith("Demo clinic ready: 1,500 patients, ")


def _fail_on_the_fifth_patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up while patients are written (a real full disk is not to be had)."""
    import clinic_tui.demo.generator as generator

    real = generator.build_history
    calls = []

    def build_history(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 5:
            raise sqlite3.OperationalError("database or disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(generator, "build_history", build_history)


def test_a_failed_run_leaves_no_cache_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    _fail_on_the_fifth_patient(monkeypatch)
    data = tmp_path / "clinic"
    code, out, err = cli("demo-data", "--patients", "50", "--data-dir", str(data))
    assert code == 3
    assert out == ""
    assert err.splitlines()[-1] == (
        f"clinic-tui: cannot write the demo clinic to {data / 'clinic.sqlite3'}: "
        "database or disk is full; nothing was kept"
    )
    assert "Traceback" not in err
    assert not data.exists()


def test_an_interrupted_run_leaves_no_cache_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    def interrupt(self: ProgressDisplay, step: str, done: int, total: int | None) -> None:
        if done > 0:
            raise KeyboardInterrupt  # ctrl+c after the first thousand patients

    monkeypatch.setattr(ProgressDisplay, "update", interrupt)
    tmp_path.joinpath("keep.txt").write_text("someone else's file")
    code, _, err = cli("demo-data", "--patients", "1500", "--data-dir", str(tmp_path))
    assert (code, err) == (130, "clinic-tui: interrupted\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_a_failed_run_into_an_existing_empty_cache_leaves_it_as_it_was(
    engine: Engine, cache_file: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    engine.dispose()
    _fail_on_the_fifth_patient(monkeypatch)
    code, _, _ = cli("demo-data", "--patients", "50", "--data-dir", str(cache_file.parent))
    assert code == 3
    connection = sqlite3.connect(cache_file)
    assert connection.execute("SELECT count(*) FROM patient").fetchone()[0] == 0
    connection.close()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_terminated_run_leaves_no_cache_file_behind(stop: int, tmp_path: Path) -> None:
    # A real process and a real signal: a closed terminal (SIGHUP) or a service stop (SIGTERM)
    # would otherwise end it on the spot, half-made cache and all.
    data = tmp_path / "clinic"
    command = ["demo-data", "--patients", "6000", "--data-dir", str(data)]
    run = subprocess.Popen(
        [sys.executable, "-m", "clinic_tui", *command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert run.stderr is not None
    first = run.stderr.readline()  # the cache file exists before this line is written
    assert first == "writing patients: 0/6,000\n"
    assert (data / "clinic.sqlite3").exists()
    run.send_signal(stop)
    rest = run.stderr.read()
    assert run.wait(timeout=120) == 130, rest
    assert rest.splitlines()[-1] == "clinic-tui: interrupted"
    assert not data.exists()
