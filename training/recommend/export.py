"""ONNX export of the item graph, with in-cart masking and top-k inside the graph, and its parity
check against `ItemGraph.score_batch`.

    inputs   cart int64 [c], cart_weight float [c], history int64 [h], history_weight float [h],
             exclude int64 [e], k int64 [1]
    outputs  scores float [k], items int64 [k] (best first), cart_contribution float [c, k]
             (how much each cart item added to each returned item: the "bought with" reason)

Neighbour tables are fixed-width ([n, N] index + value, padded with weight 0), so one Gather per
input item and one ScatterElements(add) build the score vector; excluded items get -inf.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from scipy import sparse

from recommend.features import cart_items, cart_weights
from training.export import ParityError, save_and_open
from training.recommend.models import ItemGraph


def item_graph_onnx(
    graph: ItemGraph, opset: int = 17, extra_scores: bool = False
) -> onnx.ModelProto:
    """The scoring graph of an ItemGraph (see the module docstring).

    With `extra_scores`, the graph takes one more input, `extra_scores` float [n], added to every
    item's score before masking (the hybrid feeds SASRec's scores into it).
    """
    (cart_index, cart_value), (history_index, history_value) = graph.tables()
    repeat = np.full(graph.n_items, graph.repeat_weight, dtype=np.float32)
    initializers = {
        "cart_index": cart_index,
        "cart_value": cart_value,
        "history_index": history_index,
        "history_value": history_value,
        "repeat": repeat,
        "base": graph.base_scores(),
        "flat": np.array([-1], dtype=np.int64),
        "axis_1": np.array([1], dtype=np.int64),
        "axis_2": np.array([2], dtype=np.int64),
        "topk_row": np.array([1, 1, -1], dtype=np.int64),
        "minus_inf": np.array(-np.inf, dtype=np.float32),
        "zero": np.array(0.0, dtype=np.float32),
    }
    make = helper.make_node
    nodes = [
        # cart channel: neighbours of each cart item, weighted
        make("Gather", ["cart_index", "cart"], ["cart_nb"], axis=0),
        make("Gather", ["cart_value", "cart"], ["cart_nb_value"], axis=0),
        make("Unsqueeze", ["cart_weight", "axis_1"], ["cart_weight_2d"]),
        make("Mul", ["cart_nb_value", "cart_weight_2d"], ["cart_terms"]),
        make("Reshape", ["cart_nb", "flat"], ["cart_nb_flat"]),
        make("Reshape", ["cart_terms", "flat"], ["cart_terms_flat"]),
        make(
            "ScatterElements",
            ["base_plus_extra" if extra_scores else "base", "cart_nb_flat", "cart_terms_flat"],
            ["s_cart"],
            axis=0,
            reduction="add",
        ),
        # history channel: neighbours of each history item, decayed
        make("Gather", ["history_index", "history"], ["history_nb"], axis=0),
        make("Gather", ["history_value", "history"], ["history_nb_value"], axis=0),
        make("Unsqueeze", ["history_weight", "axis_1"], ["history_weight_2d"]),
        make("Mul", ["history_nb_value", "history_weight_2d"], ["history_terms"]),
        make("Reshape", ["history_nb", "flat"], ["history_nb_flat"]),
        make("Reshape", ["history_terms", "flat"], ["history_terms_flat"]),
        make(
            "ScatterElements",
            ["s_cart", "history_nb_flat", "history_terms_flat"],
            ["s_history"],
            axis=0,
            reduction="add",
        ),
        # repeat bonus for items bought before
        make("Gather", ["repeat", "history"], ["repeat_of_history"], axis=0),
        make("Mul", ["repeat_of_history", "history_weight"], ["repeat_terms"]),
        make(
            "ScatterElements",
            ["s_history", "history", "repeat_terms"],
            ["s_repeat"],
            axis=0,
            reduction="add",
        ),
        # never recommend what is excluded (the cart, and the history when the task says so)
        make("Shape", ["exclude"], ["exclude_shape"]),
        make("Expand", ["minus_inf", "exclude_shape"], ["exclude_values"]),
        make("ScatterElements", ["s_repeat", "exclude", "exclude_values"], ["masked"], axis=0),
        make("TopK", ["masked", "k"], ["scores", "items"], axis=0, largest=1, sorted=1),
        # what each cart item contributed to each returned item
        make("Cast", ["items"], ["items_32"], to=TensorProto.INT32),
        make("Reshape", ["items_32", "topk_row"], ["items_row"]),
        make("Unsqueeze", ["cart_nb", "axis_2"], ["cart_nb_3d"]),
        make("Equal", ["cart_nb_3d", "items_row"], ["is_returned"]),
        make("Unsqueeze", ["cart_terms", "axis_2"], ["cart_terms_3d"]),
        make("Where", ["is_returned", "cart_terms_3d", "zero"], ["contribution_3d"]),
        make("ReduceMax", ["contribution_3d"], ["cart_contribution"], axes=[1], keepdims=0),
    ]
    if extra_scores:
        nodes.insert(0, make("Add", ["base", "extra_scores"], ["base_plus_extra"]))
    extra_inputs = (
        [helper.make_tensor_value_info("extra_scores", TensorProto.FLOAT, [graph.n_items])]
        if extra_scores
        else []
    )
    onnx_graph = helper.make_graph(
        nodes,
        "recommend_item_graph",
        inputs=[
            *extra_inputs,
            helper.make_tensor_value_info("cart", TensorProto.INT64, ["c"]),
            helper.make_tensor_value_info("cart_weight", TensorProto.FLOAT, ["c"]),
            helper.make_tensor_value_info("history", TensorProto.INT64, ["h"]),
            helper.make_tensor_value_info("history_weight", TensorProto.FLOAT, ["h"]),
            helper.make_tensor_value_info("exclude", TensorProto.INT64, ["e"]),
            helper.make_tensor_value_info("k", TensorProto.INT64, [1]),
        ],
        outputs=[
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["k"]),
            helper.make_tensor_value_info("items", TensorProto.INT64, ["k"]),
            helper.make_tensor_value_info("cart_contribution", TensorProto.FLOAT, ["c", "k"]),
        ],
        initializer=[numpy_helper.from_array(v, k) for k, v in initializers.items()],
    )
    # ReduceMax takes `axes` as an attribute up to opset 17, so the graph pins opset 17
    # (ScatterElements' reduction needs 16 or later).
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", min(opset, 17))])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def reference_scores(
    graph: ItemGraph,
    cart: np.ndarray,
    cart_weight: float,
    history: np.ndarray,
    history_weight: np.ndarray,
) -> np.ndarray:
    """ItemGraph scores for one request given explicit history weights [n]."""
    scores = (graph.popularity_weight * graph.popularity).astype(np.float64)
    if len(cart):
        scores += cart_weight * np.asarray(graph.cart_matrix[np.unique(cart)].sum(axis=0)).ravel()
    if len(history):
        weights = sparse.csr_matrix(
            (history_weight, (np.zeros(len(history), np.int64), history)), shape=(1, graph.n_items)
        )
        scores += np.asarray((weights @ graph.history_matrix).todense()).ravel()
        scores += graph.repeat_weight * np.asarray(weights.todense()).ravel()
    return scores


def check_item_graph_parity(
    graph: ItemGraph, path: Path, n_requests: int = 50, atol: float = 1e-4, seed: int = 0
) -> float:
    """Export to `path`, then compare the graph's top-k scores with the numpy reference.

    Returns:
        The largest absolute score difference over the returned items.

    Raises:
        ParityError: a score differs by more than `atol`, or an excluded item is returned.
    """
    model, _ = save_and_open(item_graph_onnx(graph), path, threads=1)
    rng = np.random.default_rng(seed)
    n = graph.n_items
    worst = 0.0
    for r in range(n_requests):
        size = 0 if r == 0 else int(rng.integers(1, min(20, n)))
        cart = cart_items(rng.integers(0, n, size))
        history = rng.integers(0, n, int(rng.integers(0, 30)) if r > 1 else 0).astype(np.int64)
        history_weight = rng.random(len(history)).astype(np.float32)
        k = min(10, n - len(cart))
        # non-unit cart weights (size power 0.5), as the predictor computes them
        cart_weight = cart_weights(len(cart), 0.5)
        weight = float(cart_weight[0]) if len(cart) else 1.0
        feeds: dict[str, np.ndarray] = {
            "cart": cart,
            "cart_weight": cart_weight,
            "history": history,
            "history_weight": history_weight,
            "exclude": cart,
            "k": np.array([k], dtype=np.int64),
        }
        scores, items, contribution = model.run(feeds)
        expected = reference_scores(graph, cart, weight, history, history_weight)
        if set(items.tolist()) & set(cart.tolist()):
            raise ParityError("the ONNX graph returned an item of the cart")
        worst = max(worst, float(np.max(np.abs(expected[items] - scores), initial=0.0)))
        expected[cart] = -np.inf
        kth = np.sort(expected)[::-1][k - 1] if k else np.inf
        if k and scores[-1] < kth - atol:
            raise ParityError(f"ONNX top-{k} misses items scoring {kth:.6g} (request {r})")
        if contribution.shape != (len(cart), k):
            raise ParityError(f"cart_contribution has shape {contribution.shape}")
    if worst > atol:
        raise ParityError(f"ONNX scores differ from the item graph by {worst:.3g} > {atol:g}")
    return worst
