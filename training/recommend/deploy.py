"""The deployed recommender as the bundle holds it: `model.onnx` (exported and checked against
the training model) and the typed preprocessing section the predictor builds its inputs from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recommend.manifest import (
    HYBRID,
    ITEM_GRAPH,
    SASREC,
    HybridPreprocessing,
    ItemGraphPreprocessing,
    RecommendPreprocessing,
    SASRecPreprocessing,
)
from training.recommend.export import check_item_graph_parity
from training.recommend.models import ItemGraph
from training.recommend.selection import Selection


@dataclass
class Exported:
    """The exported graph's architecture, its parity with the training model, and the
    preprocessing section it is served with."""

    architecture: str
    parity: float
    preprocessing: RecommendPreprocessing


def _weighting(graph: ItemGraph) -> dict[str, Any]:
    """The item graph's input settings, as its preprocessing section names them."""
    return {
        "cart_size_power": float(graph.cart_size_power),
        "history_decay": float(graph.history_decay),
        "history_limit": int(graph.history_limit),
        "history_size_power": float(graph.history_size_power),
    }


def export_deployed(
    chosen: Selection, onnx_path: Path, atol: float, exclude_history: bool
) -> Exported:
    """Write the deployed model's scoring graph to `onnx_path` with a parity check.

    Args:
        chosen: the deployed model.
        onnx_path: where model.onnx goes.
        atol: the largest score difference the parity check allows.
        exclude_history: next-item bundles never recommend an item the user already has.

    Raises:
        ParityError: the ONNX graph's scores differ from the training model's.
    """
    model = chosen.model
    if chosen.architecture == HYBRID:
        from training.recommend.hybrid import check_hybrid_parity

        parity = check_hybrid_parity(model, onnx_path, atol=atol)
        hybrid = HybridPreprocessing(
            **_weighting(model.graph),
            max_len=model.sequential.max_len,
            exclude_history=exclude_history,
        )
        return Exported(HYBRID, parity, hybrid)
    if chosen.architecture == SASREC:
        from training.recommend.sasrec_export import check_sasrec_bundle_parity

        parity = check_sasrec_bundle_parity(model, onnx_path, atol=atol)
        sequence = SASRecPreprocessing(max_len=model.max_len, exclude_history=exclude_history)
        return Exported(SASREC, parity, sequence)
    graph = model if isinstance(model, ItemGraph) else model.graph_
    parity = check_item_graph_parity(graph, onnx_path, atol=atol)
    weighting = ItemGraphPreprocessing(**_weighting(graph), exclude_history=exclude_history)
    return Exported(ITEM_GRAPH, parity, weighting)
