#!/usr/bin/env python3
"""Install, start, stop and inspect the real FHIR R4 server the tests and demos run against.

The server is the third-party package sekmet-fhir (pinned below), installed into its own
virtual environment under .fhir-server/venv so its dependencies never mix with the app's.
Standard library only: runs with any Python 3.11, inside or outside the app's venv.

    .venv/bin/python scripts/fhir_server.py install
    .venv/bin/python scripts/fhir_server.py start [--port P] [--token T] [--data-dir D] [--name N]
    .venv/bin/python scripts/fhir_server.py status [--name N]
    .venv/bin/python scripts/fhir_server.py stop [--name N]

`start` prints the FHIR base URL on standard output. The bearer token comes from --token,
else from the FHIR_SERVER_TOKEN environment variable (keeps it out of argv), else a random
one is made and written to the instance folder (mode 0600). The server always binds
127.0.0.1, never every interface. Several servers can run at once under different --name.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import server_runner as runner  # what this script and medplum_server.py share

PACKAGE = "sekmet-fhir==0.1.1"
ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = Path(__file__).resolve().parent / "fhir-server-constraints.txt"
HOME = Path(os.environ.get("FHIR_SERVER_HOME", ROOT / ".fhir-server"))
VENV = HOME / "venv"
HOST = runner.HOST
START_TIMEOUT = 60.0
_MARKER = VENV / ".clinic-tui-installed"
SERVER = runner.ServerKind(label="FHIR server", home=HOME, process_words=("sekmet", "serve"))
ScriptError = runner.ScriptError
free_port = runner.free_port


def _venv_bin(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def _install_fingerprint() -> str:
    # Reinstall when the pins or the interpreter change, never otherwise.
    digest = hashlib.sha256(CONSTRAINTS.read_bytes())
    digest.update(PACKAGE.encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def install(*, quiet: bool = False) -> None:
    """Create the server's venv and install the pinned package (a no-op when up to date)."""
    fingerprint = _install_fingerprint()
    with runner.install_lock(HOME):
        if _MARKER.exists() and _MARKER.read_text() == fingerprint and _venv_bin("sekmet").exists():
            if not quiet:
                print(f"FHIR server already installed in {VENV}")
            return
        if VENV.exists():
            shutil.rmtree(VENV)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        command = [
            str(_venv_bin("python")),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--constraint",
            str(CONSTRAINTS),
            PACKAGE,
        ]
        result = subprocess.run(command, stdin=subprocess.DEVNULL, check=False)
        if result.returncode != 0:
            raise ScriptError(f"pip could not install {PACKAGE} (exit {result.returncode})")
        _MARKER.write_text(fingerprint)
    if not quiet:
        print(f"FHIR server installed in {VENV}")


def _yaml_string(value: str) -> str:
    # JSON strings are valid YAML scalars: safe quoting without a YAML library.
    return json.dumps(value)


def write_config(
    path: Path, *, port: int, token: str, data_dir: Path, public_url: str | None = None
) -> str:
    """Write the server's YAML settings; returns the FHIR base URL it answers on directly.

    `public_url` is the base URL clients use when a proxy stands in front (nginx, the
    fault proxy): the server writes it into Bundle links, as a hospital configures it.
    """
    base_url = f"http://{HOST}:{port}/fhir"
    lines = [
        f"host: {_yaml_string(HOST)}",
        f"port: {port}",
        f"base_url: {_yaml_string(public_url or base_url)}",
        f"data_dir: {_yaml_string(str(data_dir))}",
        "simulator:",
        "  enabled: false",
        "server_auth:",
        "  types: [bearer]",
        f"  tokens: [{_yaml_string(token)}]",
        "log_inbound: false",
    ]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return base_url


def _launch(
    instance: Path, port: int, token: str, data_dir: Path, public_url: str | None
) -> runner.Launch:
    config = instance / "settings.yaml"
    base_url = write_config(
        config, port=port, token=token, data_dir=data_dir, public_url=public_url
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKMET_")}
    env["SEKMET_CONFIG"] = str(config)
    command = [str(_venv_bin("sekmet")), "serve", "--host", HOST, "--port", str(port)]
    return runner.Launch(command, env, base_url)


def start(
    *,
    name: str,
    port: int | None,
    token: str | None,
    data_dir: Path | None,
    timeout: float = START_TIMEOUT,
    public_url: str | None = None,
) -> str:
    """Start a server in the background, wait until it answers; returns the FHIR base URL."""
    if not _venv_bin("sekmet").exists():
        raise ScriptError(
            "FHIR server not installed; run: .venv/bin/python scripts/fhir_server.py install"
        )
    return runner.start(
        SERVER,
        name=name,
        port=port,
        token=token,
        data_dir=data_dir,
        timeout=timeout,
        launch=lambda instance, chosen, secret, data: _launch(
            instance, chosen, secret, data, public_url
        ),
    )


def stop(*, name: str, clean: bool = False) -> bool:
    """Stop the named server (and remove its folder when `clean`); False if it was not running."""
    return runner.stop(SERVER, name=name, clean=clean)


def status(*, name: str) -> tuple[bool, str | None]:
    """(running, base URL) of the named server."""
    return runner.status(SERVER, name=name)


def _parser() -> argparse.ArgumentParser:
    return runner.parser(
        __doc__.splitlines()[0],
        install_help="create .fhir-server/venv and install the pinned server",
        data_dir_help="the server's database",
        public_url_help=(
            "base URL for the server's links when a proxy is in front (default: its own)"
        ),
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    return runner.main(
        SERVER,
        _parser().parse_args(argv),
        install=install,
        start_server=lambda args: start(**runner.start_arguments(args)),
    )


if __name__ == "__main__":
    sys.exit(main())
