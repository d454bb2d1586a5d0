"""The deployable SASRec graph: the transformer's scores, then masking and top-k in one graph.

inputs   item_seq int64 [1, max_len] (left-padded with n_items), exclude int64 [e],
         k int64 [1]
outputs  scores float [k], items int64 [k] (best first)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, compose, helper, numpy_helper

from training.export import ParityError, save_and_open


def _tail(n_items: int, opset: int) -> onnx.ModelProto:
    """scores_in [1, n] -> mask `exclude` -> top k."""
    initializers = [
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat"),
        numpy_helper.from_array(np.array(-np.inf, dtype=np.float32), "minus_inf"),
    ]
    make = helper.make_node
    nodes = [
        make("Reshape", ["scores_in", "flat"], ["scores_flat"]),
        make("Shape", ["exclude"], ["exclude_shape"]),
        make("Expand", ["minus_inf", "exclude_shape"], ["exclude_values"]),
        make("ScatterElements", ["scores_flat", "exclude", "exclude_values"], ["masked"], axis=0),
        make("TopK", ["masked", "k"], ["scores", "items"], axis=0, largest=1, sorted=1),
    ]
    graph = helper.make_graph(
        nodes,
        "recommend_mask_topk",
        inputs=[
            helper.make_tensor_value_info("scores_in", TensorProto.FLOAT, [1, n_items]),
            helper.make_tensor_value_info("exclude", TensorProto.INT64, ["e"]),
            helper.make_tensor_value_info("k", TensorProto.INT64, [1]),
        ],
        outputs=[
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["k"]),
            helper.make_tensor_value_info("items", TensorProto.INT64, ["k"]),
        ],
        initializer=initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def sasrec_body(model: Any, opset: int = 17) -> onnx.ModelProto:
    """SASRec's `item_seq -> sasrec/scores` graph, its names prefixed so it composes with
    another graph (the input keeps its name)."""
    body = model.to_onnx(opset)
    body.ir_version = 8
    return compose.add_prefix(body, "sasrec/", rename_inputs=False, rename_outputs=True)


def sasrec_bundle_onnx(model: Any, opset: int = 17) -> onnx.ModelProto:
    """SASRec's `item_seq -> scores` graph composed with the masking and top-k tail."""
    body = sasrec_body(model, opset)
    tail = _tail(int(model.n_items_), opset)
    tail.ir_version = 8
    merged = compose.merge_models(body, tail, io_map=[("sasrec/scores", "scores_in")])
    onnx.checker.check_model(merged)
    return merged


def check_sasrec_bundle_parity(
    model: Any, path: Path, n_requests: int = 30, atol: float = 1e-4, seed: int = 0
) -> float:
    """Export to `path` and compare the top-k scores with the PyTorch model's masked scores.

    Raises:
        ParityError: a score differs by more than `atol`, or an excluded item is returned.
    """
    graph, _ = save_and_open(sasrec_bundle_onnx(model), path, threads=1)
    rng = np.random.default_rng(seed)
    n = int(model.n_items_)
    worst = 0.0
    for r in range(n_requests):
        history = rng.integers(0, n, int(rng.integers(0, model.max_len + 5)) if r else 0)
        exclude = np.unique(history).astype(np.int64)
        row = model.encode_sequence(history, np.zeros(0, np.int64))[None, :]
        k = min(10, n - len(exclude))
        scores, items = graph.run(
            {"item_seq": row, "exclude": exclude, "k": np.array([k], dtype=np.int64)}
        )
        expected = model.score_rows(row)[0].astype(np.float64)
        if set(items.tolist()) & set(exclude.tolist()):
            raise ParityError("the SASRec graph returned an excluded item")
        worst = max(worst, float(np.max(np.abs(expected[items] - scores), initial=0.0)))
    if worst > atol:
        raise ParityError(f"SASRec ONNX scores differ by {worst:.3g} > {atol:g}")
    return worst
