"""`clinic-tui encrypt`: turn a plain cache into an SQLCipher one in place, safely.

The order is what makes a kill at any moment harmless:

1. the plain cache's write-ahead log is folded into the file (journal mode DELETE, which
   also proves no other process has it open) and a write lock is held from then on;
2. an encrypted copy is written beside it (`sqlcipher_export` into an ATTACHed file);
3. the copy is checked: integrity, and every table's row count equal to the original's;
4. the copy is fsynced, the marker file (how to get the key) written durably;
5. the copy is renamed over the original (atomic), and the folder fsynced.

Until step 5 the original is untouched and a stale marker beside a plain file is
ignored (the file's header decides); after it, the encrypted file and its marker are
both on disk. Also the unlock done before any command that reads an encrypted cache.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinic_tui.commands.cli import settings_of, subcommand
from clinic_tui.errors import CacheError, ConfigError
from clinic_tui.i18n import N_, tr
from clinic_tui.offline_cache.cache_file import (
    encryption_of,
    forget_encryption_state,
    open_connection,
    prepare_cache,
)
from clinic_tui.offline_cache.cache_key import (
    CacheKey,
    CacheLockedError,
    Encryption,
    forget_key,
    fsync_folder,
    key_for,
    marker_path,
    new_keyring_encryption,
    new_passphrase_encryption,
    new_random_key,
    remember_key,
    write_marker,
)
from clinic_tui.private_files import create_private_file

MIN_PASSPHRASE = 8
"""Characters a cache passphrase needs at least (it is the only thing between a thief and
the data when the key is not in a keyring)."""

TEMPORARY_SUFFIX = ".encrypting"

STEPS = ("fold-log", "export", "verify", "fsync", "marker", "replace", "done")
"""The steps `encrypt_cache` reports, in order (the kill tests stop it at each)."""


@dataclass(frozen=True)
class EncryptResult:
    """What `encrypt_cache` checked: rows per table in both copies (equal, or it failed)."""

    rows: dict[str, int]


def read_passphrase(*, confirm: bool) -> str:
    """A cache passphrase from a no-echo prompt (twice when `confirm`), or one stdin line."""
    import getpass
    import sys

    interactive = sys.stdin.isatty()

    def ask(prompt: str) -> str:
        text = getpass.getpass(tr(prompt)) if interactive else sys.stdin.readline()
        return text.rstrip("\r\n")

    passphrase = ask(N_("Cache passphrase: "))
    if not passphrase:
        raise ConfigError(
            tr(
                "no passphrase given; type it at the prompt, or give it as one line on "
                "standard input"
            )
        )
    if confirm:
        if len(passphrase) < MIN_PASSPHRASE:
            raise ConfigError(
                tr("a cache passphrase needs at least {n} characters").format(n=MIN_PASSPHRASE)
            )
        if interactive and ask(N_("Cache passphrase again: ")) != passphrase:
            raise ConfigError(tr("the two passphrases differ; nothing was changed"))
    return passphrase


def unlock_cache(path: Path, *, passphrase: Callable[[], str] | None = None) -> None:
    """Give this process the key of the cache at `path` if it is encrypted (else nothing).

    The key comes from the keyring or from the passphrase (asked through `passphrase`,
    by default a no-echo prompt). A key that does not open the cache is CacheLockedError.
    """
    encryption = encryption_of(path)
    if encryption is None or key_for(path) is not None:
        return
    if encryption.source == "keyring":
        from clinic_tui.credentials import stored_cache_key

        stored = stored_cache_key(encryption.keyring_entry)
        if stored is None:
            raise CacheLockedError(
                tr(
                    "the cache is encrypted, but its key is not in this user's keyring; run as "
                    "the user who encrypted it, or unlock the desktop keyring. If the key is "
                    "lost, the cache must be rebuilt from the server (see 'Encrypted cache' in "
                    "the README)"
                )
            )
        key = CacheKey(bytes.fromhex(stored))
    else:
        key = encryption.derive((passphrase or (lambda: read_passphrase(confirm=False)))())
    remember_key(path, key)
    try:
        open_connection(path).close()
    except CacheLockedError:
        forget_key(path)
        raise


def _cipher() -> Any:
    from sqlcipher3 import dbapi2

    return dbapi2


def _counts(connection: Any, schema: str) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {
        name: int(connection.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0])
        for name in names
    }


def _verify(temporary: Path, key: CacheKey, expected: dict[str, int], version: int) -> None:
    connection = _cipher().connect(str(temporary), isolation_level=None)
    try:
        connection.execute("PRAGMA cipher_log_level = NONE")
        connection.execute(key.pragma())
        problems = [row[0] for row in connection.execute("PRAGMA cipher_integrity_check")]
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(str(integrity))
        copied = _counts(connection, "main")
        if copied != expected:
            differ = sorted(set(copied.items()) ^ set(expected.items()))
            problems.append(f"row counts differ: {differ[:4]}")
        if int(connection.execute("PRAGMA user_version").fetchone()[0]) != version:
            problems.append("schema version differs")
    finally:
        connection.close()
    if problems:
        raise CacheError(
            tr(
                "the encrypted copy does not match the cache ({problem}); the cache was left "
                "as it was"
            ).format(problem="; ".join(problems))
        )


def _fsync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_leftovers(temporary: Path) -> None:
    """What an earlier, killed run left: never the cache itself."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{temporary}{suffix}").unlink(missing_ok=True)


def _convert(
    path: Path,
    temporary: Path,
    *,
    key_pragma: str | None,
    target: str,
    verify: Callable[[dict[str, int], int], None],
    before_replace: Callable[[], None],
    progress: Callable[[str], None],
) -> dict[str, int]:
    """The steps encrypt and decrypt share: copy the cache at `path` through SQLCipher's
    export into `temporary` (attached as `target`, its KEY clause included), check it, then
    rename it over the cache. Returns the rows per table that were checked.

    `key_pragma` unlocks an encrypted cache (None for a plain one); `before_replace` runs
    once the checked copy is on disk, just before the rename.
    """
    _remove_leftovers(temporary)
    dbapi2 = _cipher()
    # SQLCipher's module opens a plain file too (no key given): sqlcipher_export needs both
    # databases on one of its connections.
    source = dbapi2.connect(str(path), isolation_level=None)
    try:
        source.execute("PRAGMA cipher_log_level = NONE")
        if key_pragma is not None:
            source.execute(key_pragma)
        source.execute("PRAGMA busy_timeout = 2000")
        progress("fold-log")
        try:
            # Leaving WAL folds the log into the file and deletes -wal and -shm; SQLite only
            # allows it when no other connection has the cache open.
            mode = source.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except dbapi2.OperationalError:
            mode = "busy"
        if str(mode).lower() != "delete":
            raise CacheError(
                tr(
                    "the cache is open in another clinic-tui (the workstation or a sync); close "
                    "it and run this again"
                )
            )
        # Exclusive locking mode keeps the lock taken here until the connection closes,
        # after the rename: nobody reads a half-way state or writes what the copy would miss.
        source.execute("PRAGMA locking_mode = EXCLUSIVE")
        version = int(source.execute("PRAGMA user_version").fetchone()[0])
        source.execute("BEGIN EXCLUSIVE")
        # A write (the same value) is what makes SQLite keep the exclusive lock after COMMIT.
        source.execute(f"PRAGMA user_version = {version}")
        source.execute("COMMIT")
        application_id = int(source.execute("PRAGMA application_id").fetchone()[0])
        expected = _counts(source, "main")
        progress("export")
        # Made 0600 before SQLCipher creates it 0644: it becomes the cache at the rename.
        create_private_file(temporary)
        source.execute(f"ATTACH DATABASE ? AS {target}", (str(temporary),))
        schema = target.split()[0]
        source.execute(f"SELECT sqlcipher_export('{schema}')")
        source.execute(f"PRAGMA {schema}.user_version = {version}")
        source.execute(f"PRAGMA {schema}.application_id = {application_id}")
        source.execute(f"DETACH DATABASE {schema}")
        progress("verify")
        verify(expected, version)
        progress("fsync")
        _fsync_file(temporary)
        before_replace()
        progress("replace")
        os.replace(temporary, path)
        fsync_folder(path.parent)
    except BaseException:
        _remove_leftovers(temporary)
        raise
    finally:
        source.close()
        forget_encryption_state(path)
    return expected


def encrypt_cache(
    path: Path,
    encryption: Encryption,
    key: CacheKey,
    *,
    progress: Callable[[str], None] = lambda _step: None,
) -> EncryptResult:
    """Encrypt the plain cache at `path` in place with `key` (see the module's steps)."""
    if encryption_of(path) is not None:
        raise CacheError(tr("{path} is already encrypted").format(path=path))
    prepare_cache(path, create=False)  # ours, not newer, migrated: the copy is current
    temporary = path.with_name(path.name + TEMPORARY_SUFFIX)

    def marker() -> None:
        progress("marker")
        write_marker(path, encryption)

    expected = _convert(
        path,
        temporary,
        key_pragma=None,
        target=f"encrypted KEY \"x'{key.raw.hex()}'\"",
        verify=lambda expected, version: _verify(temporary, key, expected, version),
        before_replace=marker,
        progress=progress,
    )
    remember_key(path, key)
    progress("done")
    return EncryptResult(rows=expected)


def _verify_plain(temporary: Path, expected: dict[str, int], version: int) -> None:
    connection = sqlite3.connect(temporary)
    try:
        problems = []
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(str(integrity))
        if _counts(connection, "main") != expected:
            problems.append("row counts differ")
        if int(connection.execute("PRAGMA user_version").fetchone()[0]) != version:
            problems.append("schema version differs")
    finally:
        connection.close()
    if problems:
        raise CacheError(
            tr(
                "the plain copy does not match the cache ({problem}); the cache was left as it was"
            ).format(problem="; ".join(problems))
        )


def decrypt_cache(
    path: Path, *, progress: Callable[[str], None] = lambda _step: None
) -> EncryptResult:
    """Turn the encrypted cache at `path` (its key held) back into a plain one, as safely.

    The same steps as encrypt_cache the other way; the marker goes last, after the rename
    (a plain header beside a stale marker reads as plain).
    """
    encryption = encryption_of(path)
    key = key_for(path)
    if encryption is None:
        raise CacheError(tr("{path} is not encrypted").format(path=path))
    if key is None:
        unlock_cache(path)
        key = key_for(path)
        assert key is not None
    temporary = path.with_name(path.name + ".decrypting")
    expected = _convert(
        path,
        temporary,
        key_pragma=key.pragma(),
        target="plain KEY ''",
        verify=lambda expected, version: _verify_plain(temporary, expected, version),
        before_replace=lambda: None,
        progress=progress,
    )
    progress("marker")
    marker_path(path).unlink(missing_ok=True)
    fsync_folder(path.parent)
    forget_key(path)
    if encryption.source == "keyring":
        from clinic_tui.credentials import delete_cache_key

        delete_cache_key(encryption.keyring_entry)
    progress("done")
    return EncryptResult(rows=expected)


def run_decrypt(path: Path) -> int:
    """The `decrypt` command: unlock, convert back, say what was checked."""
    unlock_cache(path)
    result = decrypt_cache(path)
    print(
        tr("Decrypted {path}: {tables} tables, {rows:,} records checked.").format(
            path=path, tables=len(result.rows), rows=sum(result.rows.values())
        )
    )
    return 0


def run_encrypt(path: Path, *, use_passphrase: bool) -> int:
    """The `encrypt` command: choose the key, convert, say what was checked."""
    if encryption_of(path) is not None:
        raise CacheError(tr("{path} is already encrypted").format(path=path))
    if not path.exists():
        prepare_cache(path, create=False)  # says there is no cache, and how to make one
    if use_passphrase:
        encryption = new_passphrase_encryption()
        key = encryption.derive(read_passphrase(confirm=True))
        where = tr("derived from the passphrase (not stored anywhere)")
    else:
        from clinic_tui.credentials import store_cache_key

        encryption = new_keyring_encryption()
        key = new_random_key()
        store_cache_key(encryption.keyring_entry, key.raw.hex())
        where = tr("in this user's OS keyring")
    result = encrypt_cache(path, encryption, key)
    print(
        tr("Encrypted {path}: {tables} tables, {rows:,} records checked; key: {where}.").format(
            path=path, tables=len(result.rows), rows=sum(result.rows.values()), where=where
        )
    )
    return 0


def plain_counts(path: Path) -> dict[str, int]:
    """Rows per table of a plain cache (tests and the benchmark compare with these)."""
    connection = sqlite3.connect(path)
    try:
        return _counts(connection, "main")
    finally:
        connection.close()


def unlock_for(args: argparse.Namespace) -> None:
    """Before sync, status and terminology: unlock the cache they will read."""
    from clinic_tui.locations import cache_path

    unlock_cache(cache_path(settings_of(args).data_dir))


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `encrypt` command (`decrypt` is commands/decrypt.py)."""
    encrypt = subcommand(
        commands,
        "encrypt",
        parents=[common],
        help=tr("encrypt the cache in place (SQLCipher), key in the keyring or from a passphrase"),
        description=tr(
            "Write an encrypted copy of the cache beside it, check it (integrity and every "
            "table's row count), then rename it over the original. A stop at any moment "
            "leaves a cache that opens. Close the workstation and any sync first."
        ),
    )
    key_source = encrypt.add_mutually_exclusive_group()
    key_source.add_argument(
        "--keyring",
        action="store_true",
        help=tr("a random key kept in this user's OS keyring (the default)"),
    )
    key_source.add_argument(
        "--passphrase-prompt",
        action="store_true",
        help=tr(
            "a key derived from a passphrase asked for now and at every start (no-echo prompt, "
            "or one line of standard input); never stored"
        ),
    )


def run(args: argparse.Namespace) -> int:
    """Encrypt the cache of --data-dir."""
    from clinic_tui.locations import cache_path

    path = cache_path(settings_of(args).data_dir)
    return run_encrypt(path, use_passphrase=args.passphrase_prompt)
