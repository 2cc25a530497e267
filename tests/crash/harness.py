"""Kill `clinic-tui sync` with SIGKILL at seeded random moments, restart it, and check the result.

Each trial: a fresh cache synced with the shared test server; local edits through the
real repositories (status changes, walk-ins with new patients, Patient edits through
store.write_local_change) and server edits made with httpx (other records, and the same
Patients in disjoint fields); then `clinic-tui sync` through a delaying proxy, killed
one or more times, at a random moment or after a random number of bytes crossed the proxy
(mid-exchange however quick the round), and run again until it completes (bounded). The checks:

- every local change reached the server exactly once (per resource _history: a create
  is version 1 and never sent again, an edit's value appears in exactly one transition,
  no version repeats the one before it);
- no Patient identifier we created is on the server twice;
- the outbox is empty (or holds only conflicts waiting for a person);
- cache and server agree record by record, and every server record is cached.

    python -m tests.crash.harness --trials 50 --seed 1 [--tui-trials 5]

Exit 1 with the details on any violation. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from clinic_tui.domain.chart_entry import AllergyEntry, ConditionEntry, NoteEntry
from clinic_tui.domain.diagnosis_search import fallback_search
from clinic_tui.domain.models import Gender, Priority, QueueStatus
from clinic_tui.domain.national_id import IDENTIFIER_SYSTEM, make
from clinic_tui.domain.registration import NewPatient
from clinic_tui.domain.vital_entry import parse_vitals
from clinic_tui.locations import cache_path
from clinic_tui.offline_cache.clinic_cache import ClinicCache
from clinic_tui.offline_cache.store import read_resource, write_local_change
from clinic_tui.offline_cache.tables import RESOURCE_TABLES
from tests.netlab.fault_proxy import FaultProxy
from tests.netlab.fhir_server import running_fhir_server

Resource = dict[str, Any]
CHINA = timezone(timedelta(hours=8))
SEED_PATIENTS = 8
MAX_ROUNDS = 8
"""Uninterrupted runs allowed after the kills: a trial that needs more has failed."""
TRAFFIC_KILL_BYTES = 30_000
"""Upper bound of a traffic-drawn kill: about what one killed round moves through the proxy."""
CLI_TIMEOUT = 120.0


@dataclass(frozen=True)
class Server:
    """A running FHIR server: base URL and bearer token."""

    base_url: str
    token: str

    def client(self, base_url: str | None = None) -> httpx.Client:
        """An httpx client with the bearer token."""
        return httpx.Client(
            base_url=(base_url or self.base_url) + "/",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30.0,
        )


@contextmanager
def fhir_server(workdir: Path) -> Iterator[Server]:
    """Start a server of our own (its own data folder and token); always stop it."""
    name = f"crash-{os.getpid()}-{secrets.token_hex(3)}"
    token = secrets.token_urlsafe(24)
    with running_fhir_server(name, workdir / "server-data", token) as base_url:
        yield Server(base_url, token)


def cli_command() -> list[str]:
    """The clinic-tui entry point of this interpreter's environment."""
    script = Path(sys.executable).with_name("clinic-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "clinic_tui"]


def cli_env(server_url: str, token: str, workdir: Path) -> dict[str, str]:
    """Environment for a headless command: server and token from the environment only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_TUI_") or k == "PATH"}
    env.update(
        CLINIC_TUI_SERVER=server_url,
        CLINIC_TUI_TOKEN=token,
        CLINIC_TUI_CONFIG=str(workdir / "no-config.toml"),
        CLINIC_TUI_LANG="en",
    )
    return env


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run clinic-tui to the end (bounded by CLI_TIMEOUT)."""
    return subprocess.run(
        [*cli_command(), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def run_and_kill(
    args: list[str],
    env: dict[str, str],
    after: float,
    *,
    traffic: tuple[FaultProxy, int] | None = None,
) -> int | None:
    """Start clinic-tui, SIGKILL it `after` seconds later; its exit code if it ended first.

    `traffic` (proxy, n): kill as soon as n bytes have crossed the proxy instead, which lands
    in the middle of the exchange however quick the round is (a feed and a bundle can be
    over in half a second, so a moment drawn in seconds mostly meets a finished sync).
    """
    process = subprocess.Popen(
        [*cli_command(), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = traffic[0].stats().bytes_total if traffic is not None else 0
    deadline = time.monotonic() + after
    try:
        while time.monotonic() < deadline:
            code = process.poll()
            if code is not None:
                return code
            if traffic is not None and traffic[0].stats().bytes_total - base >= traffic[1]:
                break
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        return None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


# ----- server side ---------------------------------------------------------------------------


def without_volatile(resource: Resource) -> Resource:
    """The resource without meta.lastUpdated (formatting differs; versionId is compared)."""
    copy = dict(resource)
    meta = {k: v for k, v in (copy.pop("meta", None) or {}).items() if k != "lastUpdated"}
    if meta:
        copy["meta"] = meta
    return copy


def without_meta(resource: Resource) -> Resource:
    """The resource's content: no meta at all."""
    return {k: v for k, v in resource.items() if k != "meta"}


def server_resources(http: httpx.Client, resource_type: str) -> dict[str, Resource]:
    """Every current resource of one type on the server, by id (paged, bounded)."""
    found: dict[str, Resource] = {}
    url: str | None = f"{resource_type}?_count=500"
    for _ in range(1000):
        if url is None:
            break
        response = http.get(url)
        response.raise_for_status()
        bundle = response.json()
        for entry in bundle.get("entry", []):
            resource = entry.get("resource")
            if resource and resource.get("resourceType") == resource_type:
                found[resource["id"]] = resource
        url = next(
            (link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None
        )
    return found


def history(http: httpx.Client, resource_type: str, resource_id: str) -> list[Resource]:
    """Every version of one resource, oldest first."""
    response = http.get(f"{resource_type}/{resource_id}/_history", params={"_count": "1000"})
    response.raise_for_status()
    versions = [e["resource"] for e in response.json().get("entry", []) if e.get("resource")]
    return sorted(versions, key=lambda r: int(r.get("meta", {}).get("versionId", "0")))


def server_edit(
    http: httpx.Client, resource_type: str, resource_id: str, key: str, value: Any
) -> None:
    """Change one top-level field on the server, as another workstation would (If-Match)."""
    current = http.get(f"{resource_type}/{resource_id}")
    current.raise_for_status()
    resource = current.json()
    resource[key] = value
    version = resource.get("meta", {}).get("versionId")
    answer = http.put(
        f"{resource_type}/{resource_id}",
        json=resource,
        headers={"If-Match": f'W/"{version}"', "Content-Type": "application/fhir+json"},
    )
    answer.raise_for_status()


# ----- one trial -----------------------------------------------------------------------------


@dataclass
class Expected:
    """What the trial changed locally and on the server, to be found after the sync."""

    created: dict[tuple[str, str], Resource] = field(default_factory=dict)
    """Local creates: (type, id) -> the JSON we made."""
    edits: list[tuple[str, str, str, Any]] = field(default_factory=list)
    """Local edits: (type, id, top-level field, value we set)."""
    bases: dict[tuple[str, str], int] = field(default_factory=dict)
    """Server version each locally edited record started from: earlier trials may have set
    the same value before, so only the history from there on counts."""
    remote: list[tuple[str, str, str, Any]] = field(default_factory=list)
    """Server edits: (type, id, field, value)."""
    identifiers: list[str] = field(default_factory=list)


@dataclass
class TrialResult:
    """One trial's outcome."""

    index: int
    kills: int
    rounds: int
    seconds: float
    violations: list[str]
    left_after_kills: int = 0
    """Outbox entries still there after the killed runs: how much the kills interrupted."""

    def line(self) -> str:
        """The summary line printed per trial."""
        verdict = "ok" if not self.violations else f"FAIL ({len(self.violations)})"
        return (
            f"sync trial {self.index:3d}: {self.kills} kill(s), {self.rounds} round(s), "
            f"{self.left_after_kills:2d} outbox entries left by the kills, "
            f"{self.seconds:5.1f} s: {verdict}"
        )


def _ids(path: Path, table: str, where: str = "1") -> list[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(f"SELECT id FROM {table} WHERE {where} ORDER BY id").fetchall()
    return [str(row[0]) for row in rows]


def _table_name(resource_type: str) -> str:
    return str(RESOURCE_TABLES[resource_type].__tablename__)


def _version(resource: Resource) -> int:
    return int(resource.get("meta", {}).get("versionId", "0"))


def make_local_changes(path: Path, rng: random.Random, trial: int, expected: Expected) -> list[str]:
    """Edits through the real repositories; returns the Patient ids left for server-only edits."""
    cache = ClinicCache(path)
    try:
        patients = _ids(path, _table_name("Patient"))
        encounters = _ids(path, _table_name("Encounter"))
        rng.shuffle(patients)
        # The clock the seeded demo was made with (today): a fixed past day would finish
        # today's registrations before they began (period.end < start, which a receiving
        # workstation rightly refuses: FHIR Period per-1).
        now = datetime.now(CHINA) + timedelta(minutes=trial)
        for encounter_id in rng.sample(encounters, k=min(len(encounters), rng.randint(1, 3))):
            with cache.engine.connect() as connection:
                before = read_resource(connection, "Encounter", encounter_id)
            assert before is not None
            current = QueueStatus.from_encounter_status(str(before.get("status")))
            target = rng.choice([s for s in QueueStatus if s is not current])
            reason = "went home" if target is QueueStatus.LEFT else None
            cache.queue.set_status(encounter_id, target, now, reason)
            with cache.engine.connect() as connection:
                after = read_resource(connection, "Encounter", encounter_id)
            assert after is not None
            expected.edits.append(("Encounter", encounter_id, "status", after["status"]))
            expected.bases[("Encounter", encounter_id)] = _version(before)
        for number in range(rng.randint(1, 2)):
            birth = date(1950, 1, 1) + timedelta(days=trial * 11 + number)
            identifier = make("110101", birth, 900 + number)
            entry = cache.queue.register_walk_in(
                NewPatient(
                    name=f"测试{trial}号{number}",
                    gender=rng.choice([Gender.MALE, Gender.FEMALE]),
                    birth_date=birth,
                    identifier=identifier,
                ),
                "发热",
                rng.choice(list(Priority)),
                now,
            )
            expected.identifiers.append(identifier)
            with cache.engine.connect() as connection:
                encounter = read_resource(connection, "Encounter", entry.encounter_id)
                assert encounter is not None
                patient_id = encounter["subject"]["reference"].split("/", 1)[1]
                patient = read_resource(connection, "Patient", patient_id)
                assert patient is not None
            expected.created[("Encounter", entry.encounter_id)] = encounter
            expected.created[("Patient", patient_id)] = patient
        chart_patient = patients.pop()
        make_chart_edits(cache, chart_patient, now, expected)
        edited = patients[: rng.randint(2, 4)]
        with cache.engine.begin() as connection:
            for patient_id in edited:
                resource = read_resource(connection, "Patient", patient_id)
                assert resource is not None
                phone = f"139{rng.randrange(10**8):08d}"
                resource["telecom"] = [{"system": "phone", "value": phone, "use": "mobile"}]
                write_local_change(connection, resource, "update")
                expected.edits.append(("Patient", patient_id, "telecom", resource["telecom"]))
                expected.bases[("Patient", patient_id)] = _version(resource)
        cache.engine.dispose()
        return patients[len(edited) :] + edited[: max(1, len(edited) // 2)]
    finally:
        if cache._engine is not None:
            cache._engine.dispose()


def make_chart_edits(
    cache: ClinicCache, patient_id: str, now: datetime, expected: Expected
) -> None:
    """Chart edits of one patient through the chart's ChartEditor: a diagnosis, an allergy
    (which retires a 'no known allergy' statement), vital signs and a visit's note."""
    editor = cache.chart_edits
    with cache.engine.connect() as connection:
        visit = connection.exec_driver_sql(
            "SELECT id FROM encounter WHERE patient_id = ? ORDER BY period_start DESC LIMIT 1",
            (patient_id,),
        ).scalar_one_or_none()
    statements = [a for a in editor.allergies(patient_id) if a.no_known]
    bases = {}
    for statement in statements:
        with cache.engine.connect() as connection:
            before = read_resource(connection, "AllergyIntolerance", statement.id)
        assert before is not None
        bases[statement.id] = _version(before)
    created = [
        (
            "Condition",
            editor.add_condition(
                patient_id, ConditionEntry(fallback_search("J06")[0], None), now, visit
            ),
        ),
        ("AllergyIntolerance", editor.add_allergy(patient_id, CRASH_ALLERGY, now)),
    ]
    vitals, _ = parse_vitals(
        {"systolic": "150", "diastolic": "95", "weight": "60", "height": "160"}
    )
    created += [("Observation", i) for i in editor.record_vitals(patient_id, vitals, now, visit)]
    if visit is not None:
        note = NoteEntry(subjective="崩溃测试", plan="复诊")
        with cache.engine.connect() as connection:
            had_note = connection.exec_driver_sql(
                "SELECT count(*) FROM document_reference WHERE encounter_id = ?", (visit,)
            ).scalar_one()
        note_id = editor.save_note(patient_id, visit, note, now)
        if had_note:
            expected.edits.append(
                ("DocumentReference", note_id, "content", _content(cache, note_id))
            )
            expected.bases[("DocumentReference", note_id)] = 1
        else:
            created.append(("DocumentReference", note_id))
    with cache.engine.connect() as connection:
        for kind, ident in created:
            resource = read_resource(connection, kind, ident)
            assert resource is not None
            expected.created[(kind, ident)] = resource
        for ident, base in bases.items():
            after = read_resource(connection, "AllergyIntolerance", ident)
            assert after is not None
            expected.edits.append(
                ("AllergyIntolerance", ident, "clinicalStatus", after["clinicalStatus"])
            )
            expected.bases[("AllergyIntolerance", ident)] = base


def _content(cache: ClinicCache, ident: str) -> Any:
    with cache.engine.connect() as connection:
        resource = read_resource(connection, "DocumentReference", ident)
    assert resource is not None
    return resource["content"]


CRASH_ALLERGY = AllergyEntry(
    substance="花生 Peanut",
    substance_code=None,
    category="food",
    criticality="high",
    reaction="喉头水肿",
    reaction_code=None,
    severity="severe",
)


def make_server_changes(
    http: httpx.Client, rng: random.Random, candidates: list[str], expected: Expected
) -> None:
    """Edits on the server: addresses of other Patients and of some we edited (disjoint field)."""
    local = {ident for kind, ident, _, _ in expected.edits if kind == "Patient"}
    shared = [p for p in candidates if p in local]
    others = [p for p in candidates if p not in local]
    chosen = shared[: rng.randint(1, max(1, len(shared)))] + others[: rng.randint(1, 3)]
    for patient_id in chosen:
        address = [{"use": "home", "text": f"村{rng.randrange(1000)}号", "country": "CN"}]
        server_edit(http, "Patient", patient_id, "address", address)
        expected.remote.append(("Patient", patient_id, "address", address))


def check(path: Path, http: httpx.Client, expected: Expected) -> list[str]:
    """Every violation of the promises, as readable lines."""
    problems: list[str] = []
    for (kind, ident), sent in expected.created.items():
        versions = history(http, kind, ident)
        if not versions:
            problems.append(f"{kind}/{ident}: our create never reached the server")
            continue
        if len(versions) != 1:
            problems.append(f"{kind}/{ident}: created once but {len(versions)} versions on server")
        if without_meta(versions[0]) != without_meta(sent):
            problems.append(f"{kind}/{ident}: the server's first version is not what we created")
    touched = {(k, i) for k, i, _, _ in expected.edits} | {(k, i) for k, i, _, _ in expected.remote}
    for kind, ident in sorted(touched):
        versions = history(http, kind, ident)
        for older, newer in itertools.pairwise(versions):
            if without_meta(older) == without_meta(newer):
                version = newer.get("meta", {}).get("versionId")
                problems.append(f"{kind}/{ident}: version {version} repeats the one before")
        for edit_kind, edit_id, key, value in expected.edits:
            if (edit_kind, edit_id) != (kind, ident):
                continue
            since = [v for v in versions if _version(v) >= expected.bases.get((kind, ident), 0)]
            arrivals = sum(
                1
                for older, newer in itertools.pairwise(since)
                if newer.get(key) == value and older.get(key) != value
            )
            if arrivals != 1:
                problems.append(f"{kind}/{ident}: local {key} reached the server {arrivals} times")
            if versions and versions[-1].get(key) != value:
                problems.append(f"{kind}/{ident}: local {key} is not in the current version")
        for remote_kind, remote_id, key, value in expected.remote:
            if (remote_kind, remote_id) == (kind, ident) and versions[-1].get(key) != value:
                problems.append(f"{kind}/{ident}: the server's own {key} edit was overwritten")
    for identifier in expected.identifiers:
        found = http.get("Patient", params={"identifier": f"{IDENTIFIER_SYSTEM}|{identifier}"})
        found.raise_for_status()
        count = len(found.json().get("entry", []))
        if count != 1:
            problems.append(f"identifier {identifier}: {count} Patients on the server")
    problems.extend(_check_outbox(path))
    problems.extend(_check_convergence(path, http))
    return problems


def _outbox_rows(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT resource_type, resource_id FROM outbox").fetchall()
    return [(str(t), str(i)) for t, i in rows]


def _check_outbox(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT resource_type, resource_id, operation, state, COALESCE(error, '') FROM outbox"
        ).fetchall()
        conflicts = {
            (str(t), str(i))
            for t, i in connection.execute("SELECT resource_type, resource_id FROM conflict")
        }
    return [
        f"outbox still holds {t}/{i} {op} ({state}) {error}".rstrip()
        for t, i, op, state, error in rows
        if (t, i) not in conflicts
    ]


def _check_convergence(path: Path, http: httpx.Client) -> list[str]:
    problems: list[str] = []
    with sqlite3.connect(path) as connection:
        for resource_type in RESOURCE_TABLES:
            table = _table_name(resource_type)
            cached = {
                str(i): (json.loads(j), bool(p))
                for i, j, p in connection.execute(f"SELECT id, resource_json, pending FROM {table}")
            }
            remote = server_resources(http, resource_type)
            for ident in sorted(remote.keys() - cached.keys()):
                problems.append(f"{resource_type}/{ident}: on the server, not in the cache")
            for ident in sorted(cached.keys() - remote.keys()):
                problems.append(f"{resource_type}/{ident}: in the cache, not on the server")
            for ident in sorted(remote.keys() & cached.keys()):
                mine, pending = cached[ident]
                if pending:
                    problems.append(f"{resource_type}/{ident}: still marked unsynced")
                if without_volatile(mine) != without_volatile(remote[ident]):
                    problems.append(f"{resource_type}/{ident}: cache differs from the server")
    return problems


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def sync_trial(server: Server, workdir: Path, seed: int, index: int, window: float) -> TrialResult:
    """One trial: edits both sides, sync killed at random moments, restarted, then checked."""
    rng = random.Random(f"crash-sync-{seed}-{index}")
    started = time.monotonic()
    data = workdir / f"trial-{index:03d}"
    path = cache_path(data)
    direct = cli_env(server.base_url, server.token, workdir)
    first = run_cli(["sync", "--data-dir", str(data)], direct)
    if first.returncode != 0:
        return TrialResult(index, 0, 0, 0.0, [f"first sync failed: {first.stdout}{first.stderr}"])
    expected = Expected()
    violations: list[str] = []
    kills = rounds = 0
    with server.client() as http:
        candidates = make_local_changes(path, rng, index, expected)
        make_server_changes(http, rng, candidates, expected)
        target = urlsplit(server.base_url)
        assert target.port is not None
        with FaultProxy(
            target.port, seed=rng.randrange(2**31), one_way_delay=0.04, bandwidth=60_000
        ) as proxy:
            slow = cli_env(proxy.url + target.path, server.token, workdir)
            code: int | None = None
            for _ in range(rng.randint(1, 3)):
                rounds += 1
                if rng.random() < 0.5:
                    after = rng.uniform(0.2, window)
                    code = run_and_kill(["sync", "--data-dir", str(data)], slow, after)
                else:
                    # Mid-exchange: after a seeded number of bytes (a round moves tens of KB).
                    traffic = (proxy, rng.randint(1, TRAFFIC_KILL_BYTES))
                    code = run_and_kill(
                        ["sync", "--data-dir", str(data)], slow, CLI_TIMEOUT, traffic=traffic
                    )
                kills += code is None
            left = len(_outbox_rows(path))
            for _ in range(MAX_ROUNDS):
                rounds += 1
                code = run_cli(["sync", "--data-dir", str(data)], slow).returncode
                if code == 0:
                    break
            else:
                violations.append(f"sync did not complete in {MAX_ROUNDS} more rounds ({code})")
        integrity = _integrity(path)
        if integrity != "ok":
            violations.append(f"integrity_check: {integrity}")
        violations.extend(check(path, http, expected))
    return TrialResult(index, kills, rounds, time.monotonic() - started, violations, left)


# ----- the run -------------------------------------------------------------------------------


def seed_server(server: Server, workdir: Path) -> None:
    """Put the demo clinic on the server (the CLI's own seed-server)."""
    result = run_cli(
        ["seed-server", "--patients", str(SEED_PATIENTS), "--seed", "3"],
        cli_env(server.base_url, server.token, workdir),
    )
    if result.returncode != 0:
        raise RuntimeError(f"seed-server failed: {result.stdout}{result.stderr}")


def run_sync_trials(
    trials: int, seed: int, window: float, workdir: Path, server: Server
) -> list[TrialResult]:
    """Run `trials` sync trials against one seeded server, printing a line per trial."""
    results = []
    for index in range(trials):
        result = sync_trial(server, workdir, seed, index, window)
        print(result.line(), flush=True)
        for violation in result.violations:
            print(f"    {violation}", flush=True)
        results.append(result)
    return results


def summary(results: list[TrialResult], label: str) -> str:
    """Totals of a batch of trials."""
    failed = sum(1 for r in results if r.violations)
    kills = sum(r.kills for r in results)
    seconds = sum(r.seconds for r in results)
    interrupted = sum(1 for r in results if r.left_after_kills)
    cut = f" ({interrupted} left changes queued)" if label == "sync" else ""
    return (
        f"{label}: {len(results)} trials, {kills} kills{cut}, {failed} failed, "
        f"{sum(len(r.violations) for r in results)} violations, {seconds:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the sync trials (and the TUI trials); exit 1 on any violation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=50, help="sync trials")
    parser.add_argument("--tui-trials", type=int, default=5, help="workstation kill trials")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window", type=float, default=4.0, help="kill within this many seconds")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the caches here")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clinic-crash-") as scratch:
        workdir = options.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        with fhir_server(workdir) as server:
            seed_server(server, workdir)
            results = run_sync_trials(options.trials, options.seed, options.window, workdir, server)
            lines = [summary(results, "sync")]
            failed = any(r.violations for r in results)
            if options.tui_trials:
                from tests.crash.tui_kill import run_tui_trials

                tui = run_tui_trials(options.tui_trials, options.seed, workdir, server)
                lines.append(summary(tui, "tui"))
                failed = failed or any(r.violations for r in tui)
    for line in lines:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
