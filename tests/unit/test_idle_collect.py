"""The oldest GC generation is collected at the clinician's pauses, and given back on stop."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from clinic_tui.idle_collect import CHECK_SECONDS, FORCE_FACTOR, IdleCollector


class FakeClock:
    """Monotonic seconds moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    """CPython's thresholds as the test found them, put back afterwards whatever happens."""
    saved = gc.get_threshold()
    gc.collect()
    yield saved
    gc.set_threshold(*saved)


def _make_oldest_due(times: int) -> None:
    """Collect the middle generation `times` times: each counts towards the oldest one."""
    for _ in range(times):
        gc.collect(1)


def test_start_takes_the_oldest_generation_and_stop_gives_it_back(
    thresholds: tuple[int, int, int],
) -> None:
    collector = IdleCollector(FakeClock())
    collector.start()
    assert collector.active
    young, middle, oldest = gc.get_threshold()
    assert (young, middle) == thresholds[:2]
    assert oldest > 10**8  # CPython never reaches it: the oldest generation waits for us
    collector.stop()
    assert gc.get_threshold() == thresholds
    assert not collector.active


def test_a_second_collector_leaves_the_first_in_charge(thresholds: tuple[int, int, int]) -> None:
    first, second = IdleCollector(FakeClock()), IdleCollector(FakeClock())
    first.start()
    second.start()
    assert not second.active
    second.stop()
    assert gc.get_threshold()[2] > 10**8  # still deferred: the first app still runs
    first.stop()
    assert gc.get_threshold() == thresholds


def test_nothing_is_collected_before_the_oldest_generation_is_due(
    thresholds: tuple[int, int, int],
) -> None:
    clock = FakeClock()
    collector = IdleCollector(clock, quiet_seconds=1.0)
    collector.start()
    try:
        clock.now += 60  # a long pause, but nothing has piled up
        assert not collector.collect_if_idle()
        assert not collector.pauses_ms
    finally:
        collector.stop()


def test_a_due_collection_waits_for_a_pause_in_typing(thresholds: tuple[int, int, int]) -> None:
    clock = FakeClock()
    collector = IdleCollector(clock, quiet_seconds=1.0)
    collector.start()
    try:
        _make_oldest_due(thresholds[2])
        collector.touched()
        clock.now += 0.3  # the next key is on its way
        assert not collector.collect_if_idle()
        assert gc.get_count()[2] >= thresholds[2]
        clock.now += 1.0  # the clinician stops typing
        assert collector.collect_if_idle()
        assert gc.get_count()[2] == 0
        assert len(collector.pauses_ms) == 1
    finally:
        collector.stop()


def test_typing_without_a_pause_still_collects_once_far_overdue(
    thresholds: tuple[int, int, int],
) -> None:
    clock = FakeClock()
    collector = IdleCollector(clock, quiet_seconds=1.0)
    collector.start()
    try:
        _make_oldest_due(thresholds[2] * FORCE_FACTOR - 1)
        collector.touched()
        assert not collector.collect_if_idle()
        _make_oldest_due(1)
        collector.touched()
        assert collector.collect_if_idle()  # memory stays bounded
        assert gc.get_count()[2] == 0
    finally:
        collector.stop()


def test_garbage_cycles_are_freed_by_the_idle_collection(
    thresholds: tuple[int, int, int],
) -> None:
    class Node:
        partner: object = None

    clock = FakeClock()
    collector = IdleCollector(clock, quiet_seconds=1.0)
    collector.start()
    try:
        first, second = Node(), Node()
        first.partner, second.partner = second, first
        gc.collect(1)
        gc.collect(1)  # both now in the oldest generation, which CPython leaves to us
        alive = weakref.ref(first)
        del first, second
        _make_oldest_due(thresholds[2])
        assert alive() is not None  # young collections never reach the oldest generation
        clock.now += 5
        assert collector.collect_if_idle()
        assert alive() is None
    finally:
        collector.stop()


class FakeLoop:
    """Records call_later instead of waiting (no test sleeps)."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, object]] = []
        self.cancelled = 0

    def call_later(self, delay: float, callback: object, *args: object) -> FakeLoop:
        self.calls.append((delay, lambda: callback(*args)))  # type: ignore[operator]
        return self

    def cancel(self) -> None:
        self.cancelled += 1


def test_a_started_collector_looks_on_the_loop_until_stopped(
    thresholds: tuple[int, int, int],
) -> None:
    clock, loop = FakeClock(), FakeLoop()
    collector = IdleCollector(clock, quiet_seconds=1.0)
    collector.start(loop)  # type: ignore[arg-type]
    try:
        assert [delay for delay, _ in loop.calls] == [CHECK_SECONDS]
        _make_oldest_due(thresholds[2])
        clock.now += 5
        loop.calls.pop()[1]()  # the check comes: a pause, and the collection is due
        assert gc.get_count()[2] == 0
        assert len(collector.pauses_ms) == 1
        assert len(loop.calls) == 1  # and it looks again later
    finally:
        collector.stop()
    assert loop.cancelled == 1
    loop.calls.pop()[1]()  # a check already on its way after stop() schedules nothing
    assert loop.calls == []
