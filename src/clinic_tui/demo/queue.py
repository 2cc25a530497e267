"""Today's queue: registrations at the township health centre up to the moment the demo is made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from clinic_tui.demo import clinical
from clinic_tui.demo.context import ACT_PRIORITY, AMBULATORY, DemoContext, DemoRandom, new_id
from clinic_tui.domain.fhir import QUEUE_NUMBER_SYSTEM, Resource

QUEUE_MIN, QUEUE_MAX = 20, 60
OPENING = timedelta(hours=7, minutes=30)
"""The health centre opens at 07:30; arrivals spread from then until now."""

_PRIORITY = {
    "EM": {
        "coding": [{"system": ACT_PRIORITY, "code": "EM", "display": "emergency"}],
        "text": "急诊",
    },
    "UR": {"coding": [{"system": ACT_PRIORITY, "code": "UR", "display": "urgent"}], "text": "紧急"},
    "R": {
        "coding": [{"system": ACT_PRIORITY, "code": "R", "display": "routine"}],
        "text": "普通",
    },
}


@dataclass(frozen=True)
class QueueCandidate:
    """A patient who might register today, with what shapes their chief complaint."""

    ref: dict[str, str]
    age: int
    chronic: tuple[str, ...]


def queue_size(rng: DemoRandom, patients: int) -> int:
    """How many registrations today: 20 to 60, never more than there are patients."""
    return min(rng.randint(QUEUE_MIN, QUEUE_MAX), patients)


def _window(now: datetime) -> tuple[datetime, float]:
    """(first possible arrival, seconds until now); before opening, the hours since midnight."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = midnight + OPENING
    if now - start < timedelta(minutes=30):
        start = max(midnight, now - timedelta(hours=2))
    return start, max((now - start).total_seconds(), 0.0)


def _complaint(rng: DemoRandom, candidate: QueueCandidate, priority: str) -> str:
    child = candidate.age < 14
    if priority == "EM":
        return rng.choice(clinical.CHILD_EMERGENCY if child else clinical.EMERGENCY_COMPLAINTS)
    if priority == "UR":
        return rng.choice(clinical.URGENT_COMPLAINTS)
    if candidate.chronic and rng.random() < 0.55:
        code = rng.choice(candidate.chronic)
        return rng.choice(clinical.CHRONIC_VISIT_REASONS.get(code, ("慢病随访 取药",)))
    return rng.choice(clinical.ACUTE_COMPLAINTS_CHILD if child else clinical.ACUTE_COMPLAINTS_ADULT)


def _timeline(
    rng: DemoRandom, status: str, arrived: datetime, now: datetime
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """(period, statusHistory): when a patient stopped waiting (called in, or left) and, once
    seen, when the consultation ended; every moment lies between arrival and now."""

    def after(moment: datetime, low: int, high: int) -> datetime:
        return min(moment + timedelta(seconds=rng.randrange(low, high)), now).replace(microsecond=0)

    period = {"start": arrived.isoformat()}
    if status == "arrived":
        return period, []
    stopped_waiting = after(arrived, 180, 1800)
    history: list[dict[str, Any]] = [
        {
            "status": "arrived",
            "period": {"start": period["start"], "end": stopped_waiting.isoformat()},
        }
    ]
    if status == "cancelled":
        period["end"] = stopped_waiting.isoformat()
    elif status == "finished":
        end = after(stopped_waiting, 240, 1200).isoformat()
        history.append(
            {"status": "in-progress", "period": {"start": stopped_waiting.isoformat(), "end": end}}
        )
        period["end"] = end
    return period, history


def build_queue(
    rng: DemoRandom, context: DemoContext, candidates: list[QueueCandidate]
) -> list[Resource]:
    """One Encounter per candidate, numbered 1..N in order of arrival, all arrived by now."""
    start, span = _window(context.now)
    # Whole seconds, rounded down, so no arrival lies after `now`.
    start = start.replace(microsecond=0)
    arrivals = sorted(start + timedelta(seconds=int(rng.random() * span)) for _ in candidates)
    count = len(candidates)
    finished = rng.randint(min(2, count), max(min(2, count), count // 5))
    in_progress = min(rng.randint(1, 2), count - finished)
    waiting_from = finished + in_progress
    cancelled = (
        {rng.randrange(waiting_from, count)}
        if waiting_from < count - 1 and rng.random() < 0.5
        else set()
    )
    # A demo should show what the queue does with priorities: one emergency among the
    # patients still waiting (so "call next" visibly jumps the line), the rest mostly routine.
    emergency_at = rng.randrange(waiting_from, count) if waiting_from < count else None
    encounters: list[Resource] = []
    for index, (candidate, arrived) in enumerate(zip(candidates, arrivals, strict=True)):
        draw = rng.random()
        if index == emergency_at and index not in cancelled:
            priority = "EM"
        else:
            priority = "UR" if draw < 0.11 else "R"
        if index < finished:
            status = "finished"
        elif index < finished + in_progress:
            status = "in-progress"
        else:
            status = "cancelled" if index in cancelled else "arrived"
        period, history = _timeline(rng, status, arrived, context.now)
        encounter: Resource = {
            "resourceType": "Encounter",
            "id": new_id(rng),
            "meta": context.meta,
            "identifier": [{"system": QUEUE_NUMBER_SYSTEM, "value": str(index + 1)}],
            "status": status,
            "class": AMBULATORY,
            "priority": _PRIORITY[priority],
            "subject": candidate.ref,
            "period": period,
            "reasonCode": [{"text": _complaint(rng, candidate, priority)}],
            "serviceProvider": context.township,
        }
        if history:
            encounter["statusHistory"] = history
        if status in ("finished", "in-progress"):
            encounter["participant"] = [{"individual": rng.choice(context.doctors)}]
        encounters.append(encounter)
    return encounters
