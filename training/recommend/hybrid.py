"""The hybrid: the tuned item-graph blend plus SASRec's next-item scores, in one ONNX graph.

The two see different things: the graph, which items co-occur with the cart and the history;
SASRec, the order of the history. Their scores are on different scales, so SASRec's logits s
enter as exp((s - max s) / T), in (0, 1] with the best item at 1 (the blend's components are
scaled to a row maximum of about 1 as well):

    score = graph(cart, history) + w * exp((s - max s) / T)

w and T are chosen on the validation cases the blend was tuned on, with the graph fixed.

    inputs   item_seq int64 [1, max_len] (as SASRec's bundle graph) and the item graph's
             cart, cart_weight, history, history_weight, exclude, k
    outputs  scores, items, cart_contribution (as the item graph's)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, compose, helper, numpy_helper

from recommend.features import cart_items, cart_weights
from training.export import ParityError, save_and_open
from training.recommend.evaluate import Cases, rank_top_k, top_k_metric
from training.recommend.export import item_graph_onnx, reference_scores
from training.recommend.models import ItemGraph
from training.recommend.sasrec import SASRec
from training.recommend.sasrec_export import sasrec_body

logger = logging.getLogger(__name__)

WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
TEMPERATURES = (0.5, 1.0, 2.0, 4.0)


def sequential_unit(logits: np.ndarray, temperature: float) -> np.ndarray:
    """exp((s - row max) / T), float32, the form SASRec's scores take in the hybrid."""
    logits = np.asarray(logits, dtype=np.float32)
    return np.exp((logits - logits.max(axis=-1, keepdims=True)) / np.float32(temperature))


@dataclass
class Hybrid:
    """graph + weight * sequential_unit(sasrec, temperature) (see the module docstring)."""

    graph: ItemGraph
    sequential: SASRec
    weight: float
    temperature: float
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        """Number of items."""
        return self.graph.n_items

    def score_batch(
        self,
        carts: Sequence[np.ndarray],
        histories: Sequence[np.ndarray],
        ages: Sequence[np.ndarray] | None = None,
    ) -> np.ndarray:
        """Scores [B, n_items] float32, in the bundle graph's order: the sequential scores
        enter the item graph's base scores before the cart and history terms are added."""
        extra = None
        if self.weight:  # weight 0 adds exact zeros: the item graph's scores
            logits = self.sequential.score_batch(carts, histories)
            extra = np.float32(self.weight) * sequential_unit(logits, self.temperature)
        return self.graph.score_batch(carts, histories, ages, extra=extra)

    def settings(self) -> dict[str, float]:
        """The hybrid's own settings (for the manifest and the run log)."""
        return {"sequential_weight": self.weight, "temperature": self.temperature}


def tune_hybrid(
    graph: ItemGraph, sequential: SASRec, cases: Cases, metric: str
) -> tuple[float, float, list[dict[str, float]]]:
    """Grid search of (w, T) on `cases` with the graph fixed.

    Returns:
        (weight, temperature, every grid point with its metric).
    """
    base = graph.score_batch(cases.carts, cases.histories, cases.ages)
    logits = sequential.score_batch(cases.carts, cases.histories)
    excluded = cases.excluded()
    trace: list[dict[str, float]] = []
    best = (-1.0, 0.0, 1.0)
    for temperature in TEMPERATURES:
        unit = sequential_unit(logits, temperature)
        for weight in WEIGHTS:
            if weight == 0.0 and temperature != TEMPERATURES[0]:
                continue  # w = 0 is the graph alone whatever T
            top = rank_top_k(base + np.float32(weight) * unit, cases.carts, excluded)
            value = top_k_metric(top, cases.targets, metric)
            trace.append({"weight": weight, "temperature": temperature, metric: value})
            if value > best[0] + 1e-9:
                best = (value, weight, temperature)
    logger.info(
        "hybrid: %s %.4f at w=%g, T=%g (graph alone %.4f)",
        metric,
        best[0],
        best[1],
        best[2],
        trace[0][metric],
    )
    return best[1], best[2], trace


def hybrid_onnx(model: Hybrid, opset: int = 17) -> onnx.ModelProto:
    """SASRec's body -> unit scores -> added to the item graph's base, masked, top-k."""
    body = sasrec_body(model.sequential, opset)
    make = helper.make_node
    unit_graph = helper.make_graph(
        [
            make("Reshape", ["logits_in", "flat"], ["logits"]),
            make("ReduceMax", ["logits"], ["top_logit"], keepdims=1),
            make("Sub", ["logits", "top_logit"], ["centred"]),
            make("Div", ["centred", "temperature"], ["tempered"]),
            make("Exp", ["tempered"], ["unit"]),
            make("Mul", ["unit", "weight"], ["sequential_scores"]),
        ],
        "recommend_sequential_unit",
        inputs=[helper.make_tensor_value_info("logits_in", TensorProto.FLOAT, [1, model.n_items])],
        outputs=[
            helper.make_tensor_value_info("sequential_scores", TensorProto.FLOAT, [model.n_items])
        ],
        initializer=[
            numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat"),
            numpy_helper.from_array(np.array(model.temperature, dtype=np.float32), "temperature"),
            numpy_helper.from_array(np.array(model.weight, dtype=np.float32), "weight"),
        ],
    )
    unit = helper.make_model(unit_graph, opset_imports=[helper.make_opsetid("", opset)])
    unit.ir_version = 8
    unit = compose.add_prefix(unit, "unit/", rename_inputs=True, rename_outputs=True)
    sequential = compose.merge_models(body, unit, io_map=[("sasrec/scores", "unit/logits_in")])
    graph = item_graph_onnx(model.graph, opset, extra_scores=True)
    merged = compose.merge_models(
        sequential, graph, io_map=[("unit/sequential_scores", "extra_scores")]
    )
    onnx.checker.check_model(merged)
    return merged


def check_hybrid_parity(
    model: Hybrid, path: Path, n_requests: int = 30, atol: float = 1e-4, seed: int = 0
) -> float:
    """Export to `path` and compare the top-k scores with the reference (numpy graph + torch).

    Raises:
        ParityError: a score differs by more than `atol`, or an excluded item is returned.
    """
    session, _ = save_and_open(hybrid_onnx(model), path, threads=1)
    rng = np.random.default_rng(seed)
    n = model.n_items
    sasrec = model.sequential
    worst = 0.0
    for r in range(n_requests):
        cart = cart_items(rng.integers(0, n, int(rng.integers(0, min(20, n))) if r else 0))
        history = rng.integers(0, n, int(rng.integers(0, 30)) if r > 1 else 0).astype(np.int64)
        history_weight = rng.random(len(history)).astype(np.float32)
        k = min(10, n - len(cart))
        cart_weight = cart_weights(len(cart), model.graph.cart_size_power)
        weight = float(cart_weight[0]) if len(cart) else 1.0
        row = sasrec.encode_sequence(history, cart)[None, :]
        scores, items, _ = session.run(
            {
                "item_seq": row,
                "cart": cart,
                "cart_weight": cart_weight,
                "history": history,
                "history_weight": history_weight,
                "exclude": cart,
                "k": np.array([k], dtype=np.int64),
            }
        )
        expected = reference_scores(model.graph, cart, weight, history, history_weight)
        expected += model.weight * sequential_unit(sasrec.score_rows(row), model.temperature)[0]
        if set(items.tolist()) & set(cart.tolist()):
            raise ParityError("the hybrid graph returned an item of the cart")
        worst = max(worst, float(np.max(np.abs(expected[items] - scores), initial=0.0)))
    if worst > atol:
        raise ParityError(f"hybrid ONNX scores differ by {worst:.3g} > {atol:g}")
    return worst
