"""The web server behind `clinic-tui serve`: textual-serve's, with its doors guarded.

textual-serve checks no Host, no Origin and no secret, caps neither sessions nor
terminal size, and leaves its sessions' processes running when it stops. This
subclass applies commands/serve_guard.py to every request, counts sessions, bounds
what a browser may ask for, and ends every session's process when serve stops.
Imported only when `serve` runs (it pulls in aiohttp).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shlex
import signal
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import WSMsgType, web
from aiohttp.web_runner import GracefulExit
from textual_serve.app_service import AppService
from textual_serve.server import Server

from clinic_tui.commands.serve_fonts import CJK_FONT_ROUTE, CjkFont
from clinic_tui.commands.serve_guard import (
    KEY_PARAMETER,
    Origins,
    clamp_size,
    cookie_name,
    same_secret,
)
from clinic_tui.i18n import tr

log = logging.getLogger("clinic-tui.serve")

SESSIONS_FULL = 4003
"""Websocket close code of a session refused because --max-sessions are open (4000-4999
are the application's own); the page shows the close reason."""
QUIT_SECONDS = 5.0
"""How long a session's process has, once told to quit, before it is killed."""
MAX_MESSAGE_BYTES = 1 << 20
"""Largest websocket message a page may send (a paste); aiohttp's default is 4 MiB."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Session(AppService):
    """One browser session's clinic-tui process: run without a shell, and ended for sure.

    textual-serve starts the command through `/bin/sh -c`, so a signal reached the shell
    and not the workstation under it; this runs the command's own words.
    """

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_exec(
            *shlex.split(self.command),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def end(self) -> None:
        """Tell the process to quit; kill it if it has not within QUIT_SECONDS."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(Exception):
            await self.send_meta({"type": "quit"})
        try:
            await asyncio.wait_for(process.wait(), QUIT_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


class ClinicServer(Server):
    """textual-serve's server on a socket we bound, behind Host, Origin and key checks."""

    def __init__(
        self,
        listener: socket.socket,
        *,
        key: str,
        origins: Origins,
        max_sessions: int,
        secure_cookie: bool,
        banner: str,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.listener = listener
        self.key = key
        self.origins = origins
        self.max_sessions = max_sessions
        self.secure_cookie = secure_cookie
        self.banner = banner
        self.cookie = cookie_name(origins.port)
        self.sessions: set[Session] = set()
        self.explicit_public_url = options.get("public_url") is not None
        self.cjk_font = CjkFont()

    def serve(self, debug: bool = False) -> None:
        """Serve until ctrl+c or SIGTERM; every session's process ends before serve does."""
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)

        def leave() -> None:
            raise GracefulExit()

        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows
                loop.add_signal_handler(signum, leave)
        web.run_app(
            self._make_app(),
            sock=self.listener,
            handle_signals=False,
            loop=loop,
            print=lambda *_args: None,
            access_log=None,  # a request line would carry the key of the address
            shutdown_timeout=QUIT_SECONDS + 1,
        )

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        # aiohttp_jinja2 autoescapes: the page's values (title, URLs) never become markup.
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get(CJK_FONT_ROUTE, self.handle_cjk_font, name="cjk-font"),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        # Downloads (textual's deliver_file) are left out: the workstation offers none.
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every request: our Host, then the key (once, in the URL) or its cookie, then
        for the websocket the page's own Origin."""
        if not self.origins.host_allowed(request.headers.get("Host")):
            return _forbidden(
                tr(
                    "this server does not answer to that host name (clinic-tui serve checks the "
                    "Host header; behind a proxy, pass the address browsers use as --public-url)"
                )
            )
        offered = request.query.get(KEY_PARAMETER)
        if offered is not None:
            if not same_secret(offered, self.key):
                return _forbidden(tr("wrong key: open the address clinic-tui serve printed"))
            if request.path == "/":
                return self._remember_key(request)
        elif not same_secret(request.cookies.get(self.cookie), self.key):
            return _forbidden(
                tr(
                    "no key: open the address clinic-tui serve printed when it started "
                    "(it ends in ?key=...); this browser then remembers it until serve restarts"
                )
            )
        if request.path == "/ws" and not self.origins.origin_allowed(
            request.headers.get("Origin"), request.headers.get("Host")
        ):
            log.warning("refused a websocket from origin %r", request.headers.get("Origin"))
            return _forbidden(tr("refused: this page is not clinic-tui serve's own"))
        return await handler(request)

    def _remember_key(self, request: web.Request) -> web.StreamResponse:
        """The right key in the URL: keep it in a cookie, and go to the URL without it."""
        rest = [(name, value) for name, value in request.query.items() if name != KEY_PARAMETER]
        target = "./" + (f"?{urlencode(rest)}" if rest else "")
        answer = web.HTTPSeeOther(target)
        answer.set_cookie(
            self.cookie,
            self.key,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=self.secure_cookie,
        )
        answer.headers["Cache-Control"] = "no-store"
        answer.headers["Referrer-Policy"] = "no-referrer"
        return answer

    def _base_url(self, request: web.Request) -> str:
        """Where the browser reached us: --public-url, else the (checked) Host it used."""
        if self.explicit_public_url:
            return str(self.public_url)
        return f"http://{request.host}"

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page, pointing at the address the browser used."""
        base = self._base_url(request)
        scheme, rest = base.split(":", 1)
        context = {
            "font_size": max(6, min(64, _to_int(request.query.get("fontsize"), 16))),
            "app_websocket_url": ("wss:" if scheme == "https" else "ws:") + rest + "/ws",
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
            "cjk_font_url": f"{base}{CJK_FONT_ROUTE}",
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"  # no clickjacking through a frame
        return response

    async def handle_cjk_font(self, request: web.Request) -> web.StreamResponse:
        """The Chinese font xterm falls back to, built once and cached by the browser."""
        body = await asyncio.get_running_loop().run_in_executor(None, self.cjk_font.woff)
        return web.Response(
            body=body,
            content_type="font/woff",
            headers={"Cache-Control": "private, max-age=31536000, immutable"},
        )

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser session: refused past --max-sessions, its terminal size bounded."""
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE_BYTES)
        await websocket.prepare(request)
        if len(self.sessions) >= self.max_sessions:
            reason = tr(
                "{count} sessions are open, the most serve allows (--max-sessions): "
                "close one and try again"
            ).format(count=self.max_sessions)
            log.warning("refused a session: %d open", len(self.sessions))
            await websocket.close(code=SESSIONS_FULL, message=_close_reason(reason))
            return websocket
        width, height = clamp_size(
            request.query.get("width", "80"), request.query.get("height", "24")
        )

        async def close() -> None:
            await websocket.close()

        session = Session(
            self.command,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        self.sessions.add(session)  # counted before the first await: no race past the cap
        try:
            await session.start(width, height)
            await self._process_messages(websocket, session)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # a session's failure must not stop serve
            log.error("session ended: %s", error)
        finally:
            try:
                await session.end()
                with contextlib.suppress(Exception):
                    await session.stop()
            finally:
                # Its place is free once its process is gone, not while it is quitting.
                self.sessions.discard(session)
        return websocket

    async def _process_messages(
        self, websocket: web.WebSocketResponse, app_service: AppService
    ) -> None:
        """The page's messages: keys, resizes (bounded), pings; anything else ignored."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
            except ValueError:
                continue
            if not isinstance(envelope, list) or not envelope:
                continue
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                await app_service.send_bytes(data.encode("utf-8", "replace"))
            elif kind == "resize" and isinstance(data, dict):
                width, height = clamp_size(data.get("width"), data.get("height"))
                await app_service.set_terminal_size(width, height)
            elif kind == "ping" and isinstance(data, str):
                await websocket.send_json(["pong", data[:64]])
            elif kind == "blur":
                await app_service.blur()
            elif kind == "focus":
                await app_service.focus()

    async def on_startup(self, _app: web.Application) -> None:
        """Say where to point the browser (textual-serve's banner is not ours)."""
        print(self.banner, flush=True)
        self.cjk_font.prepare_in_background()

    async def on_shutdown(self, _app: web.Application) -> None:
        """End every session's process before serve exits: none is left running."""
        await asyncio.gather(
            *(session.end() for session in list(self.sessions)), return_exceptions=True
        )


def _forbidden(text: str) -> web.Response:
    return web.Response(status=403, text=text + "\n", headers={"Cache-Control": "no-store"})


def _close_reason(text: str) -> bytes:
    """`text` cut to the 123 bytes a websocket close frame may carry, at a character."""
    return text.encode()[:123].decode("utf-8", "ignore").encode()


def _to_int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
