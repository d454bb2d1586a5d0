"""Behavioural suite for a built recommend bundle.

    pytest tests/model --bundle models/recommend/current

MFT: in-cart items are never returned; k items come back; an empty cart gets the popular items;
with warfarin in the cart or the current medications, no aspirin or NSAID product is ever shown
(when the bundle sells drugs). INV: the order of the cart does not change the answer.
Skipped when --bundle names a bundle of another task.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recommend.predictor import RecommendPredictor
from recommend.schema import ScoreRequest

NSAID_ATC = ("M01AB", "M01AC", "M01AE", "M01AG", "M01AH")


@pytest.fixture(scope="module")
def predictor(bundle_dir: Path) -> RecommendPredictor:
    if json.loads((bundle_dir / "manifest.json").read_text())["task"] != "recommend":
        pytest.skip("not a recommend bundle")
    return RecommendPredictor.from_bundle(bundle_dir)


def _score(predictor: RecommendPredictor, **request: Any) -> dict[str, Any]:
    return predictor.score(ScoreRequest.model_validate({"id": "t", **request})).model_dump()


def test_recommend_mft_never_returns_cart_items_and_returns_k(
    predictor: RecommendPredictor,
) -> None:
    ids = [item.item_id for item in predictor.items]
    rng = np.random.default_rng(0)
    for _ in range(50):
        cart = list(rng.choice(ids, size=int(rng.integers(1, 20)), replace=False))
        got = [r["item_id"] for r in _score(predictor, cart=cart, k=10)["recommendations"]]
        assert len(got) == 10 and not set(got) & set(cart)


def test_recommend_inv_cart_order_does_not_matter(predictor: RecommendPredictor) -> None:
    ids = [item.item_id for item in predictor.items]
    cart = ids[:: max(len(ids) // 5, 1)][:5]
    forward = _score(predictor, cart=cart, k=10)["recommendations"]
    backward = _score(predictor, cart=cart[::-1], k=10)["recommendations"]
    assert [r["item_id"] for r in forward] == [r["item_id"] for r in backward]


def test_recommend_mft_empty_cart_gets_popular_items(predictor: RecommendPredictor) -> None:
    result = _score(predictor, cart=[], k=5)
    assert len(result["recommendations"]) == 5
    assert all(r["reason"] == "popular with other customers" for r in result["recommendations"])


def test_recommend_mft_no_nsaid_or_aspirin_with_warfarin(predictor: RecommendPredictor) -> None:
    if predictor.safety is None:
        pytest.skip("this bundle's catalogue sells no drugs (no safety filter)")
    atc = predictor.safety.checker.atc
    risky = {
        item.item_id
        for item in predictor.items
        if any(
            d == "acetylsalicylic acid" or any(c.startswith(NSAID_ATC) for c in atc.get(d, ()))
            for d in item.ingredients
        )
    }
    drug_items = [
        item.item_id for item in predictor.items if item.ingredients and item.item_id not in risky
    ]
    for item in drug_items[:200]:
        for extra in ({"current_medications": [{"name": "warfarin"}]},):
            shown = {
                r["item_id"]
                for r in _score(predictor, cart=[item], k=30, **extra)["recommendations"]
            }
            assert not shown & risky, (item, shown & risky)
