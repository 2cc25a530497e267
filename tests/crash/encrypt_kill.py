"""Run `encrypt_cache` on a cache and SIGKILL this process at a chosen step or moment.

    python -m tests.crash.encrypt_kill CACHE SALT_HEX PASSPHRASE WHERE [decrypt]

WHERE is step:NAME (a step of encrypt_cache or decrypt_cache) or delay:SECONDS.

The test that starts it knows the salt and passphrase, so it can open whatever is left.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from clinic_tui.commands.encrypt import decrypt_cache, encrypt_cache
from clinic_tui.offline_cache.cache_key import Encryption, remember_key


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    """Encrypt, dying where argv says."""
    path, salt, passphrase, where = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    encryption = Encryption(source="passphrase", salt=bytes.fromhex(salt))
    kind, _, value = where.partition(":")
    if kind == "delay":
        threading.Timer(float(value), _die).start()

    def progress(step: str) -> None:
        if kind == "step" and step == value:
            _die()

    if sys.argv[5:] == ["decrypt"]:
        remember_key(path, encryption.derive(passphrase))
        decrypt_cache(path, progress=progress)
    else:
        encrypt_cache(path, encryption, encryption.derive(passphrase), progress=progress)
    _die()  # a kill after the end must leave the encrypted cache, too


if __name__ == "__main__":
    main()
