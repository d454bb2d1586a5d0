"""Where prediction runs: one thread per worker, off the event loop, behind a bounded queue.

A prediction is a millisecond or two of CPU; run on the event loop, a large batch stalled every
other request of the worker, /healthz included, until the supervisor killed it. Run in a pool of
many threads, dozens of them took turns on the GIL and the p99 tripled. One prediction thread
per worker keeps the throughput of the first and leaves the loop free to answer health checks,
accept connections and refuse what is over capacity: when `max_pending` calls are already
waiting or running, the next one gets 503 with Retry-After, never a silent drop.

Each call's work is also bounded before it is queued (`check_work`): a list's length says
little when one prescription of 50 drugs is 1,225 pairs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from fastapi import HTTPException

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Overloaded(HTTPException):
    """503 with Retry-After: the worker's prediction queue is full."""

    def __init__(self, pending: int, retry_after_s: int) -> None:
        super().__init__(
            status_code=503,
            detail=f"over capacity: {pending} calls already queued in this worker; retry later",
            headers={"Retry-After": str(retry_after_s)},
        )


class PredictionGate:
    """Runs prediction calls one at a time in a dedicated thread, at most `max_pending` queued.

    Args:
        max_pending: calls waiting or running before new ones are refused.
        retry_after_s: the Retry-After a refused call is given.
    """

    def __init__(self, max_pending: int, retry_after_s: int = 1) -> None:
        self.max_pending = max_pending
        self.retry_after_s = retry_after_s
        self.pending = 0
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, work: Callable[[], T]) -> T:
        """Run `work` in the prediction thread; raises Overloaded when the queue is full."""
        if self.pending >= self.max_pending:
            raise Overloaded(self.pending, self.retry_after_s)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predict")
        self.pending += 1  # only the event loop's thread touches this counter
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work)
        finally:
            self.pending -= 1

    def shutdown(self) -> None:
        """Finish queued calls and stop the thread (at the end of the app's lifespan)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
