"""Hand a slip's PDF to the CUPS `lp` command; every outcome is a result, never an exception.

The PDF is already on disk when this runs, so a missing `lp`, an unknown printer or a
stuck queue loses nothing: the result says why in both languages and the file stays.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LP_SECONDS = 30
"""Longest wait for `lp` to queue the job (it returns once queued, not once printed)."""

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class PrintResult:
    """What became of one print request."""

    ok: bool
    path: Path
    printer: str | None
    """The destination asked for; None for the system's default printer."""
    message_en: str
    message_zh: str
    job: str = ""
    """lp's own answer when queued ("request id is office-42 (1 file(s))")."""


def send_to_printer(
    path: Path, printer: str | None, run: Runner = subprocess.run, lp: str | None = None
) -> PrintResult:
    """Queue `path` with `lp` (`-d printer` when one is named, else the CUPS default)."""
    where_en = f"printer {printer}" if printer else "the default printer"
    where_zh = f"打印机 {printer}" if printer else "默认打印机"

    def failed(en: str, zh: str) -> PrintResult:
        return PrintResult(False, path, printer, f"Not printed: {en}", f"未打印：{zh}")

    if not path.is_file():
        return failed(f"{path} does not exist", f"文件 {path} 不存在")
    command = lp or shutil.which("lp")
    if command is None:
        return failed(
            "the lp command is not installed (the CUPS client, package cups-client)",
            "未安装 lp 命令（CUPS 客户端，软件包 cups-client）",
        )
    args = [command, *(["-d", printer] if printer else []), "--", str(path)]
    try:
        done = run(args, capture_output=True, text=True, timeout=LP_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return failed(
            f"lp did not answer within {LP_SECONDS} s", f"lp 在 {LP_SECONDS} 秒内没有响应"
        )
    except OSError as error:
        reason = error.strerror or str(error)
        return failed(f"lp could not run: {reason}", f"lp 无法运行：{reason}")
    said = (done.stderr or done.stdout or "").strip().splitlines()
    if done.returncode != 0:
        detail = said[-1] if said else f"lp exit code {done.returncode}"
        return failed(f"{where_en}: {detail}", f"{where_zh}：{detail}")
    job = (done.stdout or "").strip()
    return PrintResult(True, path, printer, f"Sent to {where_en}", f"已发送到{where_zh}", job=job)
