"""Progress for long training loops, on a terminal and in logs.

tqdm draws a bar on a terminal and stays silent elsewhere, so the log of a scheduled or piped
run showed nothing for the minutes a transformer trains: a reader could not tell progress from a
hang. `progress` keeps the bar on a terminal and, everywhere else, writes a log line at least
every `every_s` seconds while the loop runs (done/total, elapsed, estimate of the time left, the
latest postfix such as the loss) and one when a loop that long ends; shorter loops log their
start and end at DEBUG only.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar

from tqdm.auto import tqdm

log = logging.getLogger("training.progress")

T = TypeVar("T")

LOG_EVERY_S = 30.0


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class Progress(Generic[T]):
    """Iterate `iterable`; a bar on a terminal, log lines elsewhere (see the module docstring)."""

    def __init__(
        self,
        iterable: Iterable[T],
        description: str,
        total: int | None = None,
        every_s: float = LOG_EVERY_S,
        terminal: bool | None = None,
        clock: Any = time.monotonic,
    ) -> None:
        self.iterable = iterable
        self.description = description
        self.total = total if total is not None else _length(iterable)
        self.every_s = every_s
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.clock = clock
        self.done = 0
        self.postfix: dict[str, Any] = {}
        self._bar: Any = None

    def set_postfix(self, **values: Any) -> None:
        self.postfix = values
        if self._bar is not None:
            self._bar.set_postfix(**values)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __iter__(self) -> Iterator[T]:
        if self.terminal:
            self._bar = tqdm(self.iterable, desc=self.description, total=self.total, leave=False)
            for item in self._bar:
                self.done += 1
                yield item
            return
        start = self.clock()
        last = start
        # a loop shorter than one interval stays quiet at INFO: epochs of a few seconds would
        # otherwise bury the lines of the loops that take minutes
        log.debug("%s: started (%s steps)", self.description, self.total if self.total else "?")
        for item in self.iterable:
            yield item
            self.done += 1
            now = self.clock()
            if now - last >= self.every_s:
                last = now
                log.info("%s", self.line(now - start))
        took = self.clock() - start
        log.log(
            logging.INFO if took >= self.every_s else logging.DEBUG,
            "%s: finished %d steps in %s%s",
            self.description,
            self.done,
            _duration(took),
            self._postfix_text(),
        )

    def line(self, elapsed: float) -> str:
        """One progress line: done/total, elapsed, time left at the rate so far, postfix."""
        if self.total:
            left = elapsed / max(self.done, 1) * (self.total - self.done)
            head = (
                f"{self.description}: {self.done}/{self.total} "
                f"({100 * self.done / self.total:.0f}%), {_duration(elapsed)} elapsed, "
                f"~{_duration(left)} left"
            )
        else:
            head = f"{self.description}: {self.done} steps, {_duration(elapsed)} elapsed"
        return head + self._postfix_text()

    def _postfix_text(self) -> str:
        if not self.postfix:
            return ""
        return ", " + ", ".join(f"{key}={value}" for key, value in self.postfix.items())


def _length(iterable: Iterable[Any]) -> int | None:
    try:
        return len(iterable)  # type: ignore[arg-type]
    except TypeError:
        return None


def progress(iterable: Iterable[T], description: str, total: int | None = None) -> Progress[T]:
    """The one progress wrapper every long training loop uses."""
    return Progress(iterable, description, total=total)


class heartbeat:
    """Log `description` every `every_s` seconds while a single long call runs (a solver's fit,
    a Spark job) that gives no loop to wrap; logs the start and the total time on exit."""

    def __init__(self, description: str, every_s: float = LOG_EVERY_S) -> None:
        self.description = description
        self.every_s = every_s
        self._stop: Any = None
        self._thread: Any = None
        self._start = 0.0

    def __enter__(self) -> heartbeat:
        import threading

        self._start = time.monotonic()
        self._stop = threading.Event()
        log.info("%s: started", self.description)

        def beat() -> None:
            while not self._stop.wait(self.every_s):
                log.info(
                    "%s: running, %s elapsed",
                    self.description,
                    _duration(time.monotonic() - self._start),
                )

        self._thread = threading.Thread(target=beat, name="progress-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        log.info("%s: finished in %s", self.description, _duration(time.monotonic() - self._start))
