"""The command line speaks the chosen language: --lang, CLINIC_TUI_LANG or [ui] language."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from clinic_tui.__main__ import build_parser
from clinic_tui.commands.cli import wrap_cells
from tests.conftest import Cli


def _every_parser(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += _every_parser(child)
    return found


def test_every_subcommand_and_option_has_help() -> None:
    parser = build_parser()
    subcommands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    listed = {choice.dest for choice in subcommands._choices_actions}
    assert listed == set(subcommands.choices)
    assert all(choice.help for choice in subcommands._choices_actions)
    for each in _every_parser(parser):
        assert each.description or each is parser, each.prog
        for action in each._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help, (each.prog, action.dest)
            assert action.help != argparse.SUPPRESS, (each.prog, action.dest)


def test_help_is_in_chinese_with_lang_zh(cli: Cli) -> None:
    code, out, _ = cli("--lang", "zh", "status", "--help")
    assert code == 0
    assert out.startswith("用法：clinic-tui status")
    assert "机器可读的输出（JSON）" in out
    assert "显示本帮助并退出" in out


@pytest.mark.parametrize("how", ["flag", "environment", "settings"])
def test_status_labels_follow_the_language_however_it_is_chosen(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[ui]\nlanguage = "zh"\n' if how == "settings" else "")
    argv = ["status", "--config", str(config), "--data-dir", str(tmp_path / "none")]
    if how == "flag":
        argv.append("--lang=zh")
    if how == "environment":
        monkeypatch.setenv("CLINIC_TUI_LANG", "zh")
    code, out, _ = cli(*argv)
    assert code == 0
    assert "待上传的更改" in out
    assert "上次成功同步        从未" in out


def test_errors_follow_the_language(tmp_path: Path, cli: Cli) -> None:
    code, _, err = cli("sync", "--lang", "zh", "--server", "https://h.example/fhir")
    assert code == 2
    assert err.startswith("clinic-tui: 尚未登录 https://h.example/fhir：请运行 `clinic-tui login")


def test_chinese_help_is_wrapped_by_terminal_cells() -> None:
    text = "用演示用的乡镇卫生院填充缓存：患者及其记录、转诊和今日候诊队列。"
    lines = wrap_cells(text, 20)
    assert "".join(lines) == text
    assert all(len(line) * 2 <= 20 for line in lines)
    assert not any(line.startswith(("，", "。", "、", "：")) for line in lines)
    assert wrap_cells("plain English words wrap at spaces", 12) == [
        "plain",
        "English",
        "words wrap",
        "at spaces",
    ]
