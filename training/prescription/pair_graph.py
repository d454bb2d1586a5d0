"""The learned pair model as one hand-built ONNX graph, and its parity check against `predict`.

Public API:
    pair_graph(model, opset) -> onnx.ModelProto: drug_a, drug_b int64 [batch] -> p_interaction
        [batch], severity [batch, 3]; what `InteractionModel.to_onnx` returns.
    check_onnx_parity(model, path, n_batches, batch_size, atol) -> largest |ONNX - predict| over
        both outputs.

The graph is built node by node rather than traced from torch: everything that depends on the
drugs alone (their encodings, the class-pair prior's lookup tables) is precomputed into
initializers, so a pair costs two gathers, a small MLP and K^2 prior lookups.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from training.export import check_parity, save_and_open
from training.prescription.class_prior import PRIOR_FLOOR
from training.prescription.severity import SEVERITIES

if TYPE_CHECKING:
    from training.prescription.pair_net import InteractionModel


def pair_graph(model: InteractionModel, opset: int = 17) -> onnx.ModelProto:
    """One graph: drug_a, drug_b int64 [batch] -> p_interaction [batch], severity [batch, 3].

    The per-drug encodings (features + ID embeddings) and each drug's "has no ID embedding"
    flag are initializers, so inference needs neither RDKit nor the feature matrix; the
    per-group calibration is looked up from the pair's group inside the graph.
    """
    graph = helper.make_graph(
        _nodes(),
        "ddi_interaction",
        inputs=[
            helper.make_tensor_value_info("drug_a", TensorProto.INT64, ["batch"]),
            helper.make_tensor_value_info("drug_b", TensorProto.INT64, ["batch"]),
        ],
        outputs=[
            helper.make_tensor_value_info("p_interaction", TensorProto.FLOAT, ["batch"]),
            helper.make_tensor_value_info(
                "severity", TensorProto.FLOAT, ["batch", len(SEVERITIES)]
            ),
        ],
        initializer=[numpy_helper.from_array(v, k) for k, v in _initializers(model).items()],
    )
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    return onnx_model


def _array(tensor: torch.Tensor) -> np.ndarray:
    return np.asarray(tensor.detach().numpy(), dtype=np.float32)


def _initializers(model: InteractionModel) -> dict[str, np.ndarray]:
    """Everything the graph reads besides the two inputs: drug encodings, the trunk and head
    weights (transposed for MatMul), the per-group calibration and the prior's lookup tables."""
    net = model.net_
    prior = model.prior_
    n_classes = prior.severity_table_.shape[0]
    return {
        "drug_embedding": _array(model.drug_embedding_),
        "drug_unseen": (~model.seen_).astype(np.int64),
        "trunk_weight": _array(net.trunk.weight).T.copy(),
        "trunk_bias": _array(net.trunk.bias),
        "interaction_weight": _array(net.interaction.weight).T.copy(),
        "interaction_bias": _array(net.interaction.bias),
        "severity_weight": _array(net.severity.weight).T.copy(),
        "severity_bias": _array(net.severity.bias),
        "group_scale": model.interaction_scale_.astype(np.float32),
        "group_shift": model.interaction_shift_.astype(np.float32),
        "group_inverse_temperature": model.severity_inverse_temperature_.astype(np.float32).reshape(
            3, 1
        ),
        "group_prior_weight": model.severity_prior_weight_.astype(np.float32).reshape(3, 1),
        "prior_classes": prior.classes_,
        "prior_weights": prior.weights_,
        "prior_severity_table": prior.severity_table_.reshape(-1, len(SEVERITIES)),
        "prior_n_classes": np.array(n_classes, dtype=np.int64),
        "prior_floor": np.array(PRIOR_FLOOR, dtype=np.float32),
        "axis_1": np.array([1], dtype=np.int64),
        "axis_2": np.array([2], dtype=np.int64),
        "axis_3": np.array([3], dtype=np.int64),
        "axes_1_2": np.array([1, 2], dtype=np.int64),
        "squeeze_axis": np.array([1], dtype=np.int64),
    }


def _nodes() -> list[onnx.NodeProto]:
    """The graph's nodes, in execution order."""
    make = helper.make_node
    return [
        make("Gather", ["drug_embedding", "drug_a"], ["e_a"], axis=0),
        make("Gather", ["drug_embedding", "drug_b"], ["e_b"], axis=0),
        make("Add", ["e_a", "e_b"], ["e_sum"]),
        make("Mul", ["e_a", "e_b"], ["e_prod"]),
        make("Concat", ["e_sum", "e_prod"], ["z"], axis=1),
        make("MatMul", ["z", "trunk_weight"], ["trunk_mm"]),
        make("Add", ["trunk_mm", "trunk_bias"], ["trunk_pre"]),
        make("Relu", ["trunk_pre"], ["trunk"]),
        # Novelty group = number of drugs without an ID embedding (0, 1, 2).
        make("Gather", ["drug_unseen", "drug_a"], ["unseen_a"], axis=0),
        make("Gather", ["drug_unseen", "drug_b"], ["unseen_b"], axis=0),
        make("Add", ["unseen_a", "unseen_b"], ["group"]),
        make("MatMul", ["trunk", "interaction_weight"], ["interaction_mm"]),
        make("Add", ["interaction_mm", "interaction_bias"], ["interaction_2d"]),
        make("Squeeze", ["interaction_2d", "squeeze_axis"], ["interaction_logit"]),
        make("Gather", ["group_scale", "group"], ["scale"], axis=0),
        make("Gather", ["group_shift", "group"], ["shift"], axis=0),
        make("Mul", ["interaction_logit", "scale"], ["interaction_scaled"]),
        make("Add", ["interaction_scaled", "shift"], ["interaction_calibrated"]),
        make("Sigmoid", ["interaction_calibrated"], ["p_interaction"]),
        make("MatMul", ["trunk", "severity_weight"], ["severity_mm"]),
        make("Add", ["severity_mm", "severity_bias"], ["severity_logits"]),
        # The class-pair prior: sum_i,j w[a, i] w[b, j] table[class[a, i], class[b, j]],
        # over each drug's (padded) classes, so a pair costs K^2 lookups, not a matmul.
        make("Gather", ["prior_classes", "drug_a"], ["class_a"], axis=0),
        make("Gather", ["prior_classes", "drug_b"], ["class_b"], axis=0),
        make("Gather", ["prior_weights", "drug_a"], ["weight_a"], axis=0),
        make("Gather", ["prior_weights", "drug_b"], ["weight_b"], axis=0),
        make("Mul", ["class_a", "prior_n_classes"], ["row_a"]),
        make("Unsqueeze", ["row_a", "axis_2"], ["row_a_3d"]),
        make("Unsqueeze", ["class_b", "axis_1"], ["class_b_3d"]),
        make("Add", ["row_a_3d", "class_b_3d"], ["cell"]),
        make("Gather", ["prior_severity_table", "cell"], ["cell_severity"], axis=0),
        make("Unsqueeze", ["weight_a", "axis_2"], ["weight_a_3d"]),
        make("Unsqueeze", ["weight_b", "axis_1"], ["weight_b_3d"]),
        make("Mul", ["weight_a_3d", "weight_b_3d"], ["cell_weight"]),
        make("Unsqueeze", ["cell_weight", "axis_3"], ["cell_weight_4d"]),
        make("Mul", ["cell_severity", "cell_weight_4d"], ["prior_terms"]),
        make("ReduceSum", ["prior_terms", "axes_1_2"], ["prior"], keepdims=0),
        make("Max", ["prior", "prior_floor"], ["prior_floored"]),
        make("Log", ["prior_floored"], ["log_prior"]),
        make("Gather", ["group_inverse_temperature", "group"], ["inverse_t"], axis=0),
        make("Gather", ["group_prior_weight", "group"], ["prior_weight"], axis=0),
        make("Mul", ["severity_logits", "inverse_t"], ["severity_scaled"]),
        make("Mul", ["log_prior", "prior_weight"], ["prior_term"]),
        make("Add", ["severity_scaled", "prior_term"], ["severity_calibrated"]),
        make("Softmax", ["severity_calibrated"], ["severity"], axis=1),
    ]


def check_onnx_parity(
    model: InteractionModel,
    path: Path,
    n_batches: int = 3,
    batch_size: int = 64,
    atol: float = 1e-4,
    seed: int = 0,
) -> float:
    """Export, save to `path`, reopen and compare both outputs with `predict` on random pairs.

    Returns:
        The largest absolute difference over p_interaction and severity.

    Raises:
        training.export.ParityError: when a difference exceeds `atol`.
    """
    rng = np.random.default_rng(seed)
    n_drugs = len(model.names_)
    feeds = [
        {
            "drug_a": rng.integers(0, n_drugs, batch_size).astype(np.int64),
            "drug_b": rng.integers(0, n_drugs, batch_size).astype(np.int64),
        }
        for _ in range(n_batches)
    ]
    graph, _ = save_and_open(model.to_onnx(), path)

    def both(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        p, severity = model.predict(feeds["drug_a"], feeds["drug_b"])
        return {"p_interaction": p, "severity": severity}

    return check_parity(both, graph, feeds, atol)
