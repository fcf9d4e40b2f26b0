"""The threads that make a polling round's platform calls (``polling.poll_batch``).

A process polls several batches at once (the flow's task threads); the calls of all of them
are made by one ``CallPool`` of ``size`` threads, so ``size`` calls are in flight, whatever the
number of batches. Each batch hands its calls in as jobs (run in the order given, its first call
ahead of the others waiting, since the batch's other calls wait for it) and gets the
answers back on its own queue; it stores them while the pool makes the next calls.

Why not fetch threads per batch sharing a semaphore (what this replaced): with four threads a
batch and eight batches, 32 threads queued for 8 slots, every call woke another thread, and a
slot stayed free while the woken one waited for the interpreter. Here a free thread takes the
next job itself.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from types import TracebackType

log = logging.getLogger(__name__)


class CallPool:
    """``size`` threads running jobs (callables that do not raise) in the order submitted
    (``first`` ones ahead).

    The threads start on first use, and again in a forked child (threads do not survive a
    fork). A pool used as a context manager ends its threads when the block ends; the
    process's shared pool (``tasks.tracking.call_pool``) lives as long as the process.
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._ready = threading.Condition(threading.Lock())
        self._pid = 0
        self._jobs: deque[Callable[[], None] | None] = deque()

    def submit(self, job: Callable[[], None], count: int = 1, *, first: bool = False) -> None:
        """Run ``job`` ``count`` times on the pool's threads. ``first``: ahead of the jobs
        waiting (a batch's first call, which its other calls wait for: behind a second of
        other batches' calls, the pool would run short of work once those are done)."""
        with self._ready:
            if self._pid != os.getpid():  # first use, or a fork: this process has no threads
                self._pid = os.getpid()
                self._jobs = deque()
                for _ in range(self.size):
                    threading.Thread(target=self._serve, name="poll-call", daemon=True).start()
            if first:
                self._jobs.extendleft([job] * count)
            else:
                self._jobs.extend([job] * count)
            self._ready.notify(count)

    def close(self) -> None:
        """End the threads once the jobs submitted so far have run."""
        with self._ready:
            if self._pid == os.getpid():
                self._jobs.extend([None] * self.size)
                self._ready.notify_all()
            self._pid = 0

    def __enter__(self) -> CallPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _serve(self) -> None:
        ready, jobs = self._ready, self._jobs
        while True:
            with ready:
                while not jobs:
                    ready.wait()
                job = jobs.popleft()
            if job is None:
                return
            try:
                job()
            except Exception:  # a bug in a job: the thread stays, for the other batches
                log.exception("a polling call job failed")
