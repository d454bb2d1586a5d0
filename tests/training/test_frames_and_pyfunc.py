"""The frame scorer and the MLflow pyfunc on the real (tiny) bundles of all three tasks: the same
answers as the batch CLIs, bad rows as error rows, and the pyfunc usable the ways MLflow users
use it (load_model().predict(DataFrame), a signature, an input example, `mlflow models serve`)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from runtime.frames import FrameScorer, output_columns, row_to_cli_json
from tests.batch_cli import CLI, demo_records, run_cli

# Rows a table can hold that the strict schemas refuse, one kind per task.
BAD_ROWS = {
    "triage": [{"id": "bad-1", "text": "   "}, {"id": None, "text": "头痛"}],
    "prescription": [{"id": "bad-1", "drugs": "[oops"}, {"id": "bad-2", "drugs": []}],
    "recommend": [{"id": "bad-1", "cart": ["SKU-0034"], "k": 0}, {"id": "bad-2"}],
}


@pytest.fixture(scope="module")
def bundles(
    triage_bundle: Path, prescription_bundle: Path, recommend_bundle: Path
) -> dict[str, Path]:
    return {
        "triage": triage_bundle,
        "prescription": prescription_bundle,
        "recommend": recommend_bundle,
    }


def _records(task: str) -> list[dict[str, Any]]:
    return demo_records(task)


@pytest.mark.parametrize("task", sorted(CLI))
def test_frame_scorer_answers_as_the_cli_does_and_turns_bad_rows_into_errors(
    task: str, bundles: dict[str, Path], tmp_path: Path
) -> None:
    good = [r for r in _records(task) if r["id"] not in {"rx-009", "rx-010"}]
    expected = run_cli(task, bundles[task], good, tmp_path)
    frame = pd.DataFrame(good + BAD_ROWS[task])
    scored = FrameScorer.for_worker(task, bundles[task]).score_pandas(frame)
    assert len(scored) == len(frame)
    rows = scored.to_dict("records")
    assert [row_to_cli_json(r, task) for r in rows[: len(good)]] == expected
    bad = rows[len(good) :]
    assert all(isinstance(r["error"], str) and r["error"] for r in bad)
    assert bad[0]["id"] == "bad-1"


@pytest.fixture(scope="module")
def registered(
    bundles: dict[str, Path],
    tracking_uri: str,
    triage_run: Any,
    prescription_run: Any,
    recommend_run: Any,
) -> str:
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    return tracking_uri


@pytest.mark.parametrize("task", sorted(CLI))
def test_pyfunc_predicts_a_dataframe_with_signature_and_input_example(
    task: str, registered: str, bundles: dict[str, Path]
) -> None:
    import mlflow

    uri = f"models:/{task}@candidate"
    model = mlflow.pyfunc.load_model(uri)
    signature = model.metadata.signature
    assert signature is not None and "id" in signature.inputs.input_names()
    assert signature.outputs.input_names() == [c.name for c in output_columns(task)]
    assert mlflow.models.get_model_info(uri).saved_input_example_info is not None
    frame = pd.DataFrame(_records(task)[:3] + BAD_ROWS[task])
    # an int column with a null is float64 by the time it reaches a pyfunc (Spark, Parquet)
    if "age" in frame:
        frame["age"] = frame["age"].astype("float64")
    answers = model.predict(frame)
    assert isinstance(answers, pd.DataFrame) and len(answers) == len(frame)
    direct = FrameScorer.for_worker(task, bundles[task]).score_pandas(frame)
    assert answers.to_dict("records") == direct.to_dict("records")
    assert answers["error"].iloc[-1] and answers["error"].iloc[0] is None


def _refuse(token: str) -> None:
    raise AssertionError(f"the server wrote {token}, which is not JSON")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("task", sorted(CLI))
def test_pyfunc_serves_with_mlflow_models_serve(task: str, registered: str) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": registered,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "models",
            "serve",
            "-m",
            f"models:/{task}@candidate",
            "--env-manager",
            "local",
            "--host",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import httpx

    try:
        records = _records(task)[:2] + BAD_ROWS[task][:1]
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "mlflow models serve exited"
            assert time.monotonic() < deadline, "mlflow models serve did not come up"
            time.sleep(0.5)
        reply = httpx.post(
            f"http://127.0.0.1:{port}/invocations",
            content=json.dumps({"dataframe_records": records}),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        predictions = json.loads(reply.text, parse_constant=_refuse)["predictions"]
        assert [p["id"] for p in predictions] == [r["id"] for r in records]
        assert predictions[0]["error"] is None and predictions[-1]["error"]
    finally:
        server.terminate()
        server.wait(timeout=30)
