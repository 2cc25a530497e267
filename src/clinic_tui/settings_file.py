"""Write values into the TOML settings file without disturbing the rest of it.

`clinic-tui login` records the server (never a secret) here. The file is edited
line by line, so comments, key order and other sections survive; the result is
parsed back and checked. Only when the file uses a shape the line editor does not
handle (an inline `sync = {...}` table, dotted keys) is it rewritten whole from
its parsed contents, and then its comments are lost; the command says so.
The write is atomic: a temporary file beside it, then a rename.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from clinic_tui.errors import ConfigError

Scalar = str | bool | int | float
_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\s*(#.*)?$")
_ARRAY_HEADER = re.compile(r"^\s*\[\[")


def toml_value(value: Scalar) -> str:
    """A TOML literal for a string, boolean, integer or float."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    # A JSON string is a valid TOML basic string (same escapes, \\uXXXX included).
    return json.dumps(value, ensure_ascii=False)


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    if not path.exists():
        return "", {}
    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"settings file {path} is not valid TOML ({error}); fix it before logging in"
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read settings file {path}: {error}") from error


def _edit_lines(text: str, section: str, values: dict[str, Scalar | None]) -> str:
    lines = text.splitlines()
    start = end = None
    for number, line in enumerate(lines):
        header = _HEADER.match(line)
        if start is None and header and header.group(1) == section:
            start = number
        elif start is not None and (header or _ARRAY_HEADER.match(line)):
            end = number
            break
    if start is None:
        block = [f"[{section}]"] + [
            f"{key} = {toml_value(value)}" for key, value in values.items() if value is not None
        ]
        if lines and lines[-1].strip():
            lines.append("")
        return "\n".join(lines + block) + "\n"
    end = len(lines) if end is None else end
    body = lines[start + 1 : end]
    for key, value in values.items():
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        found = [i for i, line in enumerate(body) if pattern.match(line)]
        if value is None:
            body = [line for i, line in enumerate(body) if i not in found]
            continue
        line = f"{key} = {toml_value(value)}"
        if found:
            body[found[0]] = line
            body = [text for i, text in enumerate(body) if i not in found[1:]]
        else:
            # After the section's last non-blank line, before the blank lines that part sections.
            last = max((i for i, text in enumerate(body) if text.strip()), default=-1)
            body.insert(last + 1, line)
    return "\n".join(lines[: start + 1] + body + lines[end:]) + "\n"


def _dump(document: dict[str, Any], prefix: str = "") -> list[str]:
    scalars = {k: v for k, v in document.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in document.items() if isinstance(v, dict)}
    out = []
    for key, value in scalars.items():
        if isinstance(value, list) and all(isinstance(v, Scalar) for v in value):
            out.append(f"{key} = [{', '.join(toml_value(v) for v in value)}]")
        elif isinstance(value, Scalar):
            out.append(f"{key} = {toml_value(value)}")
        else:
            raise ConfigError(f"cannot rewrite setting {prefix}{key}: unsupported value type")
    for key, value in tables.items():
        out += ["", f"[{prefix}{key}]", *_dump(value, f"{prefix}{key}.")]
    return out


def _atomic_write(path: Path, text: str) -> None:
    from clinic_tui.private_files import FILE_MODE, OTHERS, private_dir

    private_dir(path.parent)
    # Owner-only, like everything the app writes: a settings file names the server and clinic.
    mode = path.stat().st_mode & 0o777 & ~OTHERS if path.exists() else FILE_MODE
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def update_section(path: Path, section: str, values: dict[str, Scalar | None]) -> bool:
    """Set (or, for None, remove) keys of one [section]; True when comments were kept.

    Other sections and keys are never changed. ConfigError when the file is not valid TOML
    or cannot be written.
    """
    text, document = _read(path)
    expected = dict(document)
    wanted = dict(document.get(section, {}))
    for key, value in values.items():
        if value is None:
            wanted.pop(key, None)
        else:
            wanted[key] = value
    expected[section] = wanted
    edited = _edit_lines(text, section, values)
    kept = True
    try:
        if tomllib.loads(edited) != expected:
            raise ValueError("line edit changed something else")
    except (tomllib.TOMLDecodeError, ValueError):
        edited = "\n".join(_dump(expected)).lstrip("\n") + "\n"
        kept = False
    try:
        _atomic_write(path, edited)
    except OSError as error:
        raise ConfigError(f"cannot write settings file {path}: {error.strerror}") from error
    return kept
