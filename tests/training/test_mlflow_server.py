"""The tracker against a real `mlflow server` (HTTP, proxied artifacts), as a team shares one:
a run with a loss curve, a registered version, tags, aliases, and a rollback through it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

MLFLOW_CLI = shutil.which("mlflow") or str(Path(sys.executable).with_name("mlflow"))

TINY_MODEL = """
import mlflow.pyfunc
from mlflow.models import set_model


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        return model_input


set_model(Echo())
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    if not Path(MLFLOW_CLI).is_file():
        pytest.skip("the mlflow CLI is not installed")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [
            MLFLOW_CLI,
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--backend-store-uri",
            f"sqlite:///{tmp_path / 'server.db'}",
            "--serve-artifacts",
            "--artifacts-destination",
            (tmp_path / "artifacts").as_uri(),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (tmp_path / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"mlflow server did not start:\n{tail}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_tracker_against_an_mlflow_server(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    from training import registry
    from training.progress import Progress
    from training.tracking import Tracker

    monkeypatch.delenv("HOSPITAL_SIGNING_KEY", raising=False)
    previous = mlflow.get_tracking_uri()
    try:
        tracker = Tracker(uri=server)
        model_file = tmp_path / "echo_model.py"
        model_file.write_text(TINY_MODEL, encoding="utf-8")
        versions: list[str] = []
        for attempt in range(2):
            with tracker.run("server-check", f"attempt {attempt}") as run_id:
                tracker.log_params({"model": {"hidden": 8}})
                loop = Progress(range(3), "tiny epoch 1", terminal=False)
                for step in loop:
                    loop.set_postfix(loss=f"{1.0 / (step + 1):.3f}")
                tracker.log_metrics({"val": {"accuracy": 0.5 + attempt / 10}})
                info: Any = mlflow.pyfunc.log_model(
                    name="model", python_model=str(model_file), pip_requirements=[]
                )
                versions.append(
                    tracker.register(str(info.model_uri), "tiny", "candidate", {"try": "x"})
                )
        history = tracker.client.get_metric_history(run_id, "tiny_epoch.loss")
        assert history and history[-1].step == 3
        assert tracker.client.get_run(run_id).data.metrics["val.accuracy"] == 0.6
        assert versions == ["1", "2"]
        assert tracker.alias_version("tiny", "candidate").version == "2"
        # the artifacts come back through the server's proxy
        folder = mlflow.artifacts.download_artifacts(
            artifact_uri="models:/tiny/2", dst_path=str(tmp_path / "down")
        )
        assert (Path(folder) / "MLmodel").is_file()
        # promotion tags and a rollback through the server (no bundle needed for these)
        monkeypatch.setattr(registry, "sign_version", lambda *args: False)
        tracker.set_alias("tiny", "champion", "1")
        forced = registry.promote(
            tracker, "triage", "tiny", None, force=True, reason="server check"
        )
        assert forced.promoted and tracker.alias_version("tiny", "champion").version == "2"
        assert tracker.model_version("tiny", "2").tags["promoted_from"] == "1"
        back = registry.rollback(tracker, "tiny", "previous", "server check rollback")
        assert back.promoted and tracker.alias_version("tiny", "champion").version == "1"
        assert tracker.model_version("tiny", "1").tags["promotion_kind"] == "rollback"
        assert tracker.model_version("tiny", "9") is None
    finally:
        mlflow.set_tracking_uri(previous)
