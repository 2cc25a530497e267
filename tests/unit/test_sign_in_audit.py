"""Every sign-in, wrong PIN and lock-out is an AuditEvent in the cache; no PIN is ever in one."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from clinic_tui.offline_cache.audit import unsent_events
from clinic_tui.offline_cache.engine import open_cache
from clinic_tui.offline_cache.local_users import LocalUser, add_user, load_users
from clinic_tui.offline_cache.sign_in import SignInGate
from clinic_tui.offline_cache.sign_in_attempts import FREE_FAILURES, SignInAttempts
from clinic_tui.offline_cache.sign_in_audit import SignInAudit
from tests.conftest import Cli

RIGHT = "482916"
WRONG = "905173"


class WallClock:
    """Wall-clock seconds moved by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _gate(data: Path, clock: WallClock) -> tuple[SignInGate, LocalUser]:
    add_user(data, "dr-li", "李医生", RIGHT)
    engine = open_cache(data / "clinic.sqlite3")
    engine.dispose()
    audit = SignInAudit(data / "clinic.sqlite3", "org-1", "青山镇卫生院", clock)
    return SignInGate(SignInAttempts(data, clock), audit), load_users(data)[0]


def _rows(data: Path) -> list[dict[str, object]]:
    engine = open_cache(data / "clinic.sqlite3")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM audit_event ORDER BY recorded, rowid"))
        found = [dict(row._mapping) for row in rows]
    engine.dispose()
    return found


def test_a_wrong_pin_a_lock_out_and_a_sign_in_are_each_recorded(tmp_path: Path) -> None:
    clock = WallClock()
    gate, li = _gate(tmp_path, clock)
    for _ in range(FREE_FAILURES):
        clock.now += 1
        assert gate.sign_in(li, WRONG).attempt.result == "wrong"
    clock.now += 1
    assert gate.sign_in(li, RIGHT).attempt.result == "refused"  # during the lock-out
    clock.now += 60
    assert gate.sign_in(li, RIGHT).attempt.result == "signed_in"

    events = [json.loads(str(row["resource_json"])) for row in _rows(tmp_path)]
    outcomes = [event["outcome"] for event in events]
    # Five wrong PINs (4, minor failure), the lock-out (8), then the sign-in (0). The try
    # refused during the lock-out checked nothing and is not recorded.
    assert outcomes == ["4"] * FREE_FAILURES + ["8", "0"]
    for event in events:
        assert event["type"]["code"] == "110114"  # DICOM User Authentication
        assert event["subtype"][0]["code"] == "110122"  # Login
        assert event["action"] == "E"
        assert event["entity"][0]["what"] == {"reference": "Practitioner/dr-li"}
        assert event["source"]["observer"]["reference"] == "Organization/org-1"
    failed, signed_in = events[0], events[-1]
    assert failed["agent"][0]["altId"] == "dr-li"  # the account tried: nobody proved who
    assert "who" not in failed["agent"][0]
    assert failed["outcomeDesc"] == "wrong PIN, 1 in a row for this clinician"
    assert signed_in["agent"][0]["who"] == {"reference": "Practitioner/dr-li"}
    assert "locked for 30 s after 5 wrong PINs" in events[-2]["outcomeDesc"]
    assert events[0]["recorded"].startswith("2027-01-15T08:00:01")


def test_no_pin_is_in_any_audit_record_or_the_count(tmp_path: Path) -> None:
    gate, li = _gate(tmp_path, WallClock())
    gate.sign_in(li, WRONG)
    gate.sign_in(li, RIGHT)
    rows = _rows(tmp_path)
    assert len(rows) == 2
    for row in rows:
        for value in row.values():
            assert RIGHT not in str(value)
            assert WRONG not in str(value)
    count = (tmp_path / "sign_in_attempts.sqlite3").read_bytes()
    assert RIGHT.encode() not in count
    assert WRONG.encode() not in count


def test_sign_in_events_go_up_with_the_rest_of_the_trail(tmp_path: Path) -> None:
    gate, li = _gate(tmp_path, WallClock())
    gate.sign_in(li, RIGHT)
    engine = open_cache(tmp_path / "clinic.sqlite3")
    with engine.connect() as connection:
        waiting = unsent_events(connection, 10)
    engine.dispose()
    assert [event["subtype"][0]["code"] for event in waiting] == ["110122"]


def test_a_cache_that_will_not_take_the_record_does_not_keep_the_clinician_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = WallClock()
    add_user(tmp_path, "dr-li", "李医生", RIGHT)
    audit = SignInAudit(tmp_path / "missing" / "clinic.sqlite3", clock=clock)
    gate = SignInGate(SignInAttempts(tmp_path, clock), audit)
    with caplog.at_level(logging.ERROR):
        result = gate.sign_in(load_users(tmp_path)[0], RIGHT)
    assert result.attempt.result == "signed_in"
    assert "not audited" in caplog.text
    assert RIGHT not in caplog.text


def test_a_pin_from_before_the_rules_signs_in_and_is_called_weak(tmp_path: Path) -> None:
    from clinic_tui.offline_cache.local_users import _write, hash_pin

    clock = WallClock()
    _write(tmp_path, [LocalUser("dr-old", "老医生", hash_pin("1234"))])
    gate = SignInGate(SignInAttempts(tmp_path, clock))
    old = load_users(tmp_path)[0]
    result = gate.sign_in(old, "1234")
    assert (result.attempt.result, result.weak_pin) == ("signed_in", True)
    add_user(tmp_path, "dr-li", "李医生", RIGHT)
    strong = gate.sign_in(load_users(tmp_path)[1], RIGHT)
    assert (strong.attempt.result, strong.weak_pin) == ("signed_in", False)


def test_clinic_tui_audit_lists_the_sign_ins(tmp_path: Path, cli: Cli) -> None:
    clock = WallClock()
    gate, li = _gate(tmp_path, clock)
    gate.sign_in(li, WRONG)
    clock.now += 5
    gate.sign_in(li, RIGHT)
    code, out, err = cli("audit", "--sign-ins", "--json", "--data-dir", str(tmp_path))
    assert code == 0, err
    records = json.loads(out)
    assert [(r["kind"], r["practitioner_id"], r["name"]) for r in records] == [
        ("signed_in", "dr-li", "李医生"),
        ("wrong_pin", "dr-li", "李医生"),
    ]
    assert records[1]["detail"] == "wrong PIN, 1 in a row for this clinician"
    assert not any(r["sent"] for r in records)
    assert RIGHT not in out
    assert WRONG not in out

    code, out, _err = cli("audit", "--sign-ins", "--data-dir", str(tmp_path))
    assert code == 0
    assert "Sign-ins on this workstation" in out
    assert "wrong PIN" in out
    assert "signed in" in out
    code, out, _err = cli("--lang", "zh", "audit", "--sign-ins", "--data-dir", str(tmp_path))
    assert "本工作站的登录记录" in out
    assert "PIN 错误" in out


def test_clinic_tui_audit_needs_a_patient_or_sign_ins(tmp_path: Path, cli: Cli) -> None:
    code, _out, err = cli("audit", "--data-dir", str(tmp_path))
    assert code == 2
    assert "--patient" in err
    assert "--sign-ins" in err
