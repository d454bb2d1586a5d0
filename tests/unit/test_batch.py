"""The JSON-lines batch runner: one answer per line, in order; bad lines become error lines."""

from __future__ import annotations

import argparse
import io
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from runtime.batch import batch_parser, run_batch_cli, run_jsonl
from runtime.errors import BundleError


class Echo(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str
    value: int


def _predict(requests: Sequence[Echo]) -> list[dict[str, Any]]:
    if any(r.value == 13 for r in requests):
        raise RuntimeError("unlucky")
    return [{"id": r.id, "double": r.value * 2} for r in requests]


def test_batch_bad_lines_are_reported_in_place_and_the_rest_goes_on(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b'{"id": "a", "value": 1}\n'
        b"not json\n"
        b'{"id": "b", "value": "2"}\n'
        b'{"id": "c", "value": 3, "extra": true}\n'
        b"\xff\xfe\n"
        b"[1, 2]\n"
        b"\n"
        b'{"id": "d", "value": 13}\n'
        b'{"id": "e", "value": 5}'
    )
    out = tmp_path / "out.jsonl"
    report = run_jsonl(source, out, Echo, _predict, batch_size=3)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 9 and report.lines == 9
    assert lines[0] == {"id": "a", "double": 2}
    assert lines[1]["id"] is None and "line 2: invalid JSON" in lines[1]["error"]
    assert lines[2]["id"] == "b" and "value" in lines[2]["error"]
    assert lines[3]["id"] == "c" and "extra: unknown field" in lines[3]["error"]
    assert "not valid UTF-8" in lines[4]["error"]
    assert "expected a JSON object" in lines[5]["error"]
    assert "empty line" in lines[6]["error"]
    # A failing prediction only costs its own line, not its batch neighbours.
    assert lines[7]["id"] == "d" and "unlucky" in lines[7]["error"]
    assert lines[8] == {"id": "e", "double": 10}
    assert (report.ok, report.errors) == (2, 7)


def test_batch_empty_input_gives_empty_output(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("")
    report = run_jsonl(source, tmp_path / "out.jsonl", Echo, _predict)
    assert report.lines == 0
    assert (tmp_path / "out.jsonl").read_text() == ""


def _args(*argv: str) -> argparse.Namespace:
    parser = batch_parser("echo", "run", "echo", input_help="{}", output_help="{}")
    return parser.parse_args(["run", "--bundle", "b", *argv])


def _loader() -> Callable[[Sequence[Echo]], list[dict[str, Any]]]:
    return _predict


def test_batch_cli_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()  # run_batch_cli configures logging; undo it after the test
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text('{"id": "a", "value": 1}\n')
    assert run_batch_cli(_args("--input", str(source), "--output", str(out)), Echo, _loader) == 0
    assert json.loads(capsys.readouterr().err.splitlines()[-1]) == {
        "lines": 1,
        "ok": 1,
        "errors": 0,
    }
    source.write_text('{"id": "a", "value": 1}\nnot json\n')
    assert run_batch_cli(_args("--input", str(source), "--output", str(out)), Echo, _loader) == 1

    def broken() -> Callable[[Sequence[Echo]], list[dict[str, Any]]]:
        raise BundleError("b is not a bundle: no manifest.json")

    capsys.readouterr()
    assert run_batch_cli(_args("--input", str(source), "--output", str(out)), Echo, broken) == 2
    assert capsys.readouterr().err == "error: b is not a bundle: no manifest.json\n"
    # Paths are checked before the bundle loads: a missing input is 3, not the bundle's 2.
    missing = _args("--input", str(tmp_path / "nope"), "--output", str(out))
    assert run_batch_cli(missing, Echo, broken) == 3
    assert "does not exist" in capsys.readouterr().err
    # An empty stdin is only known after loading: still a bad input, 3.
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert run_batch_cli(_args("--input", "-", "--output", str(out)), Echo, _loader) == 3
    assert capsys.readouterr().err.splitlines()[-1].startswith("error: input - is empty")
