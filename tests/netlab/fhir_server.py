"""Start a real FHIR server for a test, a harness or a benchmark; which one is pluggable.

One way for everyone: the project's script for the chosen implementation runs in a
subprocess (it reads the token from FHIR_SERVER_TOKEN, so the token never shows in argv),
installs the pinned server when it is missing, and `running_fhir_server` stops the
instance however the block ends.

    with running_fhir_server("bench-1", data_dir, token) as base_url:
        ...

The implementation comes from CLINIC_TUI_FHIR_SERVER (or pytest's --fhir-server, which
sets it): `sekmet` (the default, scripts/fhir_server.py) or `medplum` (Medplum's FHIR
router, scripts/medplum_server.py). Each declares the behaviours beyond FHIR R4 that some
tests lean on (`features`), so those tests skip with a reason on a server without them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "fhir_server.py"
_VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(_VENV_PYTHON) if _VENV_PYTHON.exists() else sys.executable
"""The project's venv python, as the Makefile and README call the script (the script itself
needs only the standard library, so another interpreter running the tests works too)."""
SCRIPT_TIMEOUT = 900.0
"""Seconds one script call may take; the first install downloads the server."""
SERVER_VARIABLE = "CLINIC_TUI_FHIR_SERVER"
DEFAULT_SERVER = "sekmet"


class FhirServerError(RuntimeError):
    """A server script failed; the message holds its output."""


@dataclass(frozen=True)
class FhirServerImpl:
    """One FHIR server implementation the tests can run against, driven by its own script."""

    name: str
    script: Path
    home_parts: tuple[str, ...]
    """Folder of its installation and instances, under FHIR_SERVER_HOME."""
    base_path: str
    """Path of the FHIR base on its port: what a proxy in front puts after its own origin."""
    features: frozenset[str]
    """Behaviours beyond FHIR R4 some tests rely on (see FEATURES)."""
    start_args: tuple[str, ...] = ()
    description: str = ""

    def home(self) -> Path:
        """Where its script keeps its installation and instances."""
        base = Path(os.environ.get("FHIR_SERVER_HOME", ROOT / ".fhir-server"))
        return base.joinpath(*self.home_parts)

    def run(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run its script with `args`; the script's standard output, stripped."""
        result = subprocess.run(
            [PYTHON, str(self.script), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            timeout=SCRIPT_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise FhirServerError(
                f"{self.script.name} {args[0]} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout.strip()

    def public_url(self, origin: str) -> str:
        """The FHIR base URL a proxy at `origin` (scheme://host:port) offers for this server."""
        return origin.rstrip("/") + self.base_path


FEATURES = {
    "system-history": "GET [base]/_history (optional in FHIR R4)",
    "type-history": "GET [base]/[type]/_history (optional in FHIR R4): server deletions",
    "uncapped-transactions": "transactions of any size (a server may cap them: Medplum at 50)",
    "oauth-token-endpoint": "an OAuth2 token endpoint the server advertises (client credentials)",
}
"""Server behaviours a test may require with @pytest.mark.server_feature(NAME)."""

SERVERS = {
    "sekmet": FhirServerImpl(
        name="sekmet",
        script=SCRIPT,
        home_parts=(),
        base_path="/fhir",
        features=frozenset(FEATURES),
        description="sekmet-fhir 0.1.1 (PyPI)",
    ),
    "medplum": FhirServerImpl(
        name="medplum",
        script=ROOT / "scripts" / "medplum_server.py",
        home_parts=("medplum",),
        base_path="/fhir/R4",
        # A default Medplum project: UUID versionIds, no system _history, transaction Bundles
        # answered entry by entry (its transaction-bundles feature off).
        features=frozenset({"uncapped-transactions"}),
        description="@medplum/fhir-router 5.2.13 with MemoryRepository (npm)",
    ),
    "medplum-transactions": FhirServerImpl(
        name="medplum-transactions",
        script=ROOT / "scripts" / "medplum_server.py",
        home_parts=("medplum",),
        base_path="/fhir/R4",
        # A Medplum project with its transaction-bundles feature on: all-or-nothing
        # transactions of at most 50 updates.
        features=frozenset(),
        start_args=("--transactions",),
        description="the same, as a Medplum project with transaction-bundles on",
    ),
}


def selected_server() -> FhirServerImpl:
    """The implementation CLINIC_TUI_FHIR_SERVER names (sekmet when unset)."""
    name = os.environ.get(SERVER_VARIABLE, "").strip().lower() or DEFAULT_SERVER
    try:
        return SERVERS[name]
    except KeyError:
        known = ", ".join(sorted(SERVERS))
        raise FhirServerError(
            f"{SERVER_VARIABLE}={name!r}: unknown server; one of {known}"
        ) from None


def server_home() -> Path:
    """Where the selected server's script keeps its installation and instances."""
    return selected_server().home()


def run_script(*args: str, env: dict[str, str] | None = None) -> str:
    """Run the selected server's script with `args`; its standard output, stripped."""
    return selected_server().run(*args, env=env)


@contextmanager
def running_fhir_server(
    name: str,
    data_dir: Path,
    token: str,
    *,
    public_url: str | None = None,
    keep: bool = False,
    server: FhirServerImpl | None = None,
) -> Iterator[str]:
    """Install if needed, start instance `name`; yields its direct FHIR base URL; stops it.

    `public_url`: the base URL the server writes into its links when a proxy stands in
    front. `keep`: the data in `data_dir` stays for the next run (a benchmark reusing a
    seeded server); the instance folder itself is removed unless the data lives in it.
    `server`: the implementation (default: the selected one).
    """
    impl = server or selected_server()
    impl.run("install")
    env = {**os.environ, "FHIR_SERVER_TOKEN": token}
    args = ["start", "--name", name, "--data-dir", str(data_dir), *impl.start_args]
    if public_url is not None:
        args += ["--public-url", public_url]
    try:
        base_url = impl.run(*args, env=env).splitlines()[-1]
        yield base_url
    finally:
        # Also after a failed start: it may have left the instance folder or a process.
        # --clean removes the instance folder only; a kept data_dir outside it stays.
        instance = (impl.home() / "run" / name).resolve()
        inside = instance in data_dir.resolve().parents
        if keep and inside:
            impl.run("stop", "--name", name)
        else:
            impl.run("stop", "--name", name, "--clean")
