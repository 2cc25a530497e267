"""What `clinic-tui serve` lets in: its Host, its own Origin, its per-launch key, its caps.

Pure functions and one small class, no web framework, so each rule is tested on its own;
commands/serve_server.py applies them to every request. The threats, in order:
a page on another site opening our websocket (it would read the queue and press keys),
DNS rebinding (another site's name pointed at 127.0.0.1, so the browser thinks it is
same-origin), anyone else on the machine or network reaching the port, and one browser
exhausting the machine (sessions, terminal size).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_COLS = 500
"""Widest terminal a browser may ask for: a 4K screen at a small font is ~480 columns."""
MAX_ROWS = 200
"""Tallest terminal a browser may ask for."""
DEFAULT_MAX_SESSIONS = 4
"""Browser sessions at once by default: each is a clinic-tui process of ~75 MiB."""
KEY_PARAMETER = "key"
"""The query parameter that carries the per-launch key in the address serve prints."""


def new_key() -> str:
    """A fresh per-launch key: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def same_secret(offered: str | None, key: str) -> bool:
    """True when `offered` is the key; compared in constant time (no timing oracle)."""
    if not offered:
        return False
    return hmac.compare_digest(offered.encode("utf-8", "surrogatepass"), key.encode())


def cookie_name(port: int) -> str:
    """The cookie that carries the key: one per port, since cookies ignore ports."""
    return f"clinic_tui_serve_{port}"


def clamp_size(width: object, height: object) -> tuple[int, int]:
    """A terminal size a browser asked for, bounded to 1..MAX_COLS x 1..MAX_ROWS.

    Anything that is not a whole number counts as the smallest size: the browser's
    next resize message corrects it, and nothing from the page can raise an error here.
    """
    return _bounded(width, MAX_COLS), _bounded(height, MAX_ROWS)


def _bounded(value: object, most: int) -> int:
    if isinstance(value, bool):
        return 1
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            return 1
    if not isinstance(value, int):
        return 1
    return max(1, min(most, value))


def _host_and_port(netloc: str) -> tuple[str, int | None] | None:
    """(host, port or None) of a Host header or URL netloc, lower-case, brackets off;
    None when it is not one."""
    try:
        parts = urlsplit(f"//{netloc}")
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if not host or parts.username is not None or parts.password is not None:
        return None
    return host.lower().rstrip("."), port


@dataclass(frozen=True)
class Origins:
    """The Host names and page origins `serve` answers to.

    A Host header is accepted when it names our port and either an address literal
    (a rebinding attack needs a name, never an address) or a name we listen under:
    localhost for loopback, this machine's name for a wildcard address, the --public-url's
    host. A websocket's Origin must be the page's own (`http://` + the Host it came to)
    or the --public-url's origin.
    """

    port: int
    names: frozenset[str]
    public_origin: str | None = None
    public_host: tuple[str, int | None] | None = None

    @classmethod
    def for_listener(
        cls, host: str, port: int, public_url: str | None, machine_names: tuple[str, ...] = ()
    ) -> Origins:
        """The rules for serve listening on (host, port), reached at `public_url` if given."""
        names = {host.strip("[]").lower().rstrip("."), "localhost"}
        names.update(name.lower().rstrip(".") for name in machine_names if name)
        public_origin = None
        public_host = None
        if public_url:
            parts = urlsplit(public_url)
            found = _host_and_port(parts.netloc)
            if found is not None:
                name, public_port = found
                default = 443 if parts.scheme == "https" else 80
                # A browser leaves the scheme's own port out of Host and Origin.
                public_host = (name, None if public_port == default else public_port)
                netloc = f"[{name}]" if ":" in name else name
                if public_host[1] is not None:
                    netloc += f":{public_port}"
                public_origin = f"{parts.scheme.lower()}://{netloc}"
        return cls(port, frozenset(names), public_origin, public_host)

    def host_allowed(self, host_header: str | None) -> bool:
        """True when a request's Host header names this server (not a rebound name)."""
        if not host_header:
            return False
        found = _host_and_port(host_header)
        if found is None:
            return False
        if self.public_host is not None and found == self.public_host:
            return True
        return self._listener_host(found)

    def _listener_host(self, found: tuple[str, int | None]) -> bool:
        """True when (host, port) names the address serve listens on, not a proxy's."""
        name, port = found
        if (port if port is not None else 80) != self.port:
            return False
        if name in self.names:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    def origin_allowed(self, origin: str | None, host_header: str | None) -> bool:
        """True when a websocket's Origin is the page's own, or the public URL's."""
        if not origin or not self.host_allowed(host_header):
            return False
        origin = origin.lower().rstrip("/")
        if self.public_origin is not None and origin == self.public_origin:
            return True
        # The page's own origin, where the browser reached serve itself (serve speaks http).
        assert host_header is not None  # host_allowed said so
        found = _host_and_port(host_header)
        return (
            found is not None
            and self._listener_host(found)
            and origin == f"http://{host_header.lower()}"
        )
