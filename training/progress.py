"""Progress for long training loops, on a terminal and in logs.

tqdm draws a bar on a terminal and stays silent elsewhere, so the log of a scheduled or piped
run showed nothing for the minutes a transformer trains: a reader could not tell progress from a
hang. `progress` keeps the bar on a terminal and, everywhere else, writes a log line at least
every `every_s` seconds while the loop runs (done/total, elapsed, estimate of the time left, the
latest postfix such as the loss) and one when a loop that long ends; shorter loops log their
start and end at DEBUG only.

Loss curves: while an MLflow run is active (and only if mlflow is already imported, so this module
stays cheap), each numeric postfix value (a number or a numeric string such as "0.123") is also
logged as the run's metric `<slug of the description>.<key>` (`sasrec epoch 3` with `loss` gives
`sasrec_epoch.loss`: numbers in the description are dropped, so the epochs of one model make one
curve) with the step counted across the loops of that run with the same slug. At most one log
call per `METRIC_EVERY_S` seconds, plus one for the last step when the loop ends, so a fast loop
does not flood the store. A failure to log is a warning, never a failed training run.
"""

from __future__ import annotations

import logging
import math
import numbers
import re
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar

from tqdm.auto import tqdm

from training.tracking import metric_key

log = logging.getLogger("training.progress")

T = TypeVar("T")

LOG_EVERY_S = 30.0
METRIC_EVERY_S = 0.5
_NUMBER_IN_TEXT = re.compile(r"(?<![\w.])\d+(?:[./]\d+)*(?![\w.])")
_NOT_KEY = re.compile(r"[^a-z0-9]+")
# steps already logged per (run id, slug): the epochs of one model continue one curve
_METRIC_STEPS: dict[tuple[str, str], int] = {}


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
        self._run: Any = None  # (mlflow module, run id, slug, step offset) while a run is active
        self._fresh = False  # postfix set since the last metric log
        self._metric_at: float | None = None

    def set_postfix(self, **values: Any) -> None:
        self.postfix = values
        self._fresh = True
        if self._bar is not None:
            self._bar.set_postfix(**values)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __iter__(self) -> Iterator[T]:
        self._run = _active_run(self.description)
        try:
            yield from self._iterate()
        finally:
            self._log_metrics(None, final=True)
            if self._run is not None:
                _, run_id, slug, offset = self._run
                _METRIC_STEPS[(run_id, slug)] = offset + self.done

    def _iterate(self) -> Iterator[T]:
        if self.terminal:
            self._bar = tqdm(self.iterable, desc=self.description, total=self.total, leave=False)
            for item in self._bar:
                self.done += 1
                yield item
                self._log_metrics(None)
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
            self._log_metrics(now)
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

    def _log_metrics(self, now: float | None, final: bool = False) -> None:
        """Log the numeric postfix of step `done` to the active MLflow run, throttled."""
        if self._run is None or not self._fresh or self.done == 0:
            return
        values = _numeric(self.postfix)
        if not values:
            self._fresh = False
            return
        if not final:
            now = self.clock() if now is None else now
            if self._metric_at is not None and now - self._metric_at < METRIC_EVERY_S:
                return
            self._metric_at = now
        self._fresh = False
        mlflow, run_id, slug, offset = self._run
        metrics = {metric_key(f"{slug}.{key}"): v for key, v in values.items()}
        try:
            mlflow.log_metrics(metrics, step=offset + self.done, run_id=run_id)
        except Exception as exc:  # a full disk or a gone server must not stop training
            log.warning("%s: could not log metrics to MLflow (%s)", self.description, exc)
            self._run = None

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


def metric_slug(description: str) -> str:
    """`sasrec epoch 3` -> `sasrec_epoch`: lower case, numbers dropped, runs of other
    characters one underscore."""
    text = _NUMBER_IN_TEXT.sub(" ", description.lower())
    return _NOT_KEY.sub("_", text).strip("_") or "progress"


def _active_run(description: str) -> Any:
    mlflow = sys.modules.get("mlflow")  # never import it here: the module stays cheap
    if mlflow is None:
        return None
    try:
        run = mlflow.active_run()
    except Exception:  # a half-imported or stubbed mlflow
        return None
    if run is None:
        return None
    slug = metric_slug(description)
    run_id = run.info.run_id
    return (mlflow, run_id, slug, _METRIC_STEPS.get((run_id, slug), 0))


def _numeric(values: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in values.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, numbers.Real):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                continue
        else:
            continue
        if not math.isinf(number):
            out[key] = number
    return out


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
