"""`clinic-tui serve`: where it may listen, what each browser session runs, clear refusals."""

from __future__ import annotations

import shlex
import socket
import sys
from pathlib import Path

import pytest

from clinic_tui.commands import serve
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


def test_allow_remote_listens_elsewhere_with_a_warning_about_tls_and_sign_in() -> None:
    options = ServeOptions(host="0.0.0.0", port=8765, allow_remote=True)

    serve.check_host(options)  # allowed
    warning = serve.remote_warning(options)

    assert warning is not None
    assert "no TLS" in warning
    assert "no sign-in" in warning
    assert "reverse proxy" in warning


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
