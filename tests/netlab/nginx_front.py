"""Debian's nginx with gzip in front of the FHIR server, as hospitals run it, on 127.0.0.1.

Everything lives in a private folder (prefix, config, pid, logs, temp paths): no root
paths are written and nothing is left behind. The FHIR server writes absolute links with
its own base URL, so nginx rewrites that base to the public one (the URL clients use,
e.g. the fault proxy's) with sub_filter, the way a hospital's reverse proxy is set up.

nginx comes from Debian's package: `ensure_nginx()` runs `apt-get install -y nginx` when
the binary is missing (then `apt-get update` and once more if that fails), and raises
NginxUnavailable with a clear message where apt or root is not available.

    python -m tests.netlab.nginx_front --check   # install if needed; check gzip on a real server
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from tests.netlab.fhir_server import running_fhir_server

NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
FHIR_TYPES = "application/fhir+json application/json"


class NginxUnavailable(RuntimeError):  # noqa: N818  (reads as a state, like FhirUnreachable)
    """nginx is missing and cannot be installed here (no apt, not root, install failed)."""


def nginx_binary() -> str | None:
    """The nginx executable, or None when it is not installed."""
    found = shutil.which("nginx")
    if found:
        return found
    return next((path for path in NGINX_CANDIDATES if os.access(path, os.X_OK)), None)


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        ["apt-get", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )


def ensure_nginx(log: bool = True) -> str:
    """The nginx executable, installed from Debian's package first if it is missing."""
    found = nginx_binary()
    if found:
        return found
    if shutil.which("apt-get") is None:
        raise NginxUnavailable("nginx is not installed and apt-get is not available; skipping")
    if os.geteuid() != 0:
        raise NginxUnavailable("nginx is not installed; run `sudo apt-get install -y nginx`")
    if log:
        print("nginx missing: apt-get install -y nginx", file=sys.stderr)
    result = _apt("install", "-y", "nginx")
    if result.returncode != 0:
        if log:
            print("install failed; apt-get update, then once more", file=sys.stderr)
        _apt("update")
        result = _apt("install", "-y", "nginx")
    found = nginx_binary()
    if result.returncode != 0 or found is None:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise NginxUnavailable("apt-get install -y nginx failed: " + " | ".join(tail))
    return found


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def render_config(
    folder: Path,
    *,
    listen_port: int,
    upstream_port: int,
    upstream_base: str | None,
    public_base: str | None,
    gzip_level: int,
) -> str:
    """nginx.conf for a gzip front on 127.0.0.1:listen_port -> 127.0.0.1:upstream_port."""
    rewrite = ""
    if upstream_base and public_base and upstream_base != public_base:
        rewrite = (
            # The upstream must answer uncompressed for sub_filter to see its links.
            '            proxy_set_header Accept-Encoding "";\n'
            f"            sub_filter '{upstream_base}' '{public_base}';\n"
            "            sub_filter_once off;\n"
            f"            sub_filter_types {FHIR_TYPES};\n"
        )
    temp = {name: folder / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    return f"""\
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    # Bodies stay in memory: the workers need no writable temp folder.
    client_max_body_size 64m;
    client_body_buffer_size 64m;
    proxy_max_temp_file_size 0;
    proxy_buffers 64 16k;
    keepalive_timeout 75s;
    keepalive_requests 100000;
    gzip on;
    gzip_types {FHIR_TYPES};
    gzip_min_length 256;
    gzip_comp_level {gzip_level};
    gzip_proxied any;
    gzip_vary on;
    upstream fhir {{
        server 127.0.0.1:{upstream_port};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{listen_port};
        location / {{
            proxy_pass http://fhir;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 300s;
{rewrite}        }}
    }}
}}
"""


class NginxFront:
    """An nginx process with gzip on, in front of 127.0.0.1:upstream_port; a context manager."""

    def __init__(
        self,
        upstream_port: int,
        *,
        listen_port: int | None = None,
        upstream_base: str | None = None,
        public_base: str | None = None,
        gzip_level: int = 6,
    ) -> None:
        self.upstream_port = upstream_port
        self.port = listen_port or free_port()
        self.upstream_base = upstream_base
        """The FHIR server's own base URL, as it writes it into links."""
        self.public_base = public_base
        """The base URL clients use (through nginx and any proxy); links are rewritten to it."""
        self.gzip_level = gzip_level
        self._folder: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port> of nginx (no path)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> NginxFront:
        """Install nginx if needed, write the config and start it; returns self when it answers."""
        binary = ensure_nginx()
        self._folder = Path(tempfile.mkdtemp(prefix="clinic-nginx-"))
        config = self._folder / "nginx.conf"
        config.write_text(
            render_config(
                self._folder,
                listen_port=self.port,
                upstream_port=self.upstream_port,
                upstream_base=self.upstream_base,
                public_base=self.public_base,
                gzip_level=self.gzip_level,
            )
        )
        self._process = subprocess.Popen(
            # -e: the startup error log too goes to our folder, never /var/log.
            [
                binary,
                "-p",
                str(self._folder),
                "-c",
                str(config),
                "-e",
                str(self._folder / "error.log"),
                "-g",
                "daemon off;",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode() if self._process.stderr else ""
                self._cleanup()
                raise RuntimeError(f"nginx exited at start: {error.strip()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not listen on 127.0.0.1:{self.port} in {START_TIMEOUT} s")

    def stop(self) -> None:
        """Stop nginx gracefully (SIGQUIT), then kill it if it lingers; remove its folder."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)
        if process is not None and process.stderr is not None:
            process.stderr.close()
        self._process = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __enter__(self) -> NginxFront:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def gzip_check(url: str, token: str | None = None) -> tuple[str | None, int, int]:
    """(Content-Encoding, bytes on the wire, bytes of JSON) of a GET asking for gzip."""
    headers = {"Accept-Encoding": "gzip", "Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        encoding = response.headers.get("Content-Encoding")
        raw = response.read()
    body = gzip.decompress(raw) if encoding == "gzip" else raw
    return encoding, len(raw), len(body)


def _check() -> int:
    """Start a FHIR server and nginx in front of it; show that FHIR JSON comes back gzipped."""
    token = "nginx-check-token"
    with tempfile.TemporaryDirectory(prefix="nginx-check-") as data:
        name = f"nginx-check-{os.getpid()}"
        with running_fhir_server(name, Path(data), token) as base:
            port = urlsplit(base).port or 80
            front = NginxFront(port, upstream_base=base, public_base=None)
            with front:
                encoding, wire, size = gzip_check(f"{front.url}/fhir/metadata", token)
    print(f"GET /fhir/metadata via nginx: Content-Encoding {encoding}, {wire} of {size} bytes")
    return 0 if encoding == "gzip" else 1


def main() -> int:
    """Command line: --check runs the gzip check against a real FHIR server."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="install if needed, check gzip")
    args = parser.parse_args()
    if not args.check:
        parser.print_help()
        return 0
    try:
        return _check()
    except NginxUnavailable as error:
        print(f"skipped: {error}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
