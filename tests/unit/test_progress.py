"""Long loops write progress lines to the log when not on a terminal (issue 15)."""

import logging

import pytest

from training.progress import Progress, heartbeat


class FakeClock:
    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_log_line_at_least_every_interval(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="training.progress")
    # each step takes 10 s of the fake clock: a line every third step, plus start and finish
    loop = Progress(range(12), "epochs", every_s=30.0, terminal=False, clock=FakeClock(10.0))
    for _ in loop:
        loop.set_postfix(loss="0.123")
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "epochs: started (12 steps)"
    assert lines[-1].startswith("epochs: finished 12 steps in")
    middle = lines[1:-1]
    assert len(middle) == 4
    assert middle[0].startswith("epochs: 3/12 (25%), 30 s elapsed, ~1.5 min left")
    assert middle[0].endswith("loss=0.123")


def test_unknown_total_and_terminal_mode(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="training.progress")
    quiet = Progress(range(3), "short", every_s=30.0, terminal=False, clock=FakeClock(1.0))
    assert list(quiet) == [0, 1, 2]
    assert not caplog.records  # shorter than one interval: nothing at INFO
    loop = Progress(iter(range(3)), "rounds", every_s=0.0, terminal=False, clock=FakeClock(1.0))
    assert list(loop) == [0, 1, 2]
    assert "rounds: 1 steps, 1 s elapsed" in [r.getMessage() for r in caplog.records]
    caplog.clear()
    assert list(Progress(range(3), "bar", terminal=True)) == [0, 1, 2]
    assert not [r for r in caplog.records if r.name == "training.progress"]


def test_heartbeat_logs_while_a_call_runs(caplog: pytest.LogCaptureFixture) -> None:
    import time

    caplog.set_level(logging.INFO, logger="training.progress")
    with heartbeat("solver", every_s=0.02):
        time.sleep(0.15)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "solver: started"
    assert any(line.startswith("solver: running,") for line in lines)
    assert lines[-1].startswith("solver: finished in")
