"""`clinic-tui serve`: the workstation in a browser, through textual-serve.

Every browser tab that opens the page gets its own clinic-tui process (textual-serve
runs one command per websocket), all on the one cache this command was started with:
SQLite in WAL mode lets them read and write side by side, and the sync lock (a row in
the cache) keeps background syncs to one at a time across all of them. Each session
opens on the sign-in (lock) screen when clinicians are registered (`clinic-tui users
add`), so what it does is audited under the clinician who signed in.

The server (commands/serve_server.py) answers only to its own Host, to websockets from
its own page, and to browsers that opened the address with the per-launch key it prints;
it caps sessions and terminal size (commands/serve_guard.py). It adds no TLS, so by
default it listens on this machine only; anything else needs --allow-remote and gets a
warning. textual-serve (and aiohttp under it) is imported only when this command runs.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import shlex
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinic_tui.commands.cli import add_low_bandwidth, positive, subcommand
from clinic_tui.commands.cli import port as port_number
from clinic_tui.commands.serve_guard import DEFAULT_MAX_SESSIONS, KEY_PARAMETER, Origins, new_key
from clinic_tui.config import Settings
from clinic_tui.errors import ClinicError, ConfigError
from clinic_tui.i18n import tr

DEFAULT_PORT = 8765
TEMPLATES = Path(__file__).resolve().parent.parent / "serve_templates"
"""Our copy of textual-serve's page: no web font fetched from the Internet (a cloud
desktop behind a firewall would wait for it), and the workstation's own title."""


class ServeError(ClinicError):
    """serve cannot start: a busy port, a host that is not this machine's, no textual-serve."""

    exit_code = 2


@dataclass(frozen=True)
class ServeOptions:
    """What `serve` was asked for on its command line."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    allow_remote: bool = False
    public_url: str | None = None
    low_bandwidth: bool = False
    max_sessions: int = DEFAULT_MAX_SESSIONS


def is_loopback(host: str) -> bool:
    """True when every address `host` names is this machine's loopback (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return False
    return bool(found) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in found)


def check_host(options: ServeOptions) -> None:
    """Refuse a non-loopback host unless --allow-remote was given."""
    if not options.allow_remote and not is_loopback(options.host):
        raise ServeError(
            tr(
                "refusing to listen on {host}: serve adds no encryption, so it listens on this "
                "machine only (127.0.0.1). To listen elsewhere, add --allow-remote and put it "
                "behind the cloud desktop's own access control or an HTTPS reverse proxy"
            ).format(host=options.host)
        )


def remote_warning(options: ServeOptions) -> str | None:
    """The warning printed when serve listens beyond this machine (None on loopback)."""
    if is_loopback(options.host):
        return None
    return tr(
        "WARNING: listening on {host}:{port}, reachable from other machines. serve has no TLS: "
        "its key and every patient record on the page cross the network unencrypted, and "
        "anyone who sees the key opens the workstation. Allow only the cloud desktop's own "
        "access, or put an HTTPS reverse proxy in front and give its address as --public-url "
        "(see the README, 'serve: what it protects')."
    ).format(host=options.host, port=options.port)


def no_clinicians_warning(data_dir: Path) -> str | None:
    """The warning printed when no clinician is registered (None when one is)."""
    from clinic_tui.offline_cache.local_users import load_users

    if load_users(data_dir):
        return None
    return tr(
        "WARNING: no clinician is registered on this workstation, so each browser session "
        "opens with no sign-in and its work is recorded under {user}, not a clinician. "
        "Register each clinician with `clinic-tui users add` (a PIN each), then restart serve."
    ).format(user=_os_user())


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return tr("the operating system's user")


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port), or ServeError saying in one line why not."""
    try:
        infos = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (socket.gaierror, UnicodeError):
        raise ServeError(
            tr("cannot listen on {host}: no such host or address").format(host=host)
        ) from None
    family, kind, proto, _name, address = infos[0]
    listener = socket.socket(family, kind, proto)
    try:
        if os.name == "posix":
            # A restarted serve may take its port back while old connections time out.
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(128)
    except OSError as error:
        listener.close()
        raise ServeError(_bind_problem(host, port, error)) from None
    listener.setblocking(False)
    return listener


def _bind_problem(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return tr(
            "port {port} on {host} is already in use (another serve, or another program); "
            "choose another with --port"
        ).format(port=port, host=host)
    if error.errno == errno.EADDRNOTAVAIL:
        return tr("cannot listen on {host}: it is not an address of this machine").format(host=host)
    if error.errno == errno.EACCES:
        return tr(
            "port {port} needs administrator rights on this system; choose one above 1023"
        ).format(port=port)
    return tr("cannot listen on {host}:{port}: {reason}").format(
        host=host, port=port, reason=error.strerror or error
    )


def session_command(settings: Settings, *, low_bandwidth: bool) -> str:
    """The shell command textual-serve runs for each browser session: this clinic-tui, on
    the cache, settings file and language serve was started with."""
    words = [sys.executable, "-m", "clinic_tui", "--data-dir", str(settings.data_dir)]
    if settings.config_file.exists():
        words += ["--config", str(settings.config_file)]
    words += ["--lang", settings.language, "run"]
    if low_bandwidth:
        words.append("--low-bandwidth")
    return shlex.join(words)


def listen_names(options: ServeOptions) -> tuple[str, ...]:
    """Names browsers may use for this machine when serve listens on every address."""
    if options.host.strip("[]") not in ("0.0.0.0", "::"):
        return ()
    return (socket.gethostname(), socket.getfqdn())


def key_url(options: ServeOptions, key: str) -> str:
    """The address serve prints: its page, with the per-launch key."""
    return f"{public_url(options)}/?{KEY_PARAMETER}={key}"


def public_url(options: ServeOptions) -> str:
    """The address the page tells the browser to open its websocket on."""
    if options.public_url:
        return options.public_url.rstrip("/")
    host = options.host.strip("[]")
    if host in ("0.0.0.0", "::"):
        host = socket.gethostname()  # a browser cannot connect to the wildcard address
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{options.port}"


def _server_class() -> Any:
    try:
        import textual_serve.server  # noqa: F401
    except ImportError:
        raise ServeError(
            tr(
                "clinic-tui serve needs the textual-serve package, which is not installed: "
                "pip install textual-serve (it comes with clinic-tui; reinstall clinic-tui)"
            )
        ) from None
    from clinic_tui.commands.serve_server import ClinicServer

    return ClinicServer


def serve(settings: Settings, options: ServeOptions) -> int:
    """Check the host, bind the port, then serve the workstation until stopped."""
    check_host(options)
    if not 0 < options.port < 65536:
        raise ConfigError(tr("--port must be 1 to 65535, got {port}").format(port=options.port))
    if options.max_sessions < 1:
        raise ConfigError(
            tr("--max-sessions must be 1 or more, got {count}").format(count=options.max_sessions)
        )
    server_class = _server_class()
    listener = bind_socket(options.host, options.port)
    for warning in (remote_warning(options), no_clinicians_warning(settings.data_dir)):
        if warning:
            print(warning, file=sys.stderr, flush=True)
    key = new_key()
    extra: dict[str, Any] = {}
    if options.public_url:
        extra["public_url"] = public_url(options)
    server = server_class(
        listener,
        key=key,
        origins=Origins.for_listener(
            options.host, options.port, options.public_url, listen_names(options)
        ),
        max_sessions=options.max_sessions,
        secure_cookie=public_url(options).startswith("https:"),
        banner=tr("clinic-tui serve: open {url} in a browser; ctrl+c stops.").format(
            url=key_url(options, key)
        ),
        command=session_command(settings, low_bandwidth=options.low_bandwidth),
        host=options.host,
        port=options.port,
        title=tr("clinic-tui workstation"),
        templates_path=TEMPLATES,
        **extra,
    )
    try:
        server.serve()
    finally:
        listener.close()
    return 0


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `serve` command."""
    serve_command = subcommand(
        commands,
        "serve",
        parents=[common],
        help=tr("open the workstation in a web browser (for cloud desktops and thin clients)"),
        description=tr(
            "Publish the workstation as a web page through textual-serve: each browser tab "
            "runs its own workstation on this cache, opening on the sign-in screen. Open the "
            "address it prints (it carries a key made at each start). Listens on this "
            "machine only unless --allow-remote is given; it has no TLS, so put it behind "
            "the cloud desktop's access control or an HTTPS reverse proxy."
        ),
    )
    serve_command.add_argument(
        "--host",
        default="127.0.0.1",
        help=tr("address to listen on (default: 127.0.0.1, this machine only)"),
    )
    serve_command.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=tr("port to listen on (default: {port})").format(port=DEFAULT_PORT),
    )
    serve_command.add_argument(
        "--allow-remote",
        action="store_true",
        help=tr("allow a --host other than this machine (serve has no TLS: see the README first)"),
    )
    serve_command.add_argument(
        "--public-url",
        metavar="URL",
        help=tr(
            "the address browsers use to reach serve, when it differs from --host and --port "
            "(behind a reverse proxy: https://...)"
        ),
    )
    serve_command.add_argument(
        "--max-sessions",
        type=positive,
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help=tr(
            "browser sessions open at once, each a workstation process (default: {count})"
        ).format(count=DEFAULT_MAX_SESSIONS),
    )
    add_low_bandwidth(serve_command, default=False)


def run(args: argparse.Namespace) -> int:
    """Prepare the cache once, then serve the workstation until stopped."""
    from clinic_tui.config import load_settings
    from clinic_tui.locations import cache_path
    from clinic_tui.offline_cache.cache_file import prepare_cache

    settings = load_settings(
        data_dir_flag=args.data_dir,
        config_flag=args.config,
        language_flag=args.lang,
        low_bandwidth_flag=args.low_bandwidth or None,
    )
    # Migrated once here, so the sessions that start together never race to migrate it.
    prepare_cache(cache_path(settings.data_dir))
    from clinic_tui.commands.terminology import load_starter_set

    load_starter_set(cache_path(settings.data_dir))
    options = ServeOptions(
        host=args.host,
        port=args.port,
        allow_remote=args.allow_remote,
        public_url=args.public_url,
        low_bandwidth=settings.low_bandwidth,
        max_sessions=args.max_sessions,
    )
    return serve(settings, options)
