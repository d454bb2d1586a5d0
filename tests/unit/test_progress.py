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


def test_postfix_becomes_mlflow_loss_curve(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside an active MLflow run each step's numeric postfix is a metric with its step;
    numbers in the description are dropped so the epochs of one model make one curve."""
    import mlflow

    from training import progress as progress_module

    monkeypatch.setattr(progress_module, "_METRIC_STEPS", {})
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        experiment = mlflow.create_experiment("curves", artifact_location=tmp_path.as_uri())
        with mlflow.start_run(experiment_id=experiment) as run:
            losses = [0.9, 0.7, 0.5, 0.4, 0.35]
            loop = Progress(range(5), "model epoch 1", terminal=False, clock=FakeClock(1.0))
            for step in loop:
                loop.set_postfix(loss=f"{losses[step]:.3f}", note="warm-up", acc=0.5 + step / 10)
            # a fast loop (0.1 s a step) logs at most every 0.5 s, plus its last step
            fast = Progress(range(10), "model epoch 2", terminal=False, clock=FakeClock(0.1))
            for step in fast:
                fast.set_postfix(loss=str(0.3 - step / 100))
        client = mlflow.MlflowClient()
        history = sorted(
            (m.step, m.value)
            for m in client.get_metric_history(run.info.run_id, "model_epoch.loss")
        )
        accuracy = client.get_metric_history(run.info.run_id, "model_epoch.acc")
        keys = set(client.get_run(run.info.run_id).data.metrics)
    finally:
        mlflow.set_tracking_uri(previous)
    assert history[:5] == [(1, 0.9), (2, 0.7), (3, 0.5), (4, 0.4), (5, 0.35)]
    fast_steps = [step for step, _ in history[5:]]
    assert fast_steps[-1] == 15 and history[-1][1] == pytest.approx(0.21)
    assert 2 <= len(fast_steps) <= 4 and len(set(fast_steps)) == len(fast_steps)
    assert len(accuracy) == 5
    assert keys == {"model_epoch.loss", "model_epoch.acc"}  # "warm-up" is not a number


def test_no_mlflow_logging_without_an_active_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    calls: list[object] = []
    monkeypatch.setattr(mlflow, "log_metrics", lambda *a, **k: calls.append(a))
    assert mlflow.active_run() is None
    loop = Progress(range(3), "epochs", terminal=False, clock=FakeClock(1.0))
    for _ in loop:
        loop.set_postfix(loss="0.1")
    assert not calls
