"""benchmarks/bytes_per_keystroke.py runs end to end on a tiny setting (no figure is checked),
and leaves no process behind: not when it finishes, not when it is stopped halfway."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bytes_per_keystroke.py"
TINY = (
    *("--patients", "20", "--sizes", "80x24", "--channels", "pty,ws", "--modes", "low"),
    *("--repeats", "1", "--idle", "0.2"),
)
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
MARK = "CLINIC_TUI_TEST_RUN"
"""An environment variable every process the benchmark starts inherits: how its leftovers
are found whatever session or process group they moved to."""


def _marked(run: str) -> list[int]:
    """Processes alive (not zombies) whose environment carries MARK=run."""
    needle = f"{MARK}={run}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in environ.split(b"\0") and state != "Z":
            found.append(int(entry))
    return found


def _end(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _benchmark(run: str, **options: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), *TINY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, MARK: run},
        **options,  # type: ignore[call-overload]
    )


def test_the_benchmark_drives_both_channels_and_the_baseline_and_prints_its_table() -> None:
    run = uuid.uuid4().hex
    benchmark = _benchmark(run)
    try:
        out, err = benchmark.communicate(timeout=600)
        left = _marked(run)
    finally:
        benchmark.kill()
        _end(_marked(run))  # a test ends what it starts, even when it fails

    assert benchmark.returncode == 0, err[-3000:]
    for column in ("pty low", "pty bare", "ws low", "ws bare"):
        assert column in out
    for action in ("queue move (↓)", "open chart (Enter)", "open search (/)", "type 3 chars"):
        assert action in out
    assert left == [], "the benchmark left processes running"


def test_a_benchmark_stopped_halfway_leaves_no_process() -> None:
    run = uuid.uuid4().hex
    benchmark = _benchmark(run)
    try:
        # Stopped while a served session runs: the case that left `run --low-bandwidth`.
        deadline = time.monotonic() + 300
        while not any(b"\0run\0--low-bandwidth\0" in _cmdline(pid) for pid in _marked(run)):
            assert benchmark.poll() is None, benchmark.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "no served session started"
            time.sleep(0.2)  # polling interval, not a wait for anything to happen
        benchmark.terminate()
        benchmark.communicate(timeout=60)
        left = [pid for pid in _marked(run) if pid != benchmark.pid]
    finally:
        benchmark.kill()
        _end(_marked(run))

    assert left == [], f"the stopped benchmark left processes running: {_described(left)}"


def test_a_sigterm_inside_popen_still_ends_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """The race the halfway test can only meet by luck, built on purpose: the SIGTERM lands
    after the child exists and before Popen returns."""
    benchmark = _load_benchmark()
    real_popen = subprocess.Popen

    def popen_then_sigterm(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        child: subprocess.Popen[bytes] = real_popen(*args, **kwargs)  # type: ignore[call-overload]
        os.kill(os.getpid(), signal.SIGTERM)  # handled here, before Popen "returns"
        return child

    previous = signal.signal(signal.SIGTERM, benchmark._leave)
    monkeypatch.setattr(benchmark.subprocess, "Popen", popen_then_sigterm)
    try:
        with pytest.raises(SystemExit) as stopped:
            benchmark.start(SLEEPER, start_new_session=True)
        [child] = benchmark._STARTED
        assert child.poll() is None, "the child is running and on the list"
        benchmark.end_started()
        assert child.returncode == -signal.SIGKILL
    finally:
        signal.signal(signal.SIGTERM, previous)
        for process in benchmark._STARTED:
            process.kill()
            process.wait()
    assert stopped.value.code == 128 + signal.SIGTERM


def _load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bytes_per_keystroke_under_test", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _described(pids: list[int]) -> str:
    """Each leftover's pid and command line: which child escaped, when a run fails."""
    lines = (_cmdline(pid).replace(b"\0", b" ").decode(errors="replace") for pid in pids)
    return "; ".join(f"{pid}: {line}" for pid, line in zip(pids, lines, strict=True))


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
