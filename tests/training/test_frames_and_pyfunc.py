"""The frame scorer and the MLflow pyfunc on the real (tiny) bundles of all three tasks: the same
answers as the batch CLIs, bad rows as error rows, and the pyfunc usable the ways MLflow users
use it (load_model().predict(DataFrame), a signature, an input example, `mlflow models serve`
with every input format its scoring server reads)."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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
    # no input schema, so the scoring server reads every format (see pyfunc_signature)
    assert signature is not None and signature.inputs is None
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
    # with no input schema MLflow passes other shapes through as they are: records, columns
    records = frame.to_dict("records")
    assert model.predict(records).to_dict("records") == direct.to_dict("records")
    columns = frame.to_dict("list")
    assert model.predict(columns).to_dict("records") == direct.to_dict("records")


def _refuse(token: str) -> None:
    raise AssertionError(f"the server wrote {token}, which is not JSON")


# -- every input format of MLflow's scoring server --------------------------------------------


def _served_records(task: str) -> list[dict[str, Any]]:
    """Requests with nested values of different lengths and optional fields left out, then the
    task's bad rows."""
    return _records(task)[:6] + BAD_ROWS[task]


def _text(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def _payloads(records: list[dict[str, Any]]) -> dict[str, tuple[str, bytes]]:
    """The same requests in each format (content type, body). The formats MLflow packs into
    numpy columns (`instances`, columnar `inputs`) and tables of text cells (CSV, a Parquet
    STRING column) carry the nested fields as JSON text: numpy cannot hold lists of different
    lengths in one column, and MLflow rejects such a request before the model sees it."""
    names = list(dict.fromkeys(name for record in records for name in record))
    table = [{name: record.get(name) for name in names} for record in records]
    text = [{name: _text(value) for name, value in row.items()} for row in table]
    columns = {name: [row[name] for row in text] for name in names}
    parquet = io.BytesIO()
    pd.DataFrame(text).to_parquet(parquet)

    def body(payload: dict[str, Any]) -> tuple[str, bytes]:
        return "application/json", json.dumps(payload, ensure_ascii=False).encode()

    return {
        "dataframe_records": body({"dataframe_records": records}),
        "dataframe_split": body(
            {"dataframe_split": {"columns": names, "data": [list(row.values()) for row in table]}}
        ),
        # the model declares no params: MLflow drops them with a warning, the request still answers
        "params": body({"dataframe_records": records, "params": {"note": "ignored"}}),
        "inputs_records": body({"inputs": records}),
        "inputs_columns": body({"inputs": columns}),
        "instances_records": body({"instances": text}),
        "instances_columns": body({"instances": columns}),
        "csv_json_text": ("text/csv", pd.DataFrame(text).to_csv(index=False).encode()),
        # what `DataFrame.to_csv()` writes for a list or dict cell: a Python literal
        "csv_to_csv": ("text/csv", pd.DataFrame(table).to_csv(index=False).encode()),
        "parquet": ("application/vnd.apache.parquet", parquet.getvalue()),
    }


FORMATS = list(_payloads([{"id": "x"}]))


def _check_predictions(
    text: str, records: list[dict[str, Any]], expected: list[dict[str, Any]]
) -> None:
    """The server's JSON: one prediction per request in order, the same as the frame scorer's
    (`expected`), the good rows without an error and the bad ones (the last two) with one."""
    predictions = json.loads(text, parse_constant=_refuse)["predictions"]
    assert [p["id"] for p in predictions] == [r["id"] for r in records]
    assert predictions == expected
    errors = [p["error"] for p in predictions]
    good, bad = errors[: len(records) - 2], errors[len(records) - 2 :]
    assert all(e is None for e in good) and all(isinstance(e, str) and e for e in bad), errors


@pytest.fixture(scope="module")
def reference(bundles: dict[str, Path]) -> dict[str, list[dict[str, Any]]]:
    """Each task's answers straight from the frame scorer, through JSON as the server writes
    them: what every format must give."""
    return {task: _scored(task, bundles[task], _served_records(task)) for task in sorted(CLI)}


@pytest.fixture(scope="module")
def first_reference(bundles: dict[str, Path]) -> dict[str, list[dict[str, Any]]]:
    """Each task's answer to its first request scored alone. The sentence encoder's float32
    products depend on the batch (up to ~2e-7 between a batch of 8 and a batch of 1), which can
    move a probability's sixth decimal, so a one-row request is compared with a one-row frame."""
    return {task: _scored(task, bundles[task], _served_records(task)[:1]) for task in sorted(CLI)}


def _scored(task: str, bundle: Path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scored = FrameScorer.for_worker(task, bundle).score_pandas(pd.DataFrame(records))
    return json.loads(json.dumps(scored.to_dict("records"), ensure_ascii=False))


@pytest.mark.parametrize("task", sorted(CLI))
def test_pyfunc_answers_every_scoring_server_format_in_process(
    task: str,
    registered: str,
    reference: dict[str, list[dict[str, Any]]],
    first_reference: dict[str, list[dict[str, Any]]],
) -> None:
    """MLflow's own /invocations function (parsing, schema, predict, JSON), without HTTP."""
    import mlflow
    from mlflow.pyfunc.scoring_server import invocations

    model = mlflow.pyfunc.load_model(f"models:/{task}@candidate")
    records = _served_records(task)
    for name, (content_type, body) in _payloads(records).items():
        answer = invocations(body, content_type, model, model.metadata.get_input_schema())
        assert answer.status == 200, (name, answer.response)
        _check_predictions(answer.response, records, reference[task])
    # one request as a plain object is one row
    answer = invocations(json.dumps({"inputs": records[0]}), "application/json", model, None)
    assert answer.status == 200, answer.response
    predictions = json.loads(answer.response, parse_constant=_refuse)["predictions"]
    assert predictions == first_reference[task] and predictions[0]["error"] is None


def test_scoring_server_refuses_ragged_numpy_columns_before_the_model(registered: str) -> None:
    """The two limits of the tensor formats, which are MLflow's parser's (3.17), not the model's:
    it packs `instances` rows and columnar `inputs` into one numpy array per field, so a field
    holding lists of different lengths, or left out of some `instances` rows, fails the request
    (400) before `predict` runs. Should MLflow lift them, this fails and the README's list of
    limits can shrink."""
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.pyfunc.scoring_server import invocations

    model = mlflow.pyfunc.load_model("models:/prescription@candidate")
    records = _records("prescription")[:3]  # 1, 2 and 2 drugs
    names = list(dict.fromkeys(name for record in records for name in record))
    ragged = {name: [record.get(name) for record in records] for name in names}
    for payload in ({"inputs": ragged}, {"instances": records}):
        with pytest.raises(MlflowException) as refused:
            invocations(json.dumps(payload), "application/json", model, None)
        assert refused.value.get_http_status_code() == 400


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module", params=sorted(CLI))
def served(request: pytest.FixtureRequest, registered: str) -> Iterator[tuple[str, str]]:
    """One `mlflow models serve` per task, shared by every format posted to it."""
    import httpx

    task = request.param
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
    try:
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
        yield task, f"http://127.0.0.1:{port}/invocations"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_pyfunc_serves_with_mlflow_models_serve(
    fmt: str, served: tuple[str, str], reference: dict[str, list[dict[str, Any]]]
) -> None:
    import httpx

    task, url = served
    records = _served_records(task)
    content_type, body = _payloads(records)[fmt]
    reply = httpx.post(url, content=body, headers={"Content-Type": content_type}, timeout=30)
    assert reply.status_code == 200, reply.text
    _check_predictions(reply.text, records, reference[task])
