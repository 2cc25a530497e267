"""A TCP proxy on 127.0.0.1 that emulates a thin, unreliable link between a client and a server.

`tc netem` is missing on these machines, so the project owns its link emulator:

- a steady one-way delay on each direction (RTT/2 each way), applied per chunk in a FIFO,
  so bytes are pipelined like on a real link instead of waiting one by one; a new
  connection first waits one RTT, the cost of a real TCP handshake;
- a bandwidth limit per direction, shared by every connection (a token bucket one chunk
  deep: a chunk of n bytes occupies the link for n / bandwidth seconds);
- faults drawn from a seeded RNG at a configurable rate: connection resets, stalls longer
  than the client's read timeout, truncated responses (closed mid-body) and latency spikes.

Faults are drawn per HTTP request (default: one draw when a request line is seen), per
response chunk, or per connection. A drawn fault hits the next response bytes, which on an
HTTP/1.1 connection without pipelining belong to that request; half of the resets come
before the request reaches the server instead (the server never saw it). With a fixed seed
and a sequential client the same requests fail on every run.

Byte counts are payload bytes forwarded each way (TCP/IP headers not included); requests are
counted by parsing request lines on the client-to-server stream, keep-alive and chunked
bodies understood. The proxy runs its own asyncio loop in a background thread:

    with FaultProxy(target_port, bandwidth=125_000, one_way_delay=0.05) as proxy:
        httpx.get(proxy.url + "/fhir/metadata")
        print(proxy.stats())

Every loop here ends: readers at EOF or error, writers after EOF, stalls after
`stall_seconds`, and stop() aborts whatever is still open.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Collection, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal["reset", "stall", "truncate", "latency"]
FAULT_KINDS: tuple[FaultKind, ...] = ("reset", "stall", "truncate", "latency")
FaultUnit = Literal["request", "chunk", "connection"]

_MAX_HEAD = 64 * 1024
"""A request head longer than this stops the counting on that connection (not HTTP)."""
_QUEUE_ITEMS = 64
_CONNECT_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class ProxyStats:
    """What went through the proxy since it started (or since reset_stats)."""

    bytes_up: int
    """Payload bytes forwarded from the client to the server."""
    bytes_down: int
    """Payload bytes forwarded from the server to the client."""
    connections: int
    requests: int
    """HTTP requests seen on the client-to-server stream (round trips)."""
    methods: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    """Faults injected, by kind ("reset" counts both before and after the server)."""

    @property
    def bytes_total(self) -> int:
        """Bytes both ways."""
        return self.bytes_up + self.bytes_down


class RequestCounter:
    """Finds the start of every HTTP/1.x request in a client-to-server byte stream."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._state = "head"
        self._remaining = 0

    @property
    def lost(self) -> bool:
        """True when the stream stopped looking like HTTP/1.x (counting gave up)."""
        return self._state == "lost"

    def feed(self, data: bytes) -> list[str]:
        """Request lines of the requests that start in `data`, in order."""
        self._buffer += data
        buffer = self._buffer
        started: list[str] = []
        pos = 0
        # Each pass consumes at least one byte or breaks, so the loop ends.
        while pos < len(buffer) and self._state != "lost":
            if self._state == "head":
                while buffer.startswith(b"\r\n", pos):
                    pos += 2  # stray line breaks between requests are allowed
                end = buffer.find(b"\r\n\r\n", pos)
                if end < 0:
                    if len(buffer) - pos > _MAX_HEAD:
                        self._state = "lost"
                    break
                request_line = self._start(bytes(buffer[pos:end]))
                if request_line is not None:
                    started.append(request_line)
                pos = end + 4
            elif self._state in ("body", "chunk_data"):
                take = min(self._remaining, len(buffer) - pos)
                pos += take
                self._remaining -= take
                if self._remaining == 0:
                    self._state = "head" if self._state == "body" else "chunk_size"
            else:  # chunk_size or trailers: one CRLF-terminated line
                end = buffer.find(b"\r\n", pos)
                if end < 0:
                    if len(buffer) - pos > _MAX_HEAD:
                        self._state = "lost"
                    break
                line = bytes(buffer[pos:end])
                pos = end + 2
                self._line(line)
        del buffer[:pos]
        return started

    def _line(self, line: bytes) -> None:
        if self._state == "trailers":
            if not line:
                self._state = "head"
            return
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            self._state = "lost"
            return
        if size == 0:
            self._state = "trailers"
        else:
            self._state, self._remaining = "chunk_data", size + 2  # data and its CRLF

    def _start(self, head: bytes) -> str | None:
        lines = head.split(b"\r\n")
        request_line = lines[0].decode("latin-1")
        length = 0
        chunked = False
        for raw in lines[1:]:
            name, _, value = raw.partition(b":")
            name = name.strip().lower()
            if name == b"content-length" and value.strip().isdigit():
                length = int(value.strip())
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self._state = "lost"
            return None
        if chunked:
            self._state = "chunk_size"
        elif length > 0:
            self._state, self._remaining = "body", length
        return request_line


class _Link:
    """One direction of the emulated link, shared by every connection."""

    def __init__(self) -> None:
        self.free_at = 0.0

    def transmit(self, size: int, now: float, bandwidth: float | None) -> float:
        """Loop time at which `size` bytes offered at `now` have left the link's far end."""
        if not bandwidth:
            return now
        start = max(now, self.free_at)
        self.free_at = start + size / bandwidth
        return self.free_at


# (deliver at loop time, bytes, action): action is data, eof, close or reset.
_Item = tuple[float, bytes, str]


class _Connection:
    """One proxied client connection: two directions, each a reader and a writer task."""

    def __init__(
        self,
        proxy: FaultProxy,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self.proxy = proxy
        self.client_reader, self.client_writer = client
        self.server_writer: asyncio.StreamWriter | None = None
        self.armed: FaultKind | None = None
        self.truncating = False
        self._head_scan = bytearray()
        self._tasks: list[asyncio.Task[None]] = []
        self._aborted = False

    async def run(self) -> None:
        """Connect to the target and pump both directions until they end."""
        proxy = self.proxy
        try:
            server_reader, server_writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", proxy.target_port), _CONNECT_TIMEOUT
            )
        except (OSError, TimeoutError):
            self.abort(rst=True)
            return
        self.server_writer = server_writer
        if proxy.one_way_delay:
            # The TCP handshake a real link would cost (SYN, SYN-ACK) before the first byte.
            await asyncio.sleep(2 * proxy.one_way_delay)
        if proxy.fault_unit == "connection":
            self.armed = proxy.draw()
        up: asyncio.Queue[_Item] = asyncio.Queue(_QUEUE_ITEMS)
        down: asyncio.Queue[_Item] = asyncio.Queue(_QUEUE_ITEMS)
        self._tasks = [
            asyncio.create_task(self._guard(lambda: self._read_up(up))),
            asyncio.create_task(self._guard(lambda: self._write(up, server_writer, upstream=True))),
            asyncio.create_task(self._guard(lambda: self._read_down(server_reader, down))),
            asyncio.create_task(
                self._guard(lambda: self._write(down, self.client_writer, upstream=False))
            ),
        ]
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.abort(rst=False)

    async def _guard(self, step: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run one pump step; a broken socket on either side ends the whole connection."""
        try:
            await step()
        except (ConnectionError, OSError):
            self.abort(rst=True)

    def abort(self, *, rst: bool) -> None:
        """Close both sides now (with a TCP reset to the client when `rst`); cancel the pumps."""
        if self._aborted:
            return
        self._aborted = True
        for writer in (self.client_writer, self.server_writer):
            if writer is None:
                continue
            if rst:
                _set_reset_on_close(writer)
            writer.transport.abort()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()

    async def _read_up(self, queue: asyncio.Queue[_Item]) -> None:
        """Client to server: count requests, draw per-request faults, pace to the link."""
        proxy = self.proxy
        counter = RequestCounter()
        # Bounded: each read returns data or EOF, and EOF returns.
        while True:
            data = await self.client_reader.read(proxy.chunk_size)
            if not data:
                await queue.put((proxy.now() + proxy.one_way_delay, b"", "eof"))
                return
            for line in counter.feed(data):
                proxy.count_request(line)
                method = line.split(" ", 1)[0]
                if proxy.fault_unit != "request" or not proxy.faults_apply_to(method):
                    continue
                kind = proxy.draw()
                if kind == "reset" and proxy.coin():
                    # Lost on the way: the server never sees this request.
                    proxy.count_fault("reset")
                    self.abort(rst=True)
                    return
                self.armed = kind or self.armed
            await self._forward(queue, proxy.up_link, data, extra_delay=0.0)

    async def _read_down(self, reader: asyncio.StreamReader, queue: asyncio.Queue[_Item]) -> None:
        """Server to client: apply the drawn faults to the response bytes, pace to the link."""
        proxy = self.proxy
        while True:
            data = await reader.read(proxy.chunk_size)
            if not data:
                await queue.put((proxy.now() + proxy.one_way_delay, b"", "eof"))
                return
            if proxy.fault_unit == "chunk":
                self.armed = proxy.draw() or self.armed
            kind, self.armed = self.armed, None
            extra = 0.0
            if kind == "latency":
                proxy.count_fault("latency")
                extra = proxy.spike_seconds
            elif kind == "reset":
                proxy.count_fault("reset")
                cut = proxy.cut(len(data))
                if cut:
                    await self._forward(queue, proxy.down_link, data[:cut], extra_delay=0.0)
                await queue.put((proxy.now() + proxy.one_way_delay, b"", "reset"))
                return
            elif kind == "stall":
                proxy.count_fault("stall")
                # Nothing more reaches the client; then the link gives up on the connection.
                await asyncio.sleep(proxy.stall_seconds)
                self.abort(rst=True)
                return
            elif kind == "truncate":
                proxy.count_fault("truncate")
                self.truncating = True
            if self.truncating:
                at = self._truncation_point(data)
                if at is not None:
                    await self._forward(queue, proxy.down_link, data[:at], extra_delay=0.0)
                    await queue.put((proxy.now() + proxy.one_way_delay, b"", "close"))
                    return
            await self._forward(queue, proxy.down_link, data, extra_delay=extra)

    def _truncation_point(self, data: bytes) -> int | None:
        """Where to cut a response to truncate its body, or None to pass this chunk whole.

        The cut falls inside the body when the body has started in this chunk; the response
        head is let through first so the client sees a short body, not a broken head.
        """
        before = len(self._head_scan)
        self._head_scan += data
        end = self._head_scan.find(b"\r\n\r\n")
        if end < 0:
            if len(self._head_scan) > _MAX_HEAD:
                return len(data) // 2
            return None
        body_start = end + 4 - before  # offset of the body inside `data`
        body_here = len(data) - max(body_start, 0)
        if body_here <= 0:
            return None
        return max(body_start, 0) + body_here // 2

    async def _forward(
        self, queue: asyncio.Queue[_Item], link: _Link, data: bytes, *, extra_delay: float
    ) -> None:
        proxy = self.proxy
        now = proxy.now()
        done = link.transmit(len(data), now, proxy.bandwidth)
        await queue.put((done + proxy.one_way_delay + extra_delay, data, "data"))
        if done > now:
            # Pace the reader to the link so the sender feels the bottleneck (backpressure).
            await asyncio.sleep(done - proxy.now())

    async def _write(
        self, queue: asyncio.Queue[_Item], writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        """Deliver queued chunks at their due time; ends after EOF, close or reset."""
        proxy = self.proxy
        while True:
            due, data, action = await queue.get()
            wait = due - proxy.now()
            if wait > 0:
                await asyncio.sleep(wait)
            if action == "data":
                # Counted before the write, so a client that has the bytes sees them counted.
                proxy.count_bytes(len(data), upstream=upstream)
                writer.write(data)
                await writer.drain()
            elif action == "eof":
                if writer.can_write_eof() and not writer.is_closing():
                    writer.write_eof()
                return
            elif action == "close":
                # A clean FIN mid-body: the client sees a short body, not a reset.
                await writer.drain()
                self.abort(rst=False)
                return
            else:
                self.abort(rst=True)
                return


def _set_reset_on_close(writer: asyncio.StreamWriter) -> None:
    """Make the next close send a TCP RST (SO_LINGER with a zero timeout)."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class FaultProxy:
    """A link emulator between 127.0.0.1:<port> and 127.0.0.1:<target_port>; see module doc."""

    def __init__(
        self,
        target_port: int,
        *,
        listen_port: int = 0,
        seed: int = 0,
        fault_rate: float = 0.0,
        fault_kinds: tuple[FaultKind, ...] = FAULT_KINDS,
        fault_unit: FaultUnit = "request",
        stall_seconds: float = 5.0,
        spike_seconds: float = 0.3,
        one_way_delay: float = 0.0,
        bandwidth: float | None = None,
        fault_methods: Collection[str] | None = None,
    ) -> None:
        self.target_port = target_port
        self.listen_port = listen_port
        self.fault_rate = fault_rate
        """Chance of a fault per unit; may be changed between runs (0 for clean set-up)."""
        self.fault_kinds = fault_kinds
        self.fault_unit: FaultUnit = fault_unit
        self.fault_methods = frozenset(fault_methods) if fault_methods is not None else None
        """With the request unit: only requests with these methods draw faults (None: all)."""
        self.stall_seconds = stall_seconds
        """How long a stalled connection stays silent before it is dropped."""
        self.spike_seconds = spike_seconds
        self.one_way_delay = one_way_delay
        """Seconds added to each direction (half the round-trip time)."""
        self.bandwidth = bandwidth
        """Bytes per second per direction, shared by all connections; None for unlimited."""
        self.up_link = _Link()
        self.down_link = _Link()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._zero_stats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._startup_error: BaseException | None = None
        self._connections: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @classmethod
    def thin_link(
        cls, target_port: int, *, mbit: float = 1.0, rtt: float = 0.1, **options: Any
    ) -> FaultProxy:
        """A proxy emulating `mbit` Mbit/s each way with `rtt` seconds of round-trip time."""
        return cls(
            target_port,
            bandwidth=mbit * 1_000_000 / 8,
            one_way_delay=rtt / 2,
            **options,
        )

    # ---- settings derived for the pumps ----------------------------------

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port> of the proxy (no path)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def chunk_size(self) -> int:
        """Bytes read at once: about 10 ms of link time when the bandwidth is limited."""
        if not self.bandwidth:
            return 65536
        return max(512, min(16384, int(self.bandwidth * 0.01)))

    def now(self) -> float:
        """The proxy loop's clock."""
        assert self._loop is not None
        return self._loop.time()

    # ---- the RNG (used on the proxy's loop only) ----------------------------

    def draw(self) -> FaultKind | None:
        """A fault kind with probability fault_rate, else None."""
        if self.fault_rate <= 0 or not self.fault_kinds:
            return None
        if self._rng.random() >= self.fault_rate:
            return None
        return self._rng.choice(self.fault_kinds)

    def faults_apply_to(self, method: str) -> bool:
        """True when a request with this method may draw a fault."""
        return self.fault_methods is None or method in self.fault_methods

    def coin(self) -> bool:
        """A fair coin from the seeded RNG."""
        return self._rng.random() < 0.5

    def cut(self, size: int) -> int:
        """A random cut point in 0..size-1 (how much of a chunk passes before a reset)."""
        return self._rng.randrange(size) if size > 0 else 0

    # ---- statistics ---------------------------------------------------------

    def _zero_stats(self) -> None:
        self._bytes = [0, 0]
        self._connections_seen = 0
        self._requests = 0
        self._methods: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()

    def count_bytes(self, size: int, *, upstream: bool) -> None:
        """Count bytes forwarded in one direction."""
        with self._lock:
            self._bytes[0 if upstream else 1] += size

    def count_request(self, request_line: str) -> None:
        """Count one HTTP request by its method."""
        with self._lock:
            self._requests += 1
            self._methods[request_line.split(" ", 1)[0]] += 1

    def count_fault(self, kind: str) -> None:
        """Count one injected fault."""
        with self._lock:
            self._faults[kind] += 1

    def stats(self) -> ProxyStats:
        """A snapshot of the counters (safe from any thread)."""
        with self._lock:
            return ProxyStats(
                bytes_up=self._bytes[0],
                bytes_down=self._bytes[1],
                connections=self._connections_seen,
                requests=self._requests,
                methods=dict(self._methods),
                faults=dict(self._faults),
            )

    def reset_stats(self) -> None:
        """Zero the counters (between the phases of a benchmark)."""
        with self._lock:
            self._zero_stats()

    # ---- lifecycle ----------------------------------------------------------

    def start(self) -> FaultProxy:
        """Start listening on 127.0.0.1 in a background thread; returns self."""
        if self._thread is not None:
            raise RuntimeError("the proxy is already started")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(_STOP_TIMEOUT):
            raise RuntimeError("the fault proxy did not start")
        if self._startup_error is not None:
            raise RuntimeError(f"the fault proxy did not start: {self._startup_error}")
        return self

    def stop(self) -> None:
        """Close the listener and every connection; wait for the thread to end."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if self._stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._stopping.set)
        thread.join(_STOP_TIMEOUT * 2)
        if not thread.is_alive():
            loop.close()
        self._thread = None
        self._loop = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as error:  # reported to start(), never lost in the thread
            self._startup_error = error
            self._ready.set()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._accept, "127.0.0.1", self.listen_port)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stopping.wait()
        server.close()
        for connection in list(self._connections):
            connection.abort(rst=False)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=_STOP_TIMEOUT)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), _STOP_TIMEOUT)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self._connections_seen += 1
        connection = _Connection(self, (reader, writer))
        task = asyncio.current_task()
        self._connections.add(connection)
        if task is not None:
            self._tasks.add(task)
        try:
            await connection.run()
        finally:
            self._connections.discard(connection)
            if task is not None:
                self._tasks.discard(task)
