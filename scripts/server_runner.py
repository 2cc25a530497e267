"""What scripts/fhir_server.py (sekmet) and scripts/medplum_server.py share: running one
FHIR test server as a background process per named instance under <home>/run/<name>,
with its pid, base URL, log and token there; start, stop, status and the command line.

Each script says how its server is installed and how one is launched (a ServerKind and
the command of one launch); the rest is here, once. Standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
STOP_TIMEOUT = 10.0


class ScriptError(Exception):
    """A failure reported as one line and exit status 1."""


@dataclass(frozen=True)
class Launch:
    """One start of a server: its command line, environment and the base URL it answers on."""

    command: list[str]
    env: dict[str, str]
    base_url: str


@dataclass(frozen=True)
class ServerKind:
    """One FHIR server implementation, as its script describes it."""

    label: str
    """Its name in messages: 'FHIR server', 'Medplum server'."""
    home: Path
    """Its instances live under home/run/<name>."""
    process_words: tuple[str, ...]
    """Words its process's command line holds: a recycled pid is never signalled."""


@contextlib.contextmanager
def install_lock(home: Path) -> Iterator[None]:
    """Parallel test workers may all ask for the install at once: only one runs it."""
    home.mkdir(parents=True, exist_ok=True)
    with (home / "install.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def instance_dir(kind: ServerKind, name: str) -> Path:
    """The folder of the instance `name`."""
    if not name or "/" in name or name.startswith("."):
        raise ScriptError(f"invalid instance name {name!r}")
    return kind.home / "run" / name


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, exited but not reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _is_ours(kind: ServerKind, pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return pid_alive(pid)
    return all(word in cmdline for word in kind.process_words)


def _running(kind: ServerKind, instance: Path) -> int | None:
    """The pid of the instance's server when it runs, else None."""
    try:
        pid = int((instance / "server.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) and _is_ours(kind, pid) else None


def ready(base_url: str) -> bool:
    """Whether the server answers its CapabilityStatement."""
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


def make_token(instance: Path) -> str:
    """A random bearer token, written to the instance folder (0600)."""
    token = secrets.token_urlsafe(24)
    path = instance / "token"
    path.write_text(token + "\n")
    path.chmod(0o600)
    print(f"bearer token written to {path}", file=sys.stderr)
    return token


def terminate(pid: int) -> None:
    """SIGTERM the server's process group, SIGKILL it if it outlives STOP_TIMEOUT."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _launch(kind: ServerKind, instance: Path, launch: Launch, timeout: float) -> str:
    with (instance / "server.log").open("ab") as log:
        process = subprocess.Popen(
            launch.command,
            cwd=instance,  # what the server may write stays in the instance folder
            env=launch.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (instance / "server.pid").write_text(f"{process.pid}\n")
    (instance / "base_url").write_text(launch.base_url + "\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ScriptError(
                f"{kind.label} exited with status {process.returncode} while starting:\n"
                + _log_tail(instance)
            )
        if ready(launch.base_url):
            return launch.base_url
        time.sleep(0.1)
    terminate(process.pid)
    raise ScriptError(f"{kind.label} not ready after {timeout:.0f} s:\n" + _log_tail(instance))


def start(
    kind: ServerKind,
    *,
    name: str,
    port: int | None,
    token: str | None,
    data_dir: Path | None,
    timeout: float,
    launch: Callable[[Path, int, str, Path], Launch],
) -> str:
    """Start a server in the background, wait until it answers; returns the FHIR base URL.

    `launch(instance, port, token, data_dir)` makes the command of one attempt.
    """
    instance = instance_dir(kind, name)
    instance.mkdir(parents=True, exist_ok=True)
    running = _running(kind, instance)
    if running is not None:
        raise ScriptError(f"instance {name!r} already runs (pid {running}); stop it first")
    token = token or os.environ.get("FHIR_SERVER_TOKEN") or make_token(instance)
    data = (data_dir or instance / "data").resolve()
    data.mkdir(parents=True, exist_ok=True)
    # A port picked here may be taken by someone else before the server binds it: retry.
    attempts = 1 if port else 3
    for attempt in range(attempts):
        try:
            chosen = port or free_port()
            return _launch(kind, instance, launch(instance, chosen, token, data), timeout)
        except ScriptError:
            if attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")


def stop(kind: ServerKind, *, name: str, clean: bool = False) -> bool:
    """Stop the named server (and remove its folder when `clean`); False if it was not running."""
    instance = instance_dir(kind, name)
    pid = _running(kind, instance)
    if pid is not None:
        terminate(pid)
    (instance / "server.pid").unlink(missing_ok=True)
    if clean and instance.exists():
        shutil.rmtree(instance, ignore_errors=True)
    return pid is not None


def status(kind: ServerKind, *, name: str) -> tuple[bool, str | None]:
    """(running, base URL) of the named server."""
    instance = instance_dir(kind, name)
    if _running(kind, instance) is None:
        return False, None
    try:
        return True, (instance / "base_url").read_text().strip()
    except OSError:
        return True, None


def parser(
    description: str,
    *,
    install_help: str,
    data_dir_help: str,
    public_url_help: str,
    start_options: Callable[[argparse.ArgumentParser], None] = lambda _start: None,
) -> argparse.ArgumentParser:
    """The scripts' command line: install, start, stop, status; `start_options` adds a
    script's own options to `start`."""
    main_parser = argparse.ArgumentParser(description=description)
    commands = main_parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help=install_help)
    start_cmd = commands.add_parser("start", help="start a server on 127.0.0.1 in the background")
    start_cmd.add_argument("--port", type=int, default=None, help="default: a free port")
    start_cmd.add_argument("--token", default=None, help="bearer token (or FHIR_SERVER_TOKEN)")
    start_cmd.add_argument("--data-dir", type=Path, default=None, help=data_dir_help)
    start_cmd.add_argument("--timeout", type=float, default=60.0, help="seconds to wait")
    start_cmd.add_argument("--public-url", default=None, help=public_url_help)
    start_options(start_cmd)
    stop_cmd = commands.add_parser("stop", help="stop a server started by `start`")
    stop_cmd.add_argument("--clean", action="store_true", help="also remove its folder and data")
    for command in (start_cmd, stop_cmd, commands.add_parser("status")):
        command.add_argument("--name", default="default", help="instance name (default: default)")
    return main_parser


def main(
    kind: ServerKind,
    args: argparse.Namespace,
    *,
    install: Callable[[], None],
    start_server: Callable[[argparse.Namespace], str],
) -> int:
    """Run the parsed command; exit status 0, 1 on a ScriptError, 3 for `status` not running."""
    try:
        if args.command == "install":
            install()
        elif args.command == "start":
            print(start_server(args), flush=True)
        elif args.command == "stop":
            print("stopped" if stop(kind, name=args.name, clean=args.clean) else "not running")
        else:
            running, base_url = status(kind, name=args.name)
            print(f"running {base_url}" if running else "not running")
            return 0 if running else 3
    except ScriptError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def start_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The options every script's `start` takes, as keyword arguments of its start()."""
    return {
        "name": args.name,
        "port": args.port,
        "token": args.token,
        "data_dir": args.data_dir,
        "timeout": args.timeout,
        "public_url": args.public_url,
    }
