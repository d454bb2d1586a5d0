"""ONNX export helpers shared by the pipelines: graph builders, the parity check, bundle versions.

A bundle is only written after `check_parity` shows the ONNX graph reproduces the original model
(torch, scikit-learn or numpy) within `atol` on held-out inputs.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from runtime.bundle import TensorSpec
from runtime.onnx import OnnxModel

logger = logging.getLogger(__name__)


class ParityError(RuntimeError):
    """The exported graph disagrees with the model it was exported from."""


def git_commit() -> str | None:
    """Short hash of HEAD (with '+dirty' when the tree has changes), or None outside git."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return sha + ("+dirty" if dirty else "")


def new_bundle_version() -> str:
    """A sortable version: UTC time plus the commit, e.g. 20261122-153012-3f9c2ab."""
    commit = (git_commit() or "nogit").replace("+dirty", "d")
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{commit}"


def utc_now() -> str:
    """Current UTC time in ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def bag_graph(
    first_weight: np.ndarray,
    first_bias: np.ndarray,
    head_weight: np.ndarray | None = None,
    head_bias: np.ndarray | None = None,
    *,
    name: str,
    opset: int = 17,
    dense_weight: np.ndarray | None = None,
    evidence: bool = False,
) -> onnx.ModelProto:
    """A weighted embedding-bag graph over sparse features: (ids, weights[, dense]) -> logits.

    pre = sum_l weights[b, l] * first_weight[ids[b, l]] (+ dense @ dense_weight) + first_bias,
    then logits = pre (a linear model: first_weight = coef.T) or ReLU(pre) @ head + head_bias.
    Padding positions carry weight 0 and so add nothing. ``dense`` [batch, dim] is a sentence
    embedding.

    With ``evidence`` (a model with a head) two more outputs split the logits exactly into their
    sources, for the doctor's page: ``position_logits`` [batch, positions, labels], what each
    n-gram position adds, and ``dense_logits`` [batch, labels], what the embedding adds. Through
    the ReLU each source keeps the share that passes the units active for that row, so
    sum(position_logits) + dense_logits + (ReLU'd bias part) + head_bias == logits.
    """
    initializers = [
        numpy_helper.from_array(first_weight.astype(np.float32), "first_weight"),
        numpy_helper.from_array(first_bias.astype(np.float32), "first_bias"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), "axis_feature"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis_position"),
    ]
    nodes = [
        helper.make_node("Gather", ["first_weight", "ids"], ["gathered"], axis=0),
        helper.make_node("Unsqueeze", ["weights", "axis_feature"], ["weights_3d"]),
        helper.make_node("Mul", ["gathered", "weights_3d"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "axis_position"], ["pooled"], keepdims=0),
    ]
    inputs = [
        helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "positions"]),
        helper.make_tensor_value_info("weights", TensorProto.FLOAT, ["batch", "positions"]),
    ]
    pooled = "pooled"
    if dense_weight is not None:
        initializers.append(
            numpy_helper.from_array(dense_weight.astype(np.float32), "dense_weight")
        )
        inputs.append(
            helper.make_tensor_value_info(
                "dense", TensorProto.FLOAT, ["batch", int(dense_weight.shape[0])]
            )
        )
        nodes += [
            helper.make_node("MatMul", ["dense", "dense_weight"], ["dense_part"]),
            helper.make_node("Add", ["pooled", "dense_part"], ["pooled_all"]),
        ]
        pooled = "pooled_all"
    outputs = ["logits"]
    if head_weight is None:
        if evidence:
            raise ValueError("evidence outputs need a model with a head")
        nodes.append(helper.make_node("Add", [pooled, "first_bias"], ["logits"]))
        n_out = first_weight.shape[1]
    else:
        assert head_bias is not None
        initializers += [
            numpy_helper.from_array(head_weight.astype(np.float32), "head_weight"),
            numpy_helper.from_array(head_bias.astype(np.float32), "head_bias"),
        ]
        nodes += [
            helper.make_node("Add", [pooled, "first_bias"], ["hidden_pre"]),
            helper.make_node("Relu", ["hidden_pre"], ["hidden"]),
            helper.make_node("MatMul", ["hidden", "head_weight"], ["head"]),
            helper.make_node("Add", ["head", "head_bias"], ["logits"]),
        ]
        n_out = head_weight.shape[1]
        if evidence:
            initializers.append(numpy_helper.from_array(np.array(0, dtype=np.float32), "zero"))
            nodes += [
                helper.make_node("Greater", ["hidden_pre", "zero"], ["active_bool"]),
                helper.make_node("Cast", ["active_bool"], ["active"], to=TensorProto.FLOAT),
                helper.make_node("Unsqueeze", ["active", "axis_position"], ["active_3d"]),
                helper.make_node("Mul", ["weighted", "active_3d"], ["weighted_active"]),
                helper.make_node("MatMul", ["weighted_active", "head_weight"], ["position_logits"]),
            ]
            outputs.append("position_logits")
            if dense_weight is not None:
                nodes += [
                    helper.make_node("Mul", ["dense_part", "active"], ["dense_active"]),
                    helper.make_node("MatMul", ["dense_active", "head_weight"], ["dense_logits"]),
                ]
                outputs.append("dense_logits")
    shapes = {
        "logits": ["batch", n_out],
        "position_logits": ["batch", "positions", n_out],
        "dense_logits": ["batch", n_out],
    }
    graph = helper.make_graph(
        nodes,
        name,
        inputs=inputs,
        outputs=[
            helper.make_tensor_value_info(out, TensorProto.FLOAT, shapes[out]) for out in outputs
        ],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


# The original model: feeds -> its outputs. An entry masked in a numpy.ma array is one the model
# leaves undefined, and is not compared (the triage MLPs' evidence at a ReLU's kink).
Reference = Callable[[dict[str, np.ndarray]], "np.ndarray | dict[str, np.ndarray]"]


def check_parity(
    reference: Reference,
    onnx_model: OnnxModel,
    feeds: list[dict[str, np.ndarray]],
    atol: float,
) -> float:
    """`check_parity_by_output`, summed up: the largest absolute difference over every output."""
    return max(check_parity_by_output(reference, onnx_model, feeds, atol).values(), default=0.0)


def check_parity_by_output(
    reference: Reference,
    onnx_model: OnnxModel,
    feeds: list[dict[str, np.ndarray]],
    atol: float,
) -> dict[str, float]:
    """Compare the original model's outputs with the ONNX graph's on the same inputs.

    Every output the graph has is compared, in one session run per batch: the reference names
    them in a dict (`{"p_interaction": ..., "severity": ...}`), or gives a bare array when the
    graph has one output. An output the reference leaves out is an error, not a pass: a bundle
    ships every output, and the predictor reads them (the triage evidence, for one).

    Args:
        reference: the original model: feeds -> its outputs.
        onnx_model: the exported graph.
        feeds: batches of graph inputs (e.g. 100 validation examples).
        atol: the largest allowed absolute difference.

    Returns:
        Output name -> the largest absolute difference seen on it.

    Raises:
        ParityError: a shape differs, the reference and the graph name different outputs, or a
            difference exceeds `atol` (the message names the output).
    """
    graph_outputs = list(onnx_model.output_names)
    worst: dict[str, float] = {}
    for batch in feeds:
        expected = reference(batch)
        named = expected if isinstance(expected, dict) else {graph_outputs[0]: expected}
        _check_names(set(named), graph_outputs)
        actual = dict(zip(named, onnx_model.run(batch, list(named)), strict=True))
        for name, want in named.items():
            want64 = np.asarray(want, dtype=np.float64)
            have = np.asarray(actual[name], dtype=np.float64)
            if want64.shape != have.shape:
                raise ParityError(f"ONNX {name} shape {have.shape} != original {want64.shape}")
            compared = ~np.ma.getmaskarray(want)
            gap = float(np.max(np.abs(want64 - have)[compared], initial=0.0))
            worst[name] = max(worst.get(name, 0.0), gap)
    for name, gap in worst.items():
        if gap > atol:
            raise ParityError(f"ONNX {name} differs from the original by {gap:.3g} > atol {atol:g}")
    logger.info(
        "parity ok (atol %g): max |onnx - original| %s",
        atol,
        ", ".join(f"{name} {gap:.3g}" for name, gap in sorted(worst.items())),
    )
    return worst


def _check_names(compared: set[str], graph_outputs: list[str]) -> None:
    missing = sorted(compared - set(graph_outputs))
    if missing:
        raise ParityError(f"the ONNX graph has no output {missing}")
    left_out = [name for name in graph_outputs if name not in compared]
    if left_out:
        raise ParityError(f"the original model gives no {left_out} to compare with the graph's")


def save_and_open(
    graph: onnx.ModelProto, path: Path, threads: int = 2
) -> tuple[OnnxModel, dict[str, Any]]:
    """Save a graph, then open it the way inference will; returns the model and its specs."""
    onnx.save(graph, str(path))
    specs = tensor_specs(path)
    model = OnnxModel(
        path,
        [TensorSpec(**s) for s in specs["inputs"]],
        [TensorSpec(**s) for s in specs["outputs"]],
        intra_op_threads=threads,
    )
    return model, specs


def tensor_specs(model_path: Path) -> dict[str, list[dict[str, Any]]]:
    """Input and output specs of an ONNX file, in the manifest's format."""
    model = onnx.load(str(model_path), load_external_data=False)
    names: dict[int, str] = {
        TensorProto.FLOAT: "float32",
        TensorProto.INT64: "int64",
        TensorProto.INT32: "int32",
    }

    def spec(value: onnx.ValueInfoProto) -> dict[str, Any]:
        dims = [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
        return {"name": value.name, "dtype": names[value.type.tensor_type.elem_type], "shape": dims}

    return {
        "inputs": [spec(v) for v in model.graph.input],
        "outputs": [spec(v) for v in model.graph.output],
    }
