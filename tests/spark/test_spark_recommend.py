"""The Spark recommender families (training/recommend/spark_fit.py) against their single-process
twins on small synthetic baskets: the same co-occurrence matrix, top-N kept, capped baskets, and
the ALS graph exporting to the item-graph ONNX with parity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from training.config import RecommendConfig, load_config
from training.recommend.data import Baskets, encode, validate_interactions
from training.recommend.export import check_item_graph_parity
from training.recommend.models import ItemKNN, prune_rows
from training.recommend.selection import ARCHITECTURES
from training.recommend.spark_fit import (
    SparkALS,
    SparkCooccurrence,
    cooccurrence_neighbours,
    fold_in_sides,
    top_n_per_row,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def baskets() -> Baskets:
    """40 items in two groups, skewed popularity, baskets of 1-8 items (some of one item)."""
    rng = np.random.default_rng(0)
    popularity = 1.0 / np.arange(1, 21)
    rows = []
    for u in range(60):
        group = 20 * (u % 2)
        for b in range(3):
            size = int(rng.integers(1, 9))
            items = rng.choice(20, size=size, replace=False, p=popularity / popularity.sum())
            rows += [(f"u{u}", f"u{u}:{b}", f"i{group + i:02d}", b) for i in items]
    frame = pd.DataFrame(rows, columns=["user", "basket", "item", "order"])
    return encode(validate_interactions(frame, "synthetic"))


def _rows(spark: Any, baskets: list[list[int]]) -> Any:
    return spark.createDataFrame(
        [(b, item) for b, items in enumerate(baskets) for item in items], "basket long, item int"
    )


@pytest.mark.parametrize(
    "settings",
    [
        {"alpha": 0.5, "shrink": 10.0},
        {"alpha": 1.0, "shrink": 0.0},
        {"context": "user", "alpha": 0.3, "shrink": 2.0},
    ],
)
def test_spark_cooccurrence_equals_single_process(
    spark: Any, baskets: Baskets, settings: dict[str, Any]
) -> None:
    expected = ItemKNN(neighbours=1000, **settings).fit(baskets)
    got = SparkCooccurrence(neighbours=1000, **settings).fit(baskets)
    assert got.similarity_.nnz == expected.similarity_.nnz > 0
    assert (got.similarity_ != 0).toarray().tolist() == (
        expected.similarity_ != 0
    ).toarray().tolist()
    np.testing.assert_allclose(
        got.similarity_.toarray(), expected.similarity_.toarray(), rtol=1e-5, atol=1e-7
    )
    np.testing.assert_array_equal(got.graph_.popularity, expected.graph_.popularity)
    np.testing.assert_allclose(
        got.graph_.history_matrix.toarray(), expected.graph_.history_matrix.toarray(), rtol=1e-5
    )


def test_spark_cooccurrence_keeps_each_items_top_n(spark: Any, baskets: Baskets) -> None:
    full = ItemKNN(neighbours=1000).fit(baskets).similarity_
    got = SparkCooccurrence(neighbours=3).fit(baskets).similarity_
    assert np.diff(got.indptr).max() == 3
    for row in range(baskets.n_items):
        expected = np.sort(full[row].data)[::-1][:3]
        kept = got[row]
        np.testing.assert_allclose(np.sort(kept.data)[::-1], expected, rtol=1e-5)
        # every kept entry is the item's true similarity to that neighbour
        np.testing.assert_allclose(kept.data, full[row, kept.indices].toarray().ravel(), rtol=1e-5)


def test_one_item_baskets_yield_no_pairs(spark: Any) -> None:
    alone = cooccurrence_neighbours(spark, _rows(spark, [[1], [2], [2], [3]]), 10, 5)
    assert alone.nnz == 0
    mixed = cooccurrence_neighbours(spark, _rows(spark, [[1], [2, 3], [4]]), 10, 5, shrink=0.0)
    assert sorted(zip(*mixed.nonzero(), strict=True)) == [(2, 3), (3, 2)]


def test_long_baskets_are_capped(spark: Any) -> None:
    long_basket = list(range(30))
    capped = cooccurrence_neighbours(
        spark, _rows(spark, [long_basket]), 100, 30, max_basket_items=5
    )
    kept = np.flatnonzero(np.diff(capped.indptr))
    assert len(kept) == 5  # 5 of the 30 items, each paired with the 4 others
    assert capped.nnz == 5 * 4
    again = cooccurrence_neighbours(spark, _rows(spark, [long_basket]), 100, 30, max_basket_items=5)
    assert (again != capped).nnz == 0  # the sample is seeded, not random per run


@pytest.fixture(scope="module")
def als_models(spark: Any, baskets: Baskets) -> dict[str, SparkALS]:
    """The ALS family fitted once per neighbour search (the same seed: the same factors)."""
    settings: dict[str, Any] = {
        "factors": 4,
        "iterations": 5,
        "neighbours": 5,
        "l2": 0.1,
        "seed": 3,
    }
    return {
        "exact": SparkALS(search="exact", **settings).fit(baskets),
        "candidates": SparkALS(search="candidates", candidates=8, **settings).fit(baskets),
    }


@pytest.mark.parametrize("search", ["candidates", "exact"])
def test_spark_als_exports_with_parity(
    als_models: dict[str, SparkALS], baskets: Baskets, search: str, tmp_path: Path
) -> None:
    model = als_models[search]
    similarity = model.similarity_
    assert model.item_factors_.shape == (baskets.n_items, 4)
    assert np.diff(similarity.indptr).max() == 5
    assert similarity.diagonal().max() == 0.0  # an item never recommends itself
    assert (similarity.data > 0).all()
    assert check_item_graph_parity(model.graph_, tmp_path / "model.onnx") <= 1e-4


def test_exact_als_search_finds_the_largest_scores(
    als_models: dict[str, SparkALS], baskets: Baskets
) -> None:
    exact, candidates = als_models["exact"], als_models["candidates"]
    np.testing.assert_allclose(exact.item_factors_, candidates.item_factors_, atol=1e-5)
    left, right = fold_in_sides(exact.item_factors_, exact.l2, exact.confidence)
    scores = left @ right.T
    np.fill_diagonal(scores, -np.inf)
    for row in range(baskets.n_items):
        best = np.sort(exact.similarity_[row].data)[::-1]
        np.testing.assert_allclose(best, np.sort(scores[row])[::-1][: len(best)], rtol=1e-4)
        restricted = np.sort(candidates.similarity_[row].data)[::-1]
        assert len(restricted) <= len(best)
        assert (restricted <= best[: len(restricted)] + 1e-6).all()


def test_top_n_per_row_matches_prune_rows() -> None:
    rng = np.random.default_rng(1)
    dense = rng.random((30, 30)).astype(np.float32) * (rng.random((30, 30)) < 0.4)
    dense[3] = 0.0
    dense[3, :5] = 0.5  # a tie: the smaller columns win
    matrix = sparse.csr_matrix(dense)
    fast, slow = top_n_per_row(matrix, 4), prune_rows(matrix, 4)
    for row in range(30):
        np.testing.assert_allclose(np.sort(fast[row].data), np.sort(slow[row].data))
    assert fast[3].indices.tolist() == [0, 1, 2, 3]


def test_spark_config_names_registered_families() -> None:
    config = load_config(ROOT / "configs/recommend_spark.yaml")
    assert isinstance(config, RecommendConfig)
    spark_models = [m for m in config.models if m.architecture.startswith("recommend.spark_")]
    assert {m.architecture for m in spark_models} == {
        "recommend.spark_cooccurrence.v1",
        "recommend.spark_als.v1",
    }
    for model in spark_models:
        ARCHITECTURES[model.architecture](**model.params)  # the params are the class's
