"""Fixtures shared by every test: isolation from the user's real config, keyring and data."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import Engine

from clinic_tui import i18n
from clinic_tui.__main__ import main
from clinic_tui.offline_cache.engine import open_cache
from tests.netlab.fhir_server import SERVER_VARIABLE, SERVERS


def pytest_addoption(parser: pytest.Parser) -> None:
    """--fhir-server picks the FHIR server implementation the integration tests run against."""
    parser.addoption(
        "--fhir-server",
        choices=sorted(SERVERS),
        default=None,
        help=f"FHIR server for integration tests (default: ${SERVER_VARIABLE} or sekmet)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Hand --fhir-server on through the environment: xdist workers and scripts read it there;
    compile a message catalogue whose .po changed since its .mo (after a merge or an edit)."""
    chosen = config.getoption("--fhir-server")
    if chosen:
        os.environ[SERVER_VARIABLE] = chosen
    if not hasattr(config, "workerinput"):
        _compile_stale_catalogues()


def _compile_stale_catalogues() -> None:
    """The tests read the compiled .mo, as the app does; `make catalogues` without make."""
    stale = [
        po
        for po in i18n.LOCALE_DIR.glob(f"*/LC_MESSAGES/{i18n.DOMAIN}.po")
        if not po.with_suffix(".mo").exists()
        or po.stat().st_mtime > po.with_suffix(".mo").stat().st_mtime
    ]
    if stale:
        import subprocess
        import sys

        script = Path(__file__).resolve().parents[1] / "scripts" / "i18n_catalogue.py"
        subprocess.run([sys.executable, str(script), "compile"], check=True, capture_output=True)


@pytest.fixture(autouse=True)
def isolated_user(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point every per-user location at a throwaway folder and clear clinic-tui's variables."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for name in (
        "CLINIC_TUI_DATA_DIR",
        "CLINIC_TUI_CONFIG",
        "CLINIC_TUI_LANG",
        "CLINIC_TUI_SERVER",
        "CLINIC_TUI_TOKEN",
        "CLINIC_TUI_CLINIC",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def english_labels() -> Iterator[None]:
    """Each test starts in English and leaves the language as it found it."""
    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests (marked anyio) run on asyncio, the loop Textual needs."""
    return "asyncio"


class Cli(Protocol):
    """The `cli` fixture: runs clinic-tui's main() in this process."""

    def __call__(self, *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        """(exit code, standard output, standard error); `stdin` replaces standard input."""
        ...


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run `clinic-tui ARGV...` in process and collect its exit code and output."""

    def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        try:
            code = main(list(argv))
        except SystemExit as exited:  # argparse refuses a flag by exiting (with code 2)
            code = exited.code if isinstance(exited.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def cache_file(tmp_path: Path) -> Path:
    """Path of a fresh cache file in the test's own folder."""
    return tmp_path / "data" / "clinic.sqlite3"


@pytest.fixture
def engine(cache_file: Path) -> Iterator[Engine]:
    """An empty, migrated cache."""
    engine = open_cache(cache_file)
    yield engine
    engine.dispose()
