"""The sign-in service the lock screen calls: the shared count, the PIN check and the audit."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_tui.offline_cache.local_users import LocalUser, pin_matches, pin_weakness
from clinic_tui.offline_cache.sign_in_attempts import (
    FREE_FAILURES,
    WORKSTATION_FREE_FAILURES,
    Attempt,
    SignInAttempts,
)
from clinic_tui.offline_cache.sign_in_audit import SignInAudit


@dataclass(frozen=True)
class SignInResult:
    """An attempt, and whether a right PIN is one the rules of a new PIN would refuse."""

    attempt: Attempt
    weak_pin: bool = False
    """Signed in with a PIN from before the PIN rules (say, 4 digits): it should be changed."""


class SignInGate:
    """Checks a clinician's PIN against the shared count and audits what happened."""

    def __init__(self, attempts: SignInAttempts, audit: SignInAudit | None = None) -> None:
        self.attempts = attempts
        self.audit = audit
        """Where sign-in events go (None: nowhere, for tools without a cache)."""

    def sign_in(self, user: LocalUser, pin: str) -> SignInResult:
        """Try `pin` for `user`: SignInRecordError when the count cannot be kept."""
        attempt = self.attempts.try_pin(user.practitioner_id, lambda: pin_matches(user, pin))
        if attempt.result == "signed_in":
            self._record("signed_in", user)
            # Judged here, while the PIN is at hand: the file keeps only its hash.
            return SignInResult(attempt, weak_pin=pin_weakness(pin) is not None)
        if attempt.result == "wrong":
            self._record(
                "wrong_pin", user, f"wrong PIN, {attempt.failures} in a row for this clinician"
            )
            if attempt.locked_now:
                self._record("locked_out", user, _lock_detail(attempt))
        # A try refused during a lock-out checks nothing and learns nothing: not recorded,
        # so a script hammering a locked sign-in cannot fill the audit trail.
        return SignInResult(attempt)

    def _record(self, kind: str, user: LocalUser, detail: str = "") -> None:
        if self.audit is not None:
            self.audit.record(kind, user.practitioner_id, user.name, detail)


def _lock_detail(attempt: Attempt) -> str:
    """The audit words of a lock-out (English: it is read on the server as well)."""
    if attempt.scope == "workstation":
        return (
            f"every sign-in on this workstation locked for {attempt.wait:g} s after "
            f"{WORKSTATION_FREE_FAILURES} or more wrong PINs in a row"
        )
    return (
        f"sign-in of this clinician locked for {attempt.wait:g} s after {attempt.failures} "
        f"wrong PINs in a row (free: {FREE_FAILURES})"
    )
