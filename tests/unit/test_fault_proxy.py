"""The fault proxy (tests/netlab): pass-through, bandwidth and delay, each fault kind, counting."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.netlab.fault_proxy import FaultProxy, RequestCounter


def _payload(size: int) -> bytes:
    """Deterministic bytes that do not compress or repeat in an obvious way."""
    blocks = []
    for index in range(size // 32 + 1):
        blocks.append(hashlib.sha256(str(index).encode()).digest())
    return b"".join(blocks)[:size]


class _Handler(BaseHTTPRequestHandler):
    """GET /bytes/N answers N bytes; POST /echo answers its body; keep-alive HTTP/1.1."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        size = int(self.path.rsplit("/", 1)[-1]) if self.path.startswith("/bytes/") else 0
        self._answer(_payload(size))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self._answer(self.rfile.read(length))

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        """Quiet: the test output is not the place for access logs."""


class _QuietServer(ThreadingHTTPServer):
    """Resets are the point of these tests: no tracebacks for them."""

    daemon_threads = True

    def handle_error(self, *_args: object) -> None:
        """Ignore a client that went away."""


@pytest.fixture
def backend() -> Iterator[int]:
    """A local HTTP/1.1 server on 127.0.0.1; yields its port."""
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(5)


def _client(read_timeout: float = 10.0) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(read_timeout, connect=5.0))


def test_bytes_pass_through_unchanged_and_are_counted(backend: int) -> None:
    body = _payload(300_000)
    with FaultProxy(backend) as proxy, _client() as client:
        echoed = client.post(f"{proxy.url}/echo", content=body)
        fetched = client.get(f"{proxy.url}/bytes/123457")
        stats = proxy.stats()

    assert echoed.content == body
    assert fetched.content == _payload(123_457)
    assert stats.requests == 2
    assert stats.methods == {"POST": 1, "GET": 1}
    assert stats.connections == 1  # keep-alive: both requests on one connection
    assert stats.bytes_up > len(body)  # the body plus two request heads
    assert stats.bytes_down > len(body) + 123_457
    assert stats.faults == {}


def test_bandwidth_limit_slows_a_download_to_the_link_rate(backend: int) -> None:
    # 200 KB at 1 Mbit/s is 1.6 s of link time; the bound below leaves room for slow machines.
    with FaultProxy(backend, bandwidth=125_000) as proxy, _client() as client:
        started = time.perf_counter()
        response = client.get(f"{proxy.url}/bytes/200000")
        elapsed = time.perf_counter() - started

    assert response.content == _payload(200_000)
    print(f"200 KB at 1 Mbit/s: {elapsed:.2f} s, {200_000 * 8 / elapsed / 1e6:.2f} Mbit/s")
    assert elapsed >= 1.2


def test_one_way_delay_adds_a_round_trip(backend: int) -> None:
    with FaultProxy.thin_link(backend, mbit=100, rtt=0.4) as proxy, _client() as client:
        client.get(f"{proxy.url}/bytes/10")  # the connection's own round trip first
        started = time.perf_counter()
        client.get(f"{proxy.url}/bytes/10")
        elapsed = time.perf_counter() - started

    assert elapsed >= 0.35


def test_a_reset_reaches_the_client_as_a_connection_error(backend: int) -> None:
    with FaultProxy(backend, fault_rate=1.0, fault_kinds=("reset",)) as proxy, _client() as client:
        with pytest.raises(httpx.TransportError):
            client.get(f"{proxy.url}/bytes/50000")
        assert proxy.stats().faults == {"reset": 1}


def test_a_stall_ends_in_the_clients_read_timeout(backend: int) -> None:
    proxy = FaultProxy(backend, fault_rate=1.0, fault_kinds=("stall",), stall_seconds=3.0)
    with proxy, _client(read_timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"{proxy.url}/bytes/1000")
        assert proxy.stats().faults == {"stall": 1}


def _raw_get(port: int, path: str) -> tuple[int, bytes]:
    """(declared Content-Length, body bytes received until the connection closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        received = bytearray()
        for _ in range(10_000):  # bounded: ends at EOF long before
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return length, body


def test_a_truncation_closes_the_connection_mid_body(backend: int) -> None:
    with FaultProxy(backend, fault_rate=1.0, fault_kinds=("truncate",)) as proxy:
        declared, body = _raw_get(proxy.port, "/bytes/40000")
        with _client() as client, pytest.raises(httpx.RemoteProtocolError):
            client.get(f"{proxy.url}/bytes/40000")
        faults = proxy.stats().faults

    assert declared == 40_000
    assert 0 < len(body) < declared
    assert body == _payload(40_000)[: len(body)]  # a prefix, not garbage
    assert faults == {"truncate": 2}


def test_a_latency_spike_delays_but_delivers(backend: int) -> None:
    proxy = FaultProxy(backend, fault_rate=1.0, fault_kinds=("latency",), spike_seconds=0.5)
    with proxy, _client() as client:
        started = time.perf_counter()
        response = client.get(f"{proxy.url}/bytes/5000")
        elapsed = time.perf_counter() - started
        faults = proxy.stats().faults

    assert response.content == _payload(5000)
    assert elapsed >= 0.45
    assert faults == {"latency": 1}


def _outcomes(port: int, seed: int) -> list[bool]:
    """Which of 30 sequential GETs succeed through a 30%-faulty proxy with `seed`."""
    results = []
    proxy = FaultProxy(port, seed=seed, fault_rate=0.3, fault_kinds=("reset", "truncate"))
    with proxy, _client() as client:
        for _ in range(30):
            try:
                ok = client.get(f"{proxy.url}/bytes/3000").content == _payload(3000)
            except httpx.TransportError:
                ok = False
            results.append(ok)
    return results


def test_the_same_seed_fails_the_same_requests(backend: int) -> None:
    first = _outcomes(backend, seed=11)
    second = _outcomes(backend, seed=11)

    assert first == second
    assert 0 < first.count(False) < 30  # the rate means something: some fail, not all


def test_stop_closes_the_listener(backend: int) -> None:
    proxy = FaultProxy(backend).start()
    port = proxy.port
    proxy.stop()

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_request_counter_understands_keep_alive_bodies_and_split_reads() -> None:
    body = b"GET /not-a-request HTTP/1.1\r\n\r\n"  # inside a body: must not count
    stream = (
        b"POST /a HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body
        + b"PUT /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"5\r\nhello\r\n0\r\n\r\n"
        + b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    whole = RequestCounter().feed(stream)
    split = RequestCounter()
    one_by_one = [line for i in range(len(stream)) for line in split.feed(stream[i : i + 1])]

    expected = ["POST /a HTTP/1.1", "PUT /b HTTP/1.1", "GET /c HTTP/1.1"]
    assert whole == expected
    assert one_by_one == expected
    assert not split.lost


def test_request_counter_gives_up_on_a_stream_that_is_not_http() -> None:
    counter = RequestCounter()

    assert counter.feed(b"\x16\x03\x01 TLS hello\r\n\r\n") == []
    assert counter.lost
    assert counter.feed(b"GET / HTTP/1.1\r\n\r\n") == []
