"""What a real `clinic-tui serve` lets in, asked over real HTTP and websockets on loopback.

Each test starts serve on a free port (tests/ui/browser.py `Served`) and talks to it
with aiohttp's client (or http.client where the raw answer matters): no key -> 403,
the key -> a strict cookie, another site's page or a rebound host name -> 403, the
session cap, the terminal size bound, the sign-in screen first, every session ended
with serve.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.ui.browser import WAIT_SECONDS, Served
from tests.ui.browser import font_cache as prebuilt_font

QUEUE_WORDS = ("Call next",)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo township clinic, no clinician registered."""
    folder = tmp_path_factory.mktemp("doors-clinic")
    subprocess.run(
        [
            *(sys.executable, "-m", "clinic_tui", "demo-data", "--patients", "12"),
            *("--seed", "7", "--data-dir", str(folder)),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return folder


@pytest.fixture(scope="module")
def font_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One cache folder for every serve here: the Chinese font is built once, not per test."""
    return prebuilt_font(tmp_path_factory.mktemp("serve-font-cache"))


@pytest.fixture
def served(clinic: Path, font_cache: dict[str, str]) -> Iterator[Served]:
    """serve on the demo clinic, on a free loopback port."""
    with Served(clinic, env=font_cache) as running:
        yield running


def _raw_get(served: Served, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """Status and body of one GET, headers exactly as given (no redirects followed)."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_host="Host" in headers)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def _upgrade(served: Served, origin: str, **extra: str) -> dict[str, str]:
    """The headers of a browser's websocket request from a page at `origin`."""
    return {
        "Host": f"127.0.0.1:{served.port}",
        "Origin": origin,
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        **extra,
    }


def _own_origin(served: Served) -> str:
    return f"http://127.0.0.1:{served.port}"


def _cookie(served: Served) -> str:
    return f"clinic_tui_serve_{served.port}={served.key}"


# ----- the key ------------------------------------------------------------------------------


def test_without_the_key_the_page_its_files_and_its_socket_are_refused(served: Served) -> None:
    host = {"Host": f"127.0.0.1:{served.port}"}
    status, body = _raw_get(served, "/", host)
    assert status == 403
    assert "open the address clinic-tui serve printed" in body
    assert _raw_get(served, "/static/js/textual.js", host)[0] == 403
    assert _raw_get(served, "/ws", _upgrade(served, _own_origin(served)))[0] == 403
    assert _raw_get(served, "/?key=" + "x" * len(served.key), host)[0] == 403
    assert _raw_get(served, "/", {**host, "Cookie": _cookie(served) + "x"})[0] == 403


def test_the_key_sets_a_strict_http_only_cookie_and_the_url_drops_it(served: Served) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        connection.request("GET", f"/?key={served.key}&fontsize=18")
        answer = connection.getresponse()
        answer.read()
    finally:
        connection.close()

    assert answer.status == 303
    assert answer.getheader("Location") == "./?fontsize=18"
    cookie = answer.getheader("Set-Cookie") or ""
    assert cookie.startswith(_cookie(served) + ";")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http on loopback: a Secure cookie would never return

    host = {"Host": f"127.0.0.1:{served.port}", "Cookie": _cookie(served)}
    status, page = _raw_get(served, "/?fontsize=18", host)
    assert status == 200
    assert f'data-session-websocket-url="ws://127.0.0.1:{served.port}/ws"' in page
    assert served.key not in page  # the key never sits in the page (it is HttpOnly)
    assert _raw_get(served, "/static/js/textual.js", host)[0] == 200


def test_the_page_and_its_socket_work_with_the_cookie(served: Served) -> None:
    screen = asyncio.run(_session_screen(served, QUEUE_WORDS))
    assert "Call next" in screen


# ----- Host and Origin ----------------------------------------------------------------------


def test_a_websocket_from_another_sites_page_is_refused(served: Served) -> None:
    evil = _upgrade(served, "http://evil.example", Cookie=_cookie(served))
    status, body = _raw_get(served, "/ws", evil)
    assert status == 403
    assert body.strip() == "refused: this page is not clinic-tui serve's own"
    # Another port of this machine is another site too.
    other_port = _upgrade(served, "http://127.0.0.1:1", Cookie=_cookie(served))
    assert _raw_get(served, "/ws", other_port)[0] == 403
    # And so is a socket that does not say where its page came from.
    anonymous = _upgrade(served, "", Cookie=_cookie(served))
    del anonymous["Origin"]
    assert _raw_get(served, "/ws", anonymous)[0] == 403
    # The page's own origin passes (the handshake is answered 101).
    assert (
        _raw_get_status_only(served, _upgrade(served, _own_origin(served), Cookie=_cookie(served)))
        == 101
    )


def _raw_get_status_only(served: Served, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        connection.putrequest("GET", "/ws", skip_host=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize(
    "host", ["rebound.example:{port}", "localhost.example:{port}", "127.0.0.1:1", ""]
)
def test_a_host_name_serve_does_not_listen_under_is_refused(served: Served, host: str) -> None:
    # DNS rebinding: another site's name pointed at 127.0.0.1; the browser sends that name.
    headers = {"Host": host.format(port=served.port), "Cookie": _cookie(served)}
    status, body = _raw_get(served, f"/?key={served.key}", headers)
    assert status == 403
    assert "Host" in body


def test_localhost_and_the_address_itself_are_this_server(served: Served) -> None:
    for host in (f"localhost:{served.port}", f"127.0.0.1:{served.port}"):
        headers = {"Host": host, "Cookie": _cookie(served)}
        assert _raw_get(served, "/", headers)[0] == 200


# ----- caps ---------------------------------------------------------------------------------


def test_sessions_past_the_cap_are_refused_with_a_reason_the_page_shows(
    clinic: Path, font_cache: dict[str, str]
) -> None:
    with Served(clinic, "--max-sessions", "1", env=font_cache) as served:
        first, second, third = asyncio.run(_over_the_cap(served))
    assert "Call next" in first
    code, reason = second
    assert code == 4003
    assert "1 sessions are open" in reason
    assert "--max-sessions" in reason
    assert "Call next" in third  # the first closed, a place is free again


async def _over_the_cap(served: Served) -> tuple[str, tuple[int, str], str]:
    async with _client(served) as client:
        async with client.ws_connect(**_ws(served)) as first:
            screen = await _read_until(first, QUEUE_WORDS)
            async with client.ws_connect(**_ws(served)) as second:
                message = await second.receive(timeout=WAIT_SECONDS)
                assert message.type == aiohttp.WSMsgType.CLOSE
                refused = (int(message.data), str(message.extra))
        # The first session's place is given back once it has ended.
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            async with client.ws_connect(**_ws(served)) as third:
                try:
                    again = await _read_until(third, QUEUE_WORDS)
                    break
                except ConnectionError:
                    if time.monotonic() > deadline:
                        raise
            await asyncio.sleep(0.2)  # polling interval while the first session ends
    return screen, refused, again


def test_an_oversized_terminal_is_bounded_to_500_by_200(served: Served) -> None:
    rows, cols = asyncio.run(_oversized(served))
    # Textual places every line with a cursor move: the session drew at the bounded size
    # (past column 400 and row 150: far beyond a default 80x24) and never beyond it.
    assert 150 < max(rows) <= 200
    assert 400 < max(cols) <= 500


async def _oversized(served: Served) -> tuple[list[int], list[int]]:
    async with _client(served) as client:
        query = "?width=3000&height=3000"
        async with client.ws_connect(**_ws(served, query)) as socket_:
            await socket_.send_str(json.dumps(["resize", {"width": 3000, "height": 3000}]))
            await socket_.send_str(json.dumps(["resize", {"width": "x", "height": None}]))
            await socket_.send_str("not json")  # ignored, as any junk from a page
            await socket_.send_str(json.dumps(["resize", {"width": 9999, "height": 9999}]))
            data = await _read_bytes_until(socket_, QUEUE_WORDS)
            # The first frame may be drawn at the start size, before the resize arrives:
            # read on until the session draws at the size it was given (or WAIT_SECONDS).
            deadline = time.monotonic() + WAIT_SECONDS
            while not _moves_past_column(data, 400):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("the session never drew past column 400")
                message = await socket_.receive(timeout=left)
                if message.type == aiohttp.WSMsgType.BINARY:
                    data += message.data
                elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    raise ConnectionError(f"closed: {message.data} {message.extra}")
    moves = re.findall(rb"\x1b\[(\d+);(\d+)H", data)
    return [int(row) for row, _ in moves], [int(col) for _, col in moves]


def _moves_past_column(data: bytes, column: int) -> bool:
    """True once a cursor move in `data` goes beyond `column` (a wide frame is drawn)."""
    return any(int(col) > column for _, col in re.findall(rb"\x1b\[(\d+);(\d+)H", data))


# ----- sign-in and the end of serve ---------------------------------------------------------


def test_with_no_clinician_registered_serve_says_so_at_start(served: Served) -> None:
    printed = "".join(served.lines)
    assert "no clinician is registered" in printed
    assert "clinic-tui users add" in printed


def test_a_session_opens_on_the_sign_in_screen_when_clinicians_are_registered(
    tmp_path: Path, clinic: Path, font_cache: dict[str, str]
) -> None:
    data = tmp_path / "clinic"
    subprocess.run(["cp", "-a", str(clinic), str(data)], check=True)
    subprocess.run(
        [
            *(sys.executable, "-m", "clinic_tui", "users", "add", "--practitioner-id"),
            *("dr-li", "--name", "Li Wei", "--data-dir", str(data)),
        ],
        input="482916\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    with Served(data, env=font_cache) as served:
        screen = asyncio.run(_session_screen(served, ("Sign in",)))
        printed = "".join(served.lines)
    assert "Li Wei" in screen
    assert "Call next" not in screen  # the queue stays hidden until a PIN is typed
    assert "no clinician is registered" not in printed


def test_stopping_serve_ends_every_sessions_process(
    clinic: Path, font_cache: dict[str, str]
) -> None:
    with Served(clinic, env=font_cache) as served:
        sessions, code = asyncio.run(_stop_with_sessions_open(served, 2))
        # serve's exit waited for its sessions: none is left for Served's SIGKILL to find.
        left = [pid for pid in sessions if _alive(pid)]
    assert len(sessions) == 2
    assert code == 0
    assert left == []


async def _stop_with_sessions_open(served: Served, count: int) -> tuple[list[int], int]:
    """Open `count` sessions, see each draw, then stop serve while they are still open;
    returns the sessions' process ids (serve's children) and serve's exit code."""
    async with _client(served) as client:
        sockets = [await client.ws_connect(**_ws(served)) for _ in range(count)]
        for socket_ in sockets:
            await _read_until(socket_, QUEUE_WORDS)
        children = _children(served.process.pid)
        served.process.terminate()
        code = await asyncio.to_thread(served.process.wait, WAIT_SECONDS)
        for socket_ in sockets:
            await socket_.close()
    return children, code


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# ----- helpers ------------------------------------------------------------------------------


def _client(served: Served) -> aiohttp.ClientSession:
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP address host
    jar.update_cookies({f"clinic_tui_serve_{served.port}": served.key})
    return aiohttp.ClientSession(cookie_jar=jar)


def _ws(served: Served, query: str = "?width=80&height=24") -> dict[str, Any]:
    return {
        "url": f"ws://127.0.0.1:{served.port}/ws{query}",
        "origin": _own_origin(served),
        "max_msg_size": 0,
    }


async def _session_screen(served: Served, words: tuple[str, ...]) -> str:
    async with _client(served) as client, client.ws_connect(**_ws(served)) as socket_:
        await socket_.send_str(json.dumps(["resize", {"width": 80, "height": 24}]))
        return await _read_until(socket_, words)


async def _read_until(socket_: aiohttp.ClientWebSocketResponse, words: tuple[str, ...]) -> str:
    data = await _read_bytes_until(socket_, words)
    return _text(data)


async def _read_bytes_until(
    socket_: aiohttp.ClientWebSocketResponse, words: tuple[str, ...]
) -> bytes:
    """What the session drew until any of `words` appears (ConnectionError if it closes)."""
    data = b""
    deadline = time.monotonic() + WAIT_SECONDS
    while not any(word in _text(data) for word in words):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"never drew {words!r}: {_text(data)[-600:]!r}")
        message = await socket_.receive(timeout=left)
        if message.type == aiohttp.WSMsgType.BINARY:
            data += message.data
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            raise ConnectionError(f"closed: {message.data} {message.extra}")
    return data


def _text(data: bytes) -> str:
    """The screen's words: escape sequences out, cursor moves as line breaks."""
    text = re.sub(rb"\x1b\[\d+;\d+H", b"\n", data)
    text = re.sub(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()=>78]", b"", text)
    return text.decode("utf-8", "replace")
