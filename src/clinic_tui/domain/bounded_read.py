"""Reading import files with a ceiling: archive members, plain files, decompressed streams.

An import file comes from outside. A 4 MB zip can unpack to 4 GiB (a "zip bomb"), and a
member's header may lie about its size. Every read here checks the declared size first
and counts what decompression actually produces, so memory stays under the cap whatever
the file says; going over it raises TooLargeError, which the importer turns into one line.
Standard library only (zipfile, tarfile): no SQL, no UI.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path
from typing import IO

MEMBER_LIMIT = 64 * 1024 * 1024
"""Bytes one file inside an import archive may unpack to. The largest real one read here
(GNU Health's diseases.xml, every WHO ICD-10 code) is a few MB."""


class TooLargeError(ValueError):
    """A file or archive member bigger than the importer's cap; the message says which."""


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MiB"


def _too_large(name: str, limit: int, declared: int | None = None) -> TooLargeError:
    said = f" (it says {declared:,} bytes)" if declared is not None else ""
    return TooLargeError(f"{name} unpacks to more than {_mib(limit)}{said}: refused")


class CountingReader(io.RawIOBase):
    """A binary stream that raises TooLargeError once more than `limit` bytes came through it."""

    def __init__(self, stream: IO[bytes], name: str, limit: int) -> None:
        self._stream = stream
        self._name = name
        self._limit = limit
        self.count = 0

    def readable(self) -> bool:
        """Always: this is a reader."""
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        """Fill `buffer` from the stream, counting; TooLargeError beyond the limit."""
        data = self._stream.read(len(buffer))
        self.count += len(data)
        if self.count > self._limit:
            raise _too_large(self._name, self._limit)
        buffer[: len(data)] = data
        return len(data)


def open_zip_member(
    archive: zipfile.ZipFile, name: str, limit: int = MEMBER_LIMIT
) -> io.BufferedReader:
    """A counted stream of one zip member; TooLargeError at once when its header says too much."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise _too_large(name, limit, info.file_size)
    return io.BufferedReader(CountingReader(archive.open(info), name, limit))


def read_zip_member(archive: zipfile.ZipFile, name: str, limit: int = MEMBER_LIMIT) -> bytes:
    """One zip member's bytes, at most `limit` (declared and counted)."""
    with open_zip_member(archive, name, limit) as stream:
        return stream.read()


def read_tar_member(tar: tarfile.TarFile, name: str, limit: int = MEMBER_LIMIT) -> bytes:
    """One tar member's bytes, at most `limit` (declared and counted); b"" if not a file."""
    member = tar.getmember(name)
    if member.size > limit:
        raise _too_large(name, limit, member.size)
    handle = tar.extractfile(member)
    if handle is None:
        return b""
    with io.BufferedReader(CountingReader(handle, name, limit)) as stream:
        return stream.read()


def read_file(path: Path, limit: int) -> bytes:
    """A plain file's bytes, refused (TooLargeError) beyond `limit` before or while reading."""
    size = path.stat().st_size
    if size > limit:
        raise TooLargeError(f"{path.name} is {_mib(size)}, more than {_mib(limit)}: refused")
    with path.open("rb") as handle:
        data = handle.read(limit + 1)  # a file growing (or a pipe) is still bounded
    if len(data) > limit:
        raise TooLargeError(f"{path.name} is more than {_mib(limit)}: refused")
    return data
