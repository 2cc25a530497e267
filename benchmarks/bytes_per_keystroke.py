"""Bytes on the wire per keystroke: clinic-tui through a pty and through serve's websocket.

For each terminal size, each channel (pty: every byte the app writes to its terminal;
ws: every payload byte `clinic-tui serve` sends the browser) and each mode (normal,
--low-bandwidth), the real app is started on a demo cache and driven with keys:

  queue move      ↓ on the queue, 5 times (figure: bytes per press)
  open chart      Enter on the queue: the chart drawn (then Esc back, "back to queue")
  open search     `/` on the queue: the search dialog drawn
  type 3 chars    w, a, n into the search (figure: the 3 keys together)
  idle, search    10 s with the search open and nothing typed (cursor blink, timers)

A key's bytes are everything the app writes from the key until the screen is quiet for
--settle seconds (below the cursor's 0.5 s blink); where the result comes from a worker,
its words are awaited first. Beside it, the baseline measured in the same run: the same
keys in a bare Textual DataTable app with the same rows (benchmarks/_bare_table.py),
Textual's defaults, through the same pty and the same textual-serve; its search screen
has a result list filled from the same cache at each keystroke (--input-only-baseline
adds the bare app with an Input alone there, the baseline used before 2026-12-07).

    .venv/bin/python benchmarks/bytes_per_keystroke.py [--patients 2000] [--sizes 80x24,120x40]
        [--channels pty,ws] [--modes normal,low] [--repeats 3] [--idle 10] [--data-dir D]

TERM=xterm-256color for the pty (a typical ssh or remote terminal); textual-serve
always asks for truecolor. No figure here is a pass/fail threshold.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import os
import re
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOWN, ENTER, ESCAPE = "\x1b[B", "\r", "\x1b"
_CONTROL = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]"
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]"
)
START_TIMEOUT = 60.0
KEY_TIMEOUT = 15.0


@dataclass
class Stream:
    """Bytes an app wrote, appended by a reader thread."""

    data: bytearray = field(default_factory=bytearray)
    last: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False

    def add(self, chunk: bytes) -> None:
        """Keep `chunk` and when it came."""
        with self.lock:
            self.data += chunk
            self.last = time.monotonic()

    def size(self) -> int:
        """Bytes so far."""
        with self.lock:
            return len(self.data)

    def text_since(self, mark: int) -> str:
        """What was written since `mark`, without escape sequences."""
        with self.lock:
            chunk = bytes(self.data[mark:])
        return _CONTROL.sub(b"", chunk).decode("utf-8", "replace")

    def settle(
        self, mark: int, quiet: float, words: tuple[str, ...] = (), limit: float = KEY_TIMEOUT
    ) -> int:
        """Wait for any of `words` since `mark` (if given), then for `quiet` s of silence;
        returns the bytes written since `mark`."""
        deadline = time.monotonic() + limit
        while words and not any(word in self.text_since(mark) for word in words):
            if time.monotonic() > deadline or self.closed:
                raise RuntimeError(f"never drew {words!r}: {self.text_since(mark)[-400:]!r}")
            time.sleep(0.01)
        while time.monotonic() - self.last < quiet or self.size() == mark:
            if time.monotonic() > deadline:
                break  # never quiet: count what came within the limit
            if self.closed:
                raise RuntimeError("the app exited")
            time.sleep(0.01)
        return self.size() - mark


class PtyApp:
    """A command in a pseudo-terminal of the given size; counts what it writes."""

    def __init__(self, command: list[str], cols: int, rows: int) -> None:
        self.fd, child = os.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM")}
        env.update(TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
        self.process = start(
            command, stdin=child, stdout=child, stderr=child, env=env, start_new_session=True
        )
        os.close(child)
        self.stream = Stream()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if not ready:
                if self.process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.stream.add(chunk)
        self.stream.closed = True

    def send(self, keys: str) -> None:
        """Type `keys`."""
        os.write(self.fd, keys.encode())

    def close(self) -> None:
        """Stop the app and anything it started (its session's whole process group)."""
        try:
            end_group(self.process, gentle=False)  # nothing to save: no wait for a SIGTERM
        finally:
            with contextlib.suppress(OSError):
                os.close(self.fd)


_STARTED: list[subprocess.Popen[bytes]] = []
"""Every child the benchmark started: main's last step ends any still running."""
_held_signals: list[int] | None = None
"""While a child is being started, the SIGTERMs that arrived (None: none being started)."""


def start(command: list[str], **options: object) -> subprocess.Popen[bytes]:
    """subprocess.Popen, the child put on _STARTED before a SIGTERM may unwind.

    A SIGTERM handled inside Popen (the child forked and exec'd, Popen not yet returned)
    unwinds with no handle on the child, which then runs on alone: so a SIGTERM is held
    until the child is on the list, then delivered.
    """
    global _held_signals
    _held_signals = []
    try:
        process: subprocess.Popen[bytes] = subprocess.Popen(command, **options)  # type: ignore[call-overload]
        _STARTED.append(process)
    finally:
        held, _held_signals = _held_signals, None
    if held:
        raise SystemExit(128 + held[0])
    return process


def end_started() -> None:
    """End every started child not yet waited for (and its process group)."""
    for process in _STARTED:
        if process.returncode is None:
            end_group(process, gentle=False)


def end_group(process: subprocess.Popen[bytes], gentle: bool = True) -> None:
    """SIGTERM `process` (started with start_new_session) if `gentle`, then SIGKILL its
    whole process group.

    A server's sessions are its children in its process group, and outlive it: stock
    textual-serve leaves them running when it stops, and an orphaned session never exits.
    """
    try:
        if gentle and process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class WsApp:
    """A textual-serve server (started by `server_command` on `port`) and one websocket
    session of the given size; counts the payload bytes the server sends."""

    def __init__(
        self, server_command: list[str], port: int, cols: int, rows: int, keyed: bool
    ) -> None:
        self.server = start(
            server_command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if keyed else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.stream = Stream()
        self.url = f"ws://127.0.0.1:{port}/ws?width={cols}&height={rows}"
        self.origin = f"http://127.0.0.1:{port}"
        if keyed:
            # clinic-tui serve prints its address with the per-launch key; the socket needs it.
            try:
                self.url += "&key=" + self._printed_key()
            except BaseException:
                self.close()
                raise
        self.cols, self.rows = cols, rows
        self._loop = asyncio.new_event_loop()
        self._outbox: asyncio.Queue[str] | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        threading.Thread(target=self._run, daemon=True).start()
        if not self._ready.wait(START_TIMEOUT) or self._failure is not None:
            self.close()
            raise RuntimeError(f"could not open {self.url}: {self._failure}")

    def _printed_key(self) -> str:
        assert self.server.stdout is not None
        for line in self.server.stdout:
            found = re.search(rb"[?&]key=([A-Za-z0-9_-]+)", line)
            if found:
                # Read on (and dropped) so a full pipe never stalls serve.
                threading.Thread(target=self.server.stdout.read, daemon=True).start()
                return found.group(1).decode()
        raise RuntimeError("serve stopped before printing its address")

    def _run(self) -> None:
        self._loop.run_until_complete(self._session())

    async def _session(self) -> None:
        import aiohttp

        deadline = time.monotonic() + START_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    socket_ = await session.ws_connect(self.url, origin=self.origin, max_msg_size=0)
                    break
                except aiohttp.ClientError as error:
                    if time.monotonic() > deadline:
                        self._failure = error
                        self._ready.set()
                        return
                    await asyncio.sleep(0.1)
            self._outbox = asyncio.Queue()
            # As the page does once connected: say its size.
            size = {"width": self.cols, "height": self.rows}
            await socket_.send_str(json.dumps(["resize", size]))
            self._ready.set()

            async def sender() -> None:
                assert self._outbox is not None
                while True:
                    await socket_.send_str(await self._outbox.get())

            sending = asyncio.create_task(sender())
            async for message in socket_:
                if message.type == aiohttp.WSMsgType.BINARY:
                    self.stream.add(message.data)
                elif message.type == aiohttp.WSMsgType.TEXT:
                    self.stream.add(message.data.encode())  # counted; never screen text
                else:
                    break
            sending.cancel()
        self.stream.closed = True

    def send(self, keys: str) -> None:
        """Type `keys` as the page does: a JSON ["stdin", keys] message."""
        message = json.dumps(["stdin", keys])
        assert self._outbox is not None
        self._loop.call_soon_threadsafe(self._outbox.put_nowait, message)

    def close(self) -> None:
        """Stop the server (clinic-tui serve ends its sessions) and kill what is left."""
        end_group(self.server)


@dataclass(frozen=True)
class Target:
    """What is measured: its command line and the words each screen shows."""

    name: str
    words: list[str]
    queue: str
    chart: str
    search: str


def clinic(data_dir: Path, low: bool) -> Target:
    """clinic-tui on `data_dir`."""
    words = [sys.executable, "-m", "clinic_tui", "--data-dir", str(data_dir), "--lang", "en"]
    mode = ["--low-bandwidth"] if low else []
    return Target("clinic-tui", [*words, "run", *mode], "Call next", "Allergies", "Find patient")


def bare(data_dir: Path, input_only: bool = False) -> Target:
    """The bare DataTable app on the same rows; its search with a result list, or with
    the Input alone."""
    words = [sys.executable, str(HERE / "_bare_table.py"), "--data-dir", str(data_dir)]
    words += ["--input-only"] if input_only else []
    return Target("bare", words, "No.", "Allergies", "Find patient")


@contextlib.contextmanager
def launched(target: Target, channel: str, cols: int, rows: int) -> Iterator[PtyApp | WsApp]:
    """The target running on `channel` at cols x rows."""
    if channel == "pty":
        app: PtyApp | WsApp = PtyApp(target.words, cols, rows)
    else:
        port = free_port()
        if target.name == "clinic-tui":
            run_at = target.words.index("run")
            server = [*target.words[:run_at], "serve", "--port", str(port)]
            server += [w for w in target.words[run_at + 1 :] if w == "--low-bandwidth"]
        else:
            script = (
                "import sys, shlex; from textual_serve.server import Server; "
                "Server(shlex.join(sys.argv[2:]), host='127.0.0.1', port=int(sys.argv[1])).serve()"
            )
            server = [sys.executable, "-c", script, str(port), *target.words]
        app = WsApp(server, port, cols, rows, keyed=target.name == "clinic-tui")
    try:
        yield app
    finally:
        app.close()


def measure(target: Target, channel: str, size: str, args: argparse.Namespace) -> dict[str, float]:
    """Bytes for each action (averaged over the repeats), and the start-up's bytes."""
    cols, rows = (int(part) for part in size.split("x"))
    quiet = args.settle
    figures: dict[str, list[int]] = {}

    def note(name: str, value: int) -> None:
        figures.setdefault(name, []).append(value)

    with launched(target, channel, cols, rows) as app:
        stream = app.stream
        # Start-up has timers of its own (the ORM warms up after the first paint): a longer quiet.
        note("first screen", stream.settle(0, 1.5, (target.queue,), START_TIMEOUT))
        for _ in range(args.repeats):
            for _press in range(5):
                mark = stream.size()
                app.send(DOWN)
                note("queue move (↓)", stream.settle(mark, quiet))
            mark = stream.size()
            app.send(ENTER)
            note("open chart (Enter)", stream.settle(mark, quiet, (target.chart,)))
            mark = stream.size()
            app.send(ESCAPE)
            note("back to queue (Esc)", stream.settle(mark, quiet, (target.queue,)))
            mark = stream.size()
            app.send("/")
            note("open search (/)", stream.settle(mark, quiet, (target.search,)))
            typed = 0
            for key in "wan":
                mark = stream.size()
                app.send(key)
                typed += stream.settle(mark, quiet)
            note("type 3 chars (wan)", typed)
            mark = stream.size()
            app.send(ESCAPE)
            stream.settle(mark, quiet, (target.queue,))
        app.send("/")
        stream.settle(stream.size(), quiet, (target.search,))
        time.sleep(1.0)  # a late repaint of the dialog is not idle traffic
        mark = stream.size()
        time.sleep(args.idle)
        note(f"idle {args.idle:g} s, search open", stream.size() - mark)
    return {name: statistics.mean(values) for name, values in figures.items()}


def demo_cache(args: argparse.Namespace, folder: Path) -> Path:
    """The cache to measure on: --data-dir, or a new demo clinic under `folder`."""
    if args.data_dir:
        return Path(args.data_dir)
    subprocess.run(
        [
            *(sys.executable, "-m", "clinic_tui", "demo-data"),
            *("--patients", str(args.patients), "--seed", str(args.seed)),
            *("--data-dir", str(folder)),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return folder


def _leave(signum: int, _frame: object) -> None:
    if _held_signals is not None:  # a child is being started: see `start`
        _held_signals.append(signum)
        return
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", help="measure on this cache (default: a new demo clinic)")
    parser.add_argument("--sizes", default="80x24,120x40")
    parser.add_argument("--channels", default="pty,ws")
    parser.add_argument("--modes", default="normal,low")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of the idle figure")
    parser.add_argument("--settle", type=float, default=0.4, help="quiet seconds ending a key")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare app")
    parser.add_argument(
        "--input-only-baseline",
        action="store_true",
        help="also the bare app whose search has no result list (the baseline before 2026-12-07)",
    )
    args = parser.parse_args(argv)
    # A SIGTERM (a test's timeout, a CI job cancelled) unwinds like ctrl+c, so every
    # `launched` block ends its app's process group on the way out.
    signal.signal(signal.SIGTERM, _leave)
    try:
        return _measure_and_print(args)
    finally:
        end_started()


def _measure_and_print(args: argparse.Namespace) -> int:
    channels = args.channels.split(",")
    modes = args.modes.split(",")
    with tempfile.TemporaryDirectory(prefix="bytes-per-key-") as folder:
        data_dir = demo_cache(args, Path(folder))
        columns: list[tuple[str, Target, str]] = []
        for channel in channels:
            for mode in modes:
                columns.append((f"{channel} {mode}", clinic(data_dir, mode == "low"), channel))
            if not args.no_baseline:
                columns.append((f"{channel} bare", bare(data_dir), channel))
            if args.input_only_baseline:
                columns.append((f"{channel} bare-in", bare(data_dir, True), channel))
        for size in args.sizes.split(","):
            results: dict[str, dict[str, float]] = {}
            for label, target, channel in columns:
                began = time.monotonic()
                results[label] = measure(target, channel, size, args)
                took = time.monotonic() - began
                print(f"  measured {label} at {size} in {took:.0f} s", file=sys.stderr, flush=True)
            actions = list(next(iter(results.values())))
            print(f"\nBytes the app writes per action at {size} (mean of {args.repeats}):")
            print(f"{'action':<26}" + "".join(f"{label:>13}" for label, _, _ in columns))
            for action in actions:
                cells = "".join(f"{results[label][action]:>13,.0f}" for label, _, _ in columns)
                print(f"{action:<26}{cells}")
    print(
        "\npty: bytes written to the terminal (TERM=xterm-256color); ws: websocket payload "
        "bytes from `clinic-tui serve` (truecolor); low: --low-bandwidth; bare: a bare "
        "Textual DataTable app with the same rows, Textual's defaults, whose search fills a "
        "result list from the same cache at each keystroke; bare-in: the same with an "
        "Input alone on its search screen."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
