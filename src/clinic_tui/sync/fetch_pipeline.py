"""Fetch on a few threads while the calling thread writes: the link never waits for SQLite.

On a thin link the wire, the server and the client's parsing and writing should all
work at once. Jobs (one per resource type) run on `streams` threads and hand their
pages to the calling thread through one queue; the calling thread writes them and
reports progress, so SQLite has a single writer and progress callbacks run where
they always did. At most `pages_ahead` pages wait in memory at once (a fetcher
blocks until the writer catches up), which bounds memory however big the clinic.

Stopping is cooperative: `stop()` makes every fetcher leave at its next request or
hand-over; leaving the `with` block stops and joins them, so no thread still uses the
HTTP client once the block is left.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType

_POLL_SECONDS = 0.1
"""How often a blocked fetcher looks at the stop flag."""


class Stopped(Exception):  # noqa: N818  (control flow, not an error)
    """The pipeline was stopped; the fetcher leaves quietly."""


@dataclass(frozen=True)
class JobEnded:
    """A job finished: `error` is what it raised (None when it ran to its end or was stopped)."""

    name: str
    error: BaseException | None
    stopped: bool


class Channel:
    """What a job uses to hand items over and to notice a stop."""

    def __init__(self, pipeline: FetchPipeline) -> None:
        self._pipeline = pipeline

    def check(self) -> None:
        """Raise Stopped when the pipeline is stopping (call before each request)."""
        if self._pipeline.stopping.is_set():
            raise Stopped

    def put_page(self, item: object) -> None:
        """Hand over a page; blocks while `pages_ahead` pages already wait for the writer."""
        while not self._pipeline.slots.acquire(timeout=_POLL_SECONDS):
            self.check()
        self.check()
        self._pipeline.items.put((item, True))

    def put(self, item: object) -> None:
        """Hand over a small item (a summary, not a page): never blocks."""
        self._pipeline.items.put((item, False))


Job = Callable[[Channel], None]


class FetchPipeline:
    """Runs fetch jobs on threads; the owner iterates `events()` and writes what comes."""

    def __init__(self, streams: int = 3, pages_ahead: int = 1) -> None:
        self.streams = max(1, streams)
        self.stopping = threading.Event()
        self.slots = threading.Semaphore(max(1, pages_ahead))
        self.items: queue.Queue[tuple[object, bool]] = queue.Queue()
        self._executor = ThreadPoolExecutor(self.streams, thread_name_prefix="fhir-fetch")
        self._running = 0

    def submit(self, name: str, job: Job) -> None:
        """Start `job` when a stream is free; its end is announced by a JobEnded event."""
        self._running += 1
        self._executor.submit(self._run, name, job)

    def _run(self, name: str, job: Job) -> None:
        channel = Channel(self)
        try:
            job(channel)
        except Stopped:
            channel.put(JobEnded(name, None, stopped=True))
        except BaseException as error:  # handed to the owner, who decides
            channel.put(JobEnded(name, error, stopped=False))
        else:
            channel.put(JobEnded(name, None, stopped=self.stopping.is_set()))

    def events(self) -> Iterator[object]:
        """Items in the order they were handed over, then each job's JobEnded; ends with them."""
        while self._running:
            item, is_page = self.items.get()
            if is_page:
                self.slots.release()
            if isinstance(item, JobEnded):
                self._running -= 1
            yield item

    def stop(self) -> None:
        """Ask every job to leave at its next request or hand-over."""
        self.stopping.set()

    def __enter__(self) -> FetchPipeline:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        self._executor.shutdown(wait=True, cancel_futures=True)
