"""The one parity check compares every output the reference names, in one session run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper

from training.export import ParityError, check_parity, save_and_open


def _two_outputs(tmp_path: Path):  # type: ignore[no-untyped-def]
    graph = helper.make_graph(
        [
            helper.make_node("Identity", ["x"], ["same"]),
            helper.make_node("Add", ["x", "x"], ["double"]),
        ],
        "two",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
        [
            helper.make_tensor_value_info("same", TensorProto.FLOAT, ["n"]),
            helper.make_tensor_value_info("double", TensorProto.FLOAT, ["n"]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx_model, _ = save_and_open(model, tmp_path / "two.onnx", threads=1)
    return onnx_model


def test_parity_compares_every_named_output(tmp_path: Path) -> None:
    model = _two_outputs(tmp_path)
    feeds = [{"x": np.array([1.0, 2.0], np.float32)}]
    assert check_parity(lambda f: {"same": f["x"], "double": 2 * f["x"]}, model, feeds, 1e-6) == 0
    # a bare array is the first output
    assert check_parity(lambda f: f["x"], model, feeds, 1e-6) == 0
    with pytest.raises(ParityError, match="double differs"):
        check_parity(lambda f: {"same": f["x"], "double": 3 * f["x"]}, model, feeds, 1e-6)
    with pytest.raises(ParityError, match="no output"):
        check_parity(lambda f: {"triple": 3 * f["x"]}, model, feeds, 1e-6)
    with pytest.raises(ParityError, match="shape"):
        check_parity(lambda f: {"same": f["x"][:1]}, model, feeds, 1e-6)
