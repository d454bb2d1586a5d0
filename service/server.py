"""The HTTP server set-up that bounds slow and idle clients (uvicorn's h11 protocol, guarded).

uvicorn closes a keep-alive connection that goes quiet after a response, but nothing else: a
connection that never sends a request, sends half a request head, or half a body stays open for
ever, before any authentication, and 42,000 of them exhausted both workers' file descriptors.
`GuardedH11Protocol` adds the two deadlines a reverse proxy would (nginx's
client_header_timeout and client_body_timeout):

- the request head (request line and headers) must be complete within `header_timeout` of the
  connection opening (a random 75-100% of it, so a burst of idle sockets is not closed in one
  burst), or of the previous response on a kept-alive connection;
- the body must be complete within `body_timeout` of the head (20 s: a 1 MB body on a 1 Mbit/s
  link takes 8 s).

A connection past its deadline is closed (an app still reading the body sees a disconnect). The
deadline is checked by one timer per connection, re-armed at each phase, so an idle connection
costs nothing but its socket until then. `server_config` also sets uvicorn's own limits
(keep-alive timeout, concurrency limit, backlog) and lifts the process's open-file limit to its
hard limit, so a flood of sockets meets the deadlines before it meets EMFILE.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import logging
import os
import random
import resource
import time
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from service.settings import ServiceSettings

logger = logging.getLogger(__name__)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with request-head and body deadlines (seconds)."""

    def __init__(
        self, *args: Any, header_timeout: float = 10.0, body_timeout: float = 20.0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self._guard: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._guard = self.loop.call_later(seconds, self._deadline_passed)

    def _disarm(self) -> None:
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None

    def _deadline_passed(self) -> None:
        self._guard = None
        if self.transport.is_closing():
            return
        theirs = self.conn.their_state
        waiting_for_head = theirs is h11.IDLE and (
            self.cycle is None or self.cycle.response_complete
        )
        if waiting_for_head or theirs is h11.SEND_BODY:
            if self.cycle is not None and not self.cycle.response_complete:
                self.cycle.disconnected = True  # the app's receive() now answers a disconnect
                self.cycle.message_event.set()
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Spread over the last quarter of the deadline: thousands of sockets opened in one burst
        # would otherwise be closed in one burst, and reopened in one, every header_timeout.
        self._arm(self.header_timeout * random.uniform(0.75, 1.0))

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.conn.their_state
        super().handle_events()
        after = self.conn.their_state
        if after is h11.SEND_BODY and before is not h11.SEND_BODY:
            self._arm(self.body_timeout)  # the head is in: now the body has its deadline
        elif after is h11.DONE or after is h11.MUST_CLOSE or after is h11.CLOSED:
            self._disarm()  # the whole request is in: the server's turn

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm(self.header_timeout)  # the next request's head, on a kept-alive connection


class RateLimitedLog(logging.Filter):
    """At most `per_minute` records a minute from one logger (asyncio's accept errors under a
    socket flood wrote 152,899 tracebacks in 45 s); then one line saying how many were dropped."""

    def __init__(self, per_minute: int = 20) -> None:
        super().__init__()
        self.per_minute = per_minute
        self._window = 0.0
        self._count = 0
        self._dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self._window >= 60:
            if self._dropped:
                record.msg = f"[{self._dropped} similar records dropped] {record.msg}"
            self._window, self._count, self._dropped = now, 0, 0
        self._count += 1
        if self._count > self.per_minute:
            self._dropped += 1
            return False
        return True


def limit_noisy_logs() -> None:
    """Rate-limit asyncio's own log (once per process)."""
    log = logging.getLogger("asyncio")
    if not any(isinstance(f, RateLimitedLog) for f in log.filters):
        log.addFilter(RateLimitedLog())


def raise_open_file_limit() -> int:
    """Lift the soft open-file limit to the hard one; returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):  # a container may refuse; the deadlines still hold
            pass
    return soft


# glibc's mallopt parameter; its default is dynamic: 128 KiB, raised up to 32 MiB each time a
# block at least that large is freed
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 64 * 1024


def return_large_blocks_to_the_os(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Give every allocation of `threshold` bytes or more its own mapping, unmapped when freed.

    A request body passes through many 64-320 KB buffers (the socket reads, uvicorn's and h11's
    buffers, the body gathered in service/app.py). With glibc's dynamic threshold those come
    from the heap once one 1 MB body has been freed, and stay there when freed: 100 stalled
    900 KB bodies, all freed, left one worker 52 MB larger (malloc_trim gave it back); with a
    fixed 64 KiB threshold, 1.4 MB; with 300 KB, 16 MB (issue 12). The price: asyncio's 256 KiB
    socket read buffer is mapped too, about 9 more mmap/mremap/munmap calls and 50 page faults
    per request (CPU per request within the noise of 2 shared cores). Applies to this process
    (each worker calls it in create_app); an operator's MALLOC_MMAP_THRESHOLD_ is left alone.
    Returns whether it was set (False off glibc).
    """
    if os.environ.get("MALLOC_MMAP_THRESHOLD_"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, threshold))


def server_config(settings: ServiceSettings, app: Any, **extra: Any) -> uvicorn.Config:
    """uvicorn's Config for this service, with the guarded protocol and the limits."""
    limit_noisy_logs()
    protocol = functools.partial(
        GuardedH11Protocol,
        header_timeout=settings.header_timeout_s,
        body_timeout=settings.body_timeout_s,
    )
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=protocol,  # type: ignore[arg-type]
        timeout_keep_alive=int(settings.keep_alive_timeout_s),
        limit_concurrency=settings.limit_concurrency,
        backlog=settings.backlog,
        access_log=False,  # the app writes its own JSON access log
        **extra,
    )
