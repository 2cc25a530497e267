"""`clinic-tui serve`: where it may listen, what each browser session runs, clear refusals."""

from __future__ import annotations

import shlex
import socket
import sys
from pathlib import Path

import pytest

from clinic_tui.commands import serve, serve_guard
from clinic_tui.commands.serve import ServeError, ServeOptions
from clinic_tui.config import Settings
from tests.conftest import Cli


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "clinic.example"])
def test_serve_refuses_a_host_beyond_this_machine_without_allow_remote(
    cli: Cli, tmp_path: Path, host: str
) -> None:
    code, _out, err = cli("serve", "--data-dir", str(tmp_path), "--host", host, "--port", "1")

    assert code == 2
    assert f"refusing to listen on {host}" in err
    assert "--allow-remote" in err
    assert "HTTPS reverse proxy" in err
    assert "Traceback" not in err


def test_the_refusal_is_in_chinese_with_lang_zh(cli: Cli, tmp_path: Path) -> None:
    code, _out, err = cli("--lang", "zh", "serve", "--data-dir", str(tmp_path), "--host", "0.0.0.0")

    assert code == 2
    assert "拒绝在 0.0.0.0 上监听" in err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost", "[::1]"])
def test_loopback_hosts_need_no_flag(host: str) -> None:
    serve.check_host(ServeOptions(host=host))  # no error
    assert serve.remote_warning(ServeOptions(host=host)) is None


def test_allow_remote_listens_elsewhere_with_a_warning_about_tls() -> None:
    options = ServeOptions(host="0.0.0.0", port=8765, allow_remote=True)

    serve.check_host(options)  # allowed
    warning = serve.remote_warning(options)

    assert warning is not None
    assert "no TLS" in warning
    assert "unencrypted" in warning
    assert "reverse proxy" in warning
    assert "--public-url" in warning


def test_a_busy_port_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServeError, match=rf"port {port} on 127.0.0.1 is already in use"):
            serve.bind_socket("127.0.0.1", port)


def test_a_host_that_does_not_resolve_is_one_clear_line() -> None:
    with pytest.raises(ServeError, match="no such host or address"):
        serve.bind_socket("no-such-host.invalid", 8765)


def test_missing_textual_serve_says_how_to_install_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # import fails

    code, _out, err = cli("serve", "--data-dir", str(tmp_path))

    assert code == 2
    assert "needs the textual-serve package" in err
    assert "pip install textual-serve" in err


def test_each_session_runs_this_clinic_tui_on_the_settings_serve_was_given(
    tmp_path: Path,
) -> None:
    config = tmp_path / "my settings.toml"
    config.write_text('[ui]\nlanguage = "zh"\n')
    settings = Settings(data_dir=tmp_path / "the cache", config_file=config, language="zh")

    words = shlex.split(serve.session_command(settings, low_bandwidth=True))

    assert words[:3] == [sys.executable, "-m", "clinic_tui"]
    assert words[words.index("--data-dir") + 1] == str(tmp_path / "the cache")
    assert words[words.index("--config") + 1] == str(config)
    assert words[words.index("--lang") + 1] == "zh"
    assert words[-2:] == ["run", "--low-bandwidth"]


def test_a_settings_file_that_does_not_exist_is_not_passed_on(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, config_file=tmp_path / "absent.toml")

    words = shlex.split(serve.session_command(settings, low_bandwidth=False))

    assert "--config" not in words
    assert words[-1] == "run"


def test_the_page_points_browsers_at_the_public_url_or_the_host() -> None:
    assert serve.public_url(ServeOptions(host="127.0.0.1", port=9000)) == "http://127.0.0.1:9000"
    assert serve.public_url(ServeOptions(host="::1", port=9000)) == "http://[::1]:9000"
    proxied = ServeOptions(host="127.0.0.1", public_url="https://clinic.example/desk/")
    assert serve.public_url(proxied) == "https://clinic.example/desk"


def test_serve_prints_its_address_with_a_fresh_key_each_start() -> None:
    options = ServeOptions(host="127.0.0.1", port=9000)
    first, second = serve_guard.new_key(), serve_guard.new_key()

    assert first != second
    assert len(first) >= 43  # 256 bits, URL-safe base64
    assert serve.key_url(options, first) == f"http://127.0.0.1:9000/?key={first}"


def test_the_key_is_compared_whole() -> None:
    key = serve_guard.new_key()

    assert serve_guard.same_secret(key, key)
    assert not serve_guard.same_secret(key[:-1], key)
    assert not serve_guard.same_secret(key + "x", key)
    assert not serve_guard.same_secret("", key)
    assert not serve_guard.same_secret(None, key)
    assert not serve_guard.same_secret("\udcff" + key[1:], key)  # no error on odd text


@pytest.mark.parametrize(
    ("asked", "bounded"),
    [
        ((80, 24), (80, 24)),
        ((3000, 3000), (500, 200)),
        ((500, 200), (500, 200)),
        ((0, -5), (1, 1)),
        (("120", "40"), (120, 40)),
        (("wide", None), (1, 1)),
        ((True, 2.5), (1, 1)),
    ],
)
def test_a_terminal_size_from_the_browser_is_bounded(
    asked: tuple[object, object], bounded: tuple[int, int]
) -> None:
    assert serve_guard.clamp_size(*asked) == bounded


LOOPBACK = serve_guard.Origins.for_listener("127.0.0.1", 8765, None)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8765", True),
        ("localhost:8765", True),
        ("LOCALHOST:8765", True),
        ("[::1]:8765", True),  # an address literal cannot be a rebound name
        ("127.0.0.1:8766", False),  # another port is another server
        ("127.0.0.1", False),
        ("rebound.example:8765", False),  # DNS rebinding: another site's name
        ("localhost.rebound.example:8765", False),
        ("user@127.0.0.1:8765", False),
        ("", False),
        (None, False),
        ("127.0.0.1:notaport", False),
    ],
)
def test_only_our_own_host_names_are_answered(host: str | None, allowed: bool) -> None:
    assert LOOPBACK.host_allowed(host) is allowed


def test_behind_a_proxy_the_public_host_and_origin_are_ours() -> None:
    proxied = serve_guard.Origins.for_listener("127.0.0.1", 8765, "https://clinic.example/desk/")

    assert proxied.host_allowed("clinic.example")  # the proxy passed Host on
    assert proxied.host_allowed("127.0.0.1:8765")  # or it did not
    assert not proxied.host_allowed("clinic.example:8765")
    assert proxied.origin_allowed("https://clinic.example", "127.0.0.1:8765")
    assert proxied.origin_allowed("https://clinic.example", "clinic.example")
    assert not proxied.origin_allowed("http://clinic.example", "clinic.example")
    assert not proxied.origin_allowed("https://evil.example", "clinic.example")


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://127.0.0.1:8765", "127.0.0.1:8765", True),
        ("http://localhost:8765", "localhost:8765", True),
        ("http://localhost:8765", "127.0.0.1:8765", False),  # not the page's own host
        ("http://evil.example", "127.0.0.1:8765", False),
        ("https://127.0.0.1:8765", "127.0.0.1:8765", False),
        ("http://127.0.0.1:8766", "127.0.0.1:8765", False),
        ("null", "127.0.0.1:8765", False),  # a sandboxed frame or a file:// page
        (None, "127.0.0.1:8765", False),
        ("http://rebound.example:8765", "rebound.example:8765", False),
    ],
)
def test_a_websocket_must_come_from_our_own_page(
    origin: str | None, host: str, allowed: bool
) -> None:
    assert LOOPBACK.origin_allowed(origin, host) is allowed


def test_on_every_address_the_machine_name_is_ours() -> None:
    options = ServeOptions(host="0.0.0.0", port=8765, allow_remote=True)
    names = serve.listen_names(options)
    wide = serve_guard.Origins.for_listener("0.0.0.0", 8765, None, names)

    assert wide.host_allowed(f"{socket.gethostname()}:8765")
    assert wide.host_allowed("192.0.2.10:8765")
    assert not wide.host_allowed("rebound.example:8765")


def test_serve_warns_when_no_clinician_would_sign_in(cli: Cli, tmp_path: Path) -> None:
    warning = serve.no_clinicians_warning(tmp_path)
    assert warning is not None
    assert "clinic-tui users add" in warning

    code, _out, err = cli(
        *("users", "add", "--practitioner-id", "dr-li", "--name", "Li Wei"),
        *("--data-dir", str(tmp_path)),
        stdin="482916\n",
    )
    assert code == 0, err
    assert serve.no_clinicians_warning(tmp_path) is None


def test_max_sessions_must_be_a_positive_number(cli: Cli, tmp_path: Path) -> None:
    code, _out, err = cli("serve", "--data-dir", str(tmp_path), "--max-sessions", "0")

    assert code == 2
    assert "--max-sessions" in err
    assert "Traceback" not in err
