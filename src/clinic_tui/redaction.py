"""Secrets never leave the process in text: logs, crash reports and tracebacks are redacted.

Whatever the process learns is a secret (a server token or client secret, an OAuth access
token, a cache key or passphrase) is remembered here with `remember_secret`, and `redact`
blanks every remembered value, plus anything shaped like a bearer token or a password
assignment, from text on its way out. Remembering is cheap and never fails, so the
credentials module can call it on every secret it reads.
"""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 4
"""Shorter values (a PIN of 3 digits) would blank ordinary text; they are never logged anyway."""

_secrets: set[str] = set()
_lock = threading.Lock()
_pattern: re.Pattern[str] | None = None

_SHAPES = re.compile(
    r"(?i)(\bbearer\s+|\bauthorization['\"]?\s*[:=]\s*['\"]?(?:bearer\s+|basic\s+)?"
    r"|\b(?:access_token|client_secret|password|passphrase|pin|token|key)['\"]?\s*[:=]\s*['\"]?)"
    r"([^\s'\",;&}]+)"
)
"""`Bearer abc`, `Authorization: ...`, `client_secret=...`, `'token': '...'`: the value goes."""


def remember_secret(value: str | None) -> None:
    """Blank `value` from everything `redact` sees from now on (for the life of the process)."""
    global _pattern
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        longest_first = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(secret) for secret in longest_first))


def redact(text: str) -> str:
    """`text` with every remembered secret and every token-shaped value blanked."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    return _SHAPES.sub(lambda match: match.group(1) + REDACTED, text)


class RedactingFilter(logging.Filter):
    """A handler filter that redacts each record's message (arguments folded in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; never drops a record."""
        message = redact(record.getMessage())
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg, record.args = message, None
        return True


def redact_log_handlers(logger: logging.Logger | None = None) -> None:
    """Put a RedactingFilter on every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
