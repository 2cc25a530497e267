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
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "sekmet-fhir==0.1.1"
ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = Path(__file__).resolve().parent / "fhir-server-constraints.txt"
HOME = Path(os.environ.get("FHIR_SERVER_HOME", ROOT / ".fhir-server"))
VENV = HOME / "venv"
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
_MARKER = VENV / ".clinic-tui-installed"


class ScriptError(Exception):
    """A failure reported as one line and exit status 1."""


def _venv_bin(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / name


def _install_fingerprint() -> str:
    # Reinstall when the pins or the interpreter change, never otherwise.
    digest = hashlib.sha256(CONSTRAINTS.read_bytes())
    digest.update(PACKAGE.encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    # Parallel test workers may all ask for the install at once: only one runs it.
    HOME.mkdir(parents=True, exist_ok=True)
    with (HOME / "install.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def install(*, quiet: bool = False) -> None:
    """Create the server's venv and install the pinned package (a no-op when up to date)."""
    fingerprint = _install_fingerprint()
    with _install_lock():
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


def _instance_dir(name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise ScriptError(f"invalid instance name {name!r}")
    return HOME / "run" / name


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited child not yet reaped) is not a running server.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _is_our_server(pid: int) -> bool:
    # Guard against a recycled pid: only signal a process running the sekmet server.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return _pid_alive(pid)
    return "sekmet" in cmdline and "serve" in cmdline


def _read_pid(instance: Path) -> int | None:
    try:
        return int((instance / "server.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _ready(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/metadata", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


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
    public_url: str | None = None,
) -> str:
    config = instance / "settings.yaml"
    base_url = write_config(
        config, port=port, token=token, data_dir=data_dir, public_url=public_url
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKMET_")}
    env["SEKMET_CONFIG"] = str(config)
    command = [str(_venv_bin("sekmet")), "serve", "--host", HOST, "--port", str(port)]
    with (instance / "server.log").open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=instance,  # keys and reports the server may write stay in the instance folder
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
                f"FHIR server exited with status {process.returncode} while starting:\n"
                + _log_tail(instance)
            )
        if _ready(base_url):
            return base_url
        time.sleep(0.1)
    _terminate(process.pid)
    raise ScriptError(f"FHIR server not ready after {timeout:.0f} s:\n" + _log_tail(instance))


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
    instance = _instance_dir(name)
    instance.mkdir(parents=True, exist_ok=True)
    running = _read_pid(instance)
    if running is not None and _pid_alive(running) and _is_our_server(running):
        raise ScriptError(f"instance {name!r} already runs (pid {running}); stop it first")
    token = token or os.environ.get("FHIR_SERVER_TOKEN") or _make_token(instance)
    data = (data_dir or instance / "data").resolve()
    data.mkdir(parents=True, exist_ok=True)
    # A port picked here may be taken by someone else before the server binds it: retry.
    attempts = 1 if port else 3
    for attempt in range(attempts):
        try:
            return _launch(instance, port or free_port(), token, data, timeout, public_url)
        except ScriptError:
            if attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")


def _make_token(instance: Path) -> str:
    token = secrets.token_urlsafe(24)
    path = instance / "token"
    path.write_text(token + "\n")
    path.chmod(0o600)
    print(f"bearer token written to {path}", file=sys.stderr)
    return token


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def stop(*, name: str, clean: bool = False) -> bool:
    """Stop the named server (and remove its folder when `clean`); False if it was not running."""
    instance = _instance_dir(name)
    pid = _read_pid(instance)
    was_running = pid is not None and _pid_alive(pid) and _is_our_server(pid)
    if was_running and pid is not None:
        _terminate(pid)
    (instance / "server.pid").unlink(missing_ok=True)
    if clean and instance.exists():
        shutil.rmtree(instance, ignore_errors=True)
    return was_running


def status(*, name: str) -> tuple[bool, str | None]:
    """(running, base URL) of the named server."""
    instance = _instance_dir(name)
    pid = _read_pid(instance)
    if pid is None or not (_pid_alive(pid) and _is_our_server(pid)):
        return False, None
    try:
        return True, (instance / "base_url").read_text().strip()
    except OSError:
        return True, None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="create .fhir-server/venv and install the pinned server")
    start_cmd = commands.add_parser("start", help="start a server on 127.0.0.1 in the background")
    start_cmd.add_argument("--port", type=int, default=None, help="default: a free port")
    start_cmd.add_argument("--token", default=None, help="bearer token (or FHIR_SERVER_TOKEN)")
    start_cmd.add_argument("--data-dir", type=Path, default=None, help="the server's database")
    start_cmd.add_argument("--timeout", type=float, default=START_TIMEOUT, help="seconds to wait")
    start_cmd.add_argument(
        "--public-url",
        default=None,
        help="base URL for the server's links when a proxy is in front (default: its own)",
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
