"""The fetch pipeline: jobs on threads hand pages to the caller in order, bounded, stoppable."""

from __future__ import annotations

import threading

import pytest

from clinic_tui.sync.fetch_pipeline import Channel, FetchPipeline, JobEnded


def _pages(name: str, count: int) -> object:
    def job(channel: Channel) -> None:
        for number in range(count):
            channel.check()
            channel.put_page((name, number))
        channel.put((name, "summary"))

    return job


def test_every_page_arrives_in_order_per_job_then_the_job_ends() -> None:
    with FetchPipeline(streams=2, pages_ahead=1) as pipeline:
        pipeline.submit("a", _pages("a", 5))  # type: ignore[arg-type]
        pipeline.submit("b", _pages("b", 3))  # type: ignore[arg-type]
        events = list(pipeline.events())

    for name, count in (("a", 5), ("b", 3)):
        mine = [e for e in events if isinstance(e, tuple) and e[0] == name]
        assert mine == [*((name, n) for n in range(count)), (name, "summary")]
        ended = [e for e in events if isinstance(e, JobEnded) and e.name == name]
        assert ended == [JobEnded(name, None, stopped=False)]
        assert events.index(ended[0]) > events.index((name, "summary"))


def test_a_fetcher_waits_while_the_writer_has_pages_ahead() -> None:
    handed = 0
    blocked = threading.Event()

    def job(channel: Channel) -> None:
        nonlocal handed
        for number in range(10):
            channel.put_page(number)
            handed += 1
        blocked.set()

    with FetchPipeline(streams=1, pages_ahead=2) as pipeline:
        pipeline.submit("slow writer", job)
        events = pipeline.events()
        first = next(events)
        # The writer holds one page and two wait: the fetcher cannot be further ahead.
        assert not blocked.wait(0.3)
        assert first == 0
        assert handed <= 3
        rest = list(events)
    assert [e for e in rest if isinstance(e, int)] == list(range(1, 10))


def test_an_error_in_a_job_reaches_the_owner_and_other_jobs_finish() -> None:
    def broken(channel: Channel) -> None:
        channel.put_page("before")
        raise ValueError("server sent nonsense")

    with FetchPipeline(streams=2) as pipeline:
        pipeline.submit("broken", broken)
        pipeline.submit("fine", _pages("fine", 2))  # type: ignore[arg-type]
        events = list(pipeline.events())

    ended = {e.name: e for e in events if isinstance(e, JobEnded)}
    assert isinstance(ended["broken"].error, ValueError)
    assert ended["fine"].error is None
    assert "before" in events


def test_stop_makes_blocked_fetchers_leave_and_the_block_joins_them() -> None:
    started = threading.Event()

    def endless(channel: Channel) -> None:
        started.set()
        while True:
            channel.put_page("page")

    def cancel_at_first_page() -> None:
        with FetchPipeline(streams=1) as pipeline:
            pipeline.submit("endless", endless)
            for _event in pipeline.events():
                assert started.is_set()
                raise RuntimeError("cancel")

    with pytest.raises(RuntimeError, match="cancel"):
        cancel_at_first_page()
    # Leaving the block stopped and joined the fetcher: no thread of the pipeline is left.
    assert not [t for t in threading.enumerate() if t.name.startswith("fhir-fetch")]
