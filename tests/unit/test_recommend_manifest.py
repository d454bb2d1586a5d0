"""The recommend manifest sections fail closed: a bundle missing a preprocessing key its
architecture reads, or with an unknown or mistyped one, is refused with a BundleError naming the
key, never served with a default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from pydantic import ValidationError
from scipy import sparse

from recommend.manifest import (
    HYBRID,
    ITEM_GRAPH,
    SASREC,
    HybridPreprocessing,
    ItemGraphPreprocessing,
    RecommendPostprocessing,
    RecommendPreprocessing,
    SASRecPreprocessing,
)
from recommend.predictor import RecommendPredictor
from runtime.errors import BundleError
from training.pipeline import PENDING_EXAMPLES, BundleDraft, Golden, build_bundle, golden_lines
from training.recommend.export import item_graph_onnx
from training.recommend.models import ItemGraph

N_ITEMS = 4
GRAPH_SECTION = ItemGraphPreprocessing(
    cart_size_power=0.5,
    history_decay=0.7,
    history_limit=3,
    history_size_power=0.0,
    exclude_history=False,
).to_manifest()
ITEMS = "index,item_id,name,aisle,department,ingredients,linked_by,baskets\n" + "".join(
    f"{i},SKU{i},item {i},,,,,1\n" for i in range(N_ITEMS)
)


def _draft(tmp_path: Path, preprocessing: dict[str, Any], **changes: Any) -> BundleDraft:
    matrix = sparse.csr_matrix(np.eye(N_ITEMS, k=1, dtype=np.float32))
    graph = ItemGraph(matrix, matrix, np.linspace(1.0, 0.1, N_ITEMS).astype(np.float32))
    tmp_path.mkdir(parents=True, exist_ok=True)
    onnx_path = tmp_path / "model.onnx"
    onnx.save(item_graph_onnx(graph), str(onnx_path))
    draft = BundleDraft(
        task="recommend",
        name="recommend-test",
        architecture=ITEM_GRAPH,
        version="test",
        training_config={},
        data={},
        onnx_path=onnx_path,
        preprocessing=preprocessing,
        postprocessing=RecommendPostprocessing(safety_filter=False).to_manifest(),
        metrics={"deployed": "knn", "models": {"knn": {"test": {"hr@10": 0.5}}}},
        files={
            "model.onnx": onnx_path,
            "items.csv": ITEMS,
            "users.csv": "user_id,baskets\nu1,0 1;2\n",
        },
    )
    for name, value in changes.items():
        setattr(draft, name, value)
    return draft


def _written(tmp_path: Path, preprocessing: dict[str, Any], **changes: Any) -> Path:
    from runtime.bundle import write_bundle

    draft = _draft(tmp_path, preprocessing, **changes)
    files = {**draft.files, "examples.jsonl": PENDING_EXAMPLES, "MODEL_CARD.md": ""}
    return write_bundle(tmp_path / "bundle", draft.manifest(), files).path


def test_complete_item_graph_bundle_loads_and_replays_its_examples(tmp_path: Path) -> None:
    requests: list[dict[str, Any]] = [
        {"id": "a", "cart": ["SKU0"], "k": 2},
        {"id": "b", "cart": [], "user_id": "u1"},
    ]
    bundle = build_bundle(
        _draft(tmp_path, GRAPH_SECTION),
        tmp_path / "bundle",
        golden=lambda predictor: Golden(golden_lines(predictor, requests)),
        card=lambda manifest: "card",
    )
    predictor = RecommendPredictor.from_bundle(bundle.path)  # self-test on
    assert predictor.preprocessing == ItemGraphPreprocessing.model_validate(GRAPH_SECTION)
    assert predictor.weighting is not None and predictor.max_len is None
    assert predictor.headline_metrics() == {"deployed": "knn", "test": {"hr@10": 0.5}}


def test_bundle_without_history_limit_is_refused_naming_the_key(tmp_path: Path) -> None:
    section = {k: v for k, v in GRAPH_SECTION.items() if k != "history_limit"}
    with pytest.raises(BundleError, match=r"preprocessing\.history_limit: Field required"):
        RecommendPredictor.from_bundle(_written(tmp_path, section), self_test=False)


@pytest.mark.parametrize("key", sorted(GRAPH_SECTION))
def test_every_item_graph_key_is_required(tmp_path: Path, key: str) -> None:
    section = {k: v for k, v in GRAPH_SECTION.items() if k != key}
    with pytest.raises(BundleError, match=rf"preprocessing\.{key}"):
        RecommendPredictor.from_bundle(_written(tmp_path, section), self_test=False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_len": 50}, r"preprocessing\.max_len: Extra inputs are not permitted"),
        ({"history_limit": "ten"}, r"preprocessing\.history_limit"),
        ({"history_limit": 0}, r"preprocessing\.history_limit"),
        ({"history_decay": float("nan")}, r"preprocessing\.history_decay"),
    ],
)
def test_unknown_or_bad_preprocessing_keys_are_refused(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(BundleError, match=message):
        RecommendPredictor.from_bundle(
            _written(tmp_path, {**GRAPH_SECTION, **change}), self_test=False
        )


def test_postprocessing_must_say_whether_a_safety_filter_is_embedded(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"postprocessing\.safety_filter: Field required"):
        RecommendPredictor.from_bundle(
            _written(tmp_path / "a", GRAPH_SECTION, postprocessing={}), self_test=False
        )
    with pytest.raises(BundleError, match="does not embed a safety/ bundle"):
        RecommendPredictor.from_bundle(
            _written(tmp_path / "b", GRAPH_SECTION, postprocessing={"safety_filter": True}),
            self_test=False,
        )


def test_unknown_architecture_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"unknown architecture recommend\.nope\.v1"):
        RecommendPredictor.from_bundle(
            _written(tmp_path, GRAPH_SECTION, architecture="recommend.nope.v1"), self_test=False
        )


def test_each_architecture_requires_its_own_keys() -> None:
    assert RecommendPreprocessing.section_class(ITEM_GRAPH) is ItemGraphPreprocessing
    assert RecommendPreprocessing.section_class(SASREC) is SASRecPreprocessing
    assert RecommendPreprocessing.section_class(HYBRID) is HybridPreprocessing
    assert set(SASRecPreprocessing.model_fields) == {"max_len", "exclude_history"}
    assert set(HybridPreprocessing.model_fields) == {*GRAPH_SECTION, "max_len"}
    with pytest.raises(ValidationError, match="max_len"):
        SASRecPreprocessing.model_validate({"exclude_history": True})
    with pytest.raises(ValidationError, match="max_len"):
        HybridPreprocessing.model_validate(GRAPH_SECTION)
    with pytest.raises(ValueError, match="unknown architecture"):
        RecommendPreprocessing.section_class("recommend.nope.v1")
