"""Start the real FHIR server (scripts/fhir_server.py) for a test, a harness or a benchmark.

One way for everyone: the project's script runs in a subprocess (it reads the token from
FHIR_SERVER_TOKEN, so the token never shows in argv), installs the pinned server when it
is missing, and `running_fhir_server` stops the instance however the block ends.

    with running_fhir_server("bench-1", data_dir, token) as base_url:
        ...
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "fhir_server.py"
_VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(_VENV_PYTHON) if _VENV_PYTHON.exists() else sys.executable
"""The project's venv python, as the Makefile and README call the script (the script itself
needs only the standard library, so another interpreter running the tests works too)."""
SCRIPT_TIMEOUT = 900.0
"""Seconds one script call may take; the first install downloads the server."""


class FhirServerError(RuntimeError):
    """scripts/fhir_server.py failed; the message holds its output."""


def server_home() -> Path:
    """Where the script keeps its venv and instances (FHIR_SERVER_HOME, as the script reads it)."""
    return Path(os.environ.get("FHIR_SERVER_HOME", ROOT / ".fhir-server"))


def run_script(*args: str, env: dict[str, str] | None = None) -> str:
    """Run scripts/fhir_server.py with `args`; its standard output, stripped."""
    result = subprocess.run(
        [PYTHON, str(SCRIPT), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise FhirServerError(f"fhir_server.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip()


@contextmanager
def running_fhir_server(
    name: str,
    data_dir: Path,
    token: str,
    *,
    public_url: str | None = None,
    keep: bool = False,
) -> Iterator[str]:
    """Install if needed, start instance `name`; yields its direct FHIR base URL; stops it.

    `public_url`: the base URL the server writes into its links when a proxy stands in
    front. `keep`: the data in `data_dir` stays for the next run (a benchmark reusing a
    seeded server); the instance folder itself is removed unless the data lives in it.
    """
    run_script("install")
    env = {**os.environ, "FHIR_SERVER_TOKEN": token}
    args = ["start", "--name", name, "--data-dir", str(data_dir)]
    if public_url is not None:
        args += ["--public-url", public_url]
    try:
        base_url = run_script(*args, env=env).splitlines()[-1]
        yield base_url
    finally:
        # Also after a failed start: it may have left the instance folder or a process.
        # --clean removes the instance folder only; a kept data_dir outside it stays.
        instance = (server_home() / "run" / name).resolve()
        inside = instance in data_dir.resolve().parents
        if keep and inside:
            run_script("stop", "--name", name)
        else:
            run_script("stop", "--name", name, "--clean")
