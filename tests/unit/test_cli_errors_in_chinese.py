"""Issue #22: with --lang zh the command line's errors are Chinese, the OS's reason included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clinic_tui import i18n
from tests.conftest import Cli

ENGLISH_WORD = re.compile(r"\b(?!clinic|tui|demo|data|dir|login|server|URL|FHIR)[a-z]{3,}\b")
"""A lower-case English word outside the command names and options a message may quote."""


@pytest.fixture(autouse=True)
def english_after() -> object:
    """main() switches the language; the next test starts in English again."""
    yield
    i18n.set_language("en")


def test_a_data_dir_under_a_file_is_refused_in_chinese_without_a_crash(
    tmp_path: Path, cli: Cli
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    code, _out, err = cli("--lang", "zh", "demo-data", "--patients", "1", "--data-dir",
                         str(a_file / "clinic"))  # fmt: skip
    assert code == 3, err
    assert "无法创建数据文件夹" in err
    assert "路径中有一部分是文件，不是文件夹" in err
    assert "Traceback" not in err
    assert "意外错误" not in err
    assert ENGLISH_WORD.findall(err.replace(str(a_file / "clinic"), "")) == []


def test_sync_without_a_server_says_so_in_chinese(tmp_path: Path, cli: Cli) -> None:
    code, _, err = cli("--lang", "zh", "--data-dir", str(tmp_path), "sync")
    assert code == 2
    assert "未指定 FHIR 服务器" in err
    assert ENGLISH_WORD.findall(err) == []


def test_a_missing_import_file_gives_the_reason_in_chinese(tmp_path: Path, cli: Cli) -> None:
    missing = tmp_path / "missing.csv"
    code, _, err = cli("--lang", "zh", "--data-dir", str(tmp_path / "d"), "formulary", "import",
                       "--from", str(missing))  # fmt: skip
    assert code != 0
    assert "没有这个文件或文件夹" in err
    assert ENGLISH_WORD.findall(err.replace(str(missing), "")) == []


def test_terminology_search_heads_its_table_in_chinese(tmp_path: Path, cli: Cli) -> None:
    code, out, _ = cli("--lang", "zh", "--data-dir", str(tmp_path), "terminology", "search",
                       "I10", "--limit", "1")  # fmt: skip
    assert code == 0
    heading = out.splitlines()[0]
    assert heading.split() == ["编码", "名称", "版本", "匹配方式"]


def test_seed_servers_summary_is_said_in_chinese() -> None:
    from clinic_tui.commands.seed_server import SeedResult

    i18n.set_language("zh")
    summary = str(SeedResult(patients=30, resources=962, created=962, updated=0, transactions=4))
    assert summary == "30 位患者，962 条资源（新建 962，更新 0），共 4 个事务"


def test_no_keyring_is_explained_in_chinese(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    monkeypatch.setattr(keyring, "get_keyring", FailKeyring)
    code, _, err = cli("--lang", "zh", "--data-dir", str(tmp_path), "login", "--server",
                       "https://fhir.example.org/fhir", stdin="token\n")  # fmt: skip
    assert code == 2
    assert "本机没有可用的密钥环后端" in err


def test_the_starter_formularys_source_is_a_chinese_word(tmp_path: Path, cli: Cli) -> None:
    code, out, _ = cli("--lang", "zh", "--data-dir", str(tmp_path), "formulary", "search",
                       "amoxicillin", "--limit", "1")  # fmt: skip
    assert code == 0
    assert "starter" not in out
    assert "内置" in out
