"""The one parity check compares every output of the graph, in one session run per batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper

from runtime.onnx import OnnxModel
from training.export import ParityError, check_parity, check_parity_by_output, save_and_open


def _graph(tmp_path: Path, nodes: list[tuple[str, str]]) -> OnnxModel:
    """x -> one output per (op, name): Identity gives x, Add gives 2x."""
    graph = helper.make_graph(
        [
            helper.make_node(op, ["x"] if op == "Identity" else ["x", "x"], [name])
            for op, name in nodes
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["n"]) for _, name in nodes],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx_model, _ = save_and_open(model, tmp_path / "g.onnx", threads=1)
    return onnx_model


FEEDS = [{"x": np.array([1.0, 2.0], np.float32)}, {"x": np.array([-3.0], np.float32)}]


def test_parity_compares_every_named_output(tmp_path: Path) -> None:
    model = _graph(tmp_path, [("Identity", "same"), ("Add", "double")])
    assert check_parity(lambda f: {"same": f["x"], "double": 2 * f["x"]}, model, FEEDS, 1e-6) == 0
    with pytest.raises(ParityError, match="double differs"):
        check_parity(lambda f: {"same": f["x"], "double": 3 * f["x"]}, model, FEEDS, 1e-6)
    with pytest.raises(ParityError, match="no output"):
        check_parity(
            lambda f: {"same": f["x"], "double": 2 * f["x"], "triple": 3 * f["x"]},
            model,
            FEEDS,
            1e-6,
        )
    with pytest.raises(ParityError, match="shape"):
        check_parity(lambda f: {"same": f["x"][:1], "double": 2 * f["x"]}, model, FEEDS, 1e-6)


def test_parity_refuses_a_reference_that_leaves_an_output_out(tmp_path: Path) -> None:
    """The graph's second output is 2x; a reference that names only the first (or gives a bare
    array, the first output) would pass whatever the second computes, so it fails instead."""
    model = _graph(tmp_path, [("Identity", "same"), ("Add", "double")])
    with pytest.raises(ParityError, match=r"gives no \['double'\]"):
        check_parity(lambda f: {"same": f["x"]}, model, FEEDS, 1e-6)
    with pytest.raises(ParityError, match=r"gives no \['double'\]"):
        check_parity(lambda f: f["x"], model, FEEDS, 1e-6)


def test_parity_bare_array_is_the_one_output(tmp_path: Path) -> None:
    model = _graph(tmp_path, [("Add", "double")])
    assert check_parity(lambda f: 2 * f["x"], model, FEEDS, 1e-6) == 0
    with pytest.raises(ParityError, match="double differs"):
        check_parity(lambda f: f["x"], model, FEEDS, 1e-6)


def test_parity_reports_each_outputs_largest_difference(tmp_path: Path) -> None:
    model = _graph(tmp_path, [("Identity", "same"), ("Add", "double")])
    # off by 1e-3 on `same` in the first batch, by 2e-3 on `double` in the second
    shift = {2: (1e-3, 0.0), 1: (0.0, 2e-3)}

    def reference(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        off_same, off_double = shift[len(feeds["x"])]
        return {"same": feeds["x"] + off_same, "double": 2 * feeds["x"] + off_double}

    by_output = check_parity_by_output(reference, model, FEEDS, atol=1e-2)
    assert by_output.keys() == {"same", "double"}
    assert by_output["same"] == pytest.approx(1e-3, rel=1e-3)
    assert by_output["double"] == pytest.approx(2e-3, rel=1e-3)
    assert check_parity(reference, model, FEEDS, atol=1e-2) == max(by_output.values())


def test_parity_skips_masked_reference_entries(tmp_path: Path) -> None:
    """A masked entry is one the original model leaves undefined: not compared; the rest is."""
    model = _graph(tmp_path, [("Identity", "same"), ("Add", "double")])
    feeds = [{"x": np.array([1.0, 2.0], np.float32)}]

    def reference(wrong_at: int, masked: list[bool]):  # type: ignore[no-untyped-def]
        def run(f: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            double = 2 * f["x"]
            double[wrong_at] += 1.0
            return {"same": f["x"], "double": np.ma.masked_array(double, masked)}

        return run

    assert check_parity(reference(0, [True, False]), model, feeds, 1e-6) == 0
    with pytest.raises(ParityError, match="double differs"):
        check_parity(reference(1, [True, False]), model, feeds, 1e-6)
