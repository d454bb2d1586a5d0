"""The figures `promote` compares a recommend candidate and champion on (`TaskTraining`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.bundle import Bundle

if TYPE_CHECKING:
    from recommend.predictor import RecommendPredictor
    from training.recommend.evaluate import Cases


def promotion_metrics(path: Path, candidate: Bundle, data_dir: str | None) -> dict[str, float]:
    """HR@10 and NDCG@10 of a bundle's own ranking (no safety filter) on the candidate's test
    cases, rebuilt from its data and seed; items the bundle does not know cannot be hit."""
    from recommend.predictor import RecommendPredictor
    from training.config import RecommendConfig
    from training.recommend.evaluate import cart_completion, next_item
    from training.recommend.loading import load

    config = RecommendConfig.model_validate(candidate.manifest.training_config)
    if data_dir:
        config = config.model_copy(
            update={"data": config.data.model_copy(update={"data_dir": data_dir})}
        )
    loaded = load(config)
    data = loaded.data
    if config.data.task == "cart_completion":
        cases = cart_completion(
            data, config.seed, config.data.validation_percent, config.data.test_percent
        ).test
    else:
        cases = next_item(data).test
    return served_ranking_metrics(RecommendPredictor.from_bundle(path), cases, data.item_ids)


def served_ranking_metrics(
    predictor: RecommendPredictor, cases: Cases, ids: Sequence[str]
) -> dict[str, float]:
    """HR@10, NDCG@10 and the case count of the predictor's own ranking (`rank`) on evaluation
    cases, each history rebuilt as the baskets a request carries (item indices -> `ids`)."""
    import numpy as np

    gains = []
    for cart, history, ages, target in zip(
        cases.carts, cases.histories, cases.ages, cases.targets, strict=True
    ):
        baskets: list[list[str]] = [[] for _ in range(int(ages.max()) + 1)] if len(ages) else []
        for item, age in zip(history.tolist(), ages.tolist(), strict=True):
            baskets[len(baskets) - 1 - age].append(ids[item])
        top = predictor.rank([ids[i] for i in cart], baskets, 10)
        gains.append(1.0 / np.log2(top.index(ids[target]) + 2) if ids[target] in top else 0.0)
    values = np.array(gains)
    return {
        "hr@10": float((values > 0).mean()),
        "ndcg@10": float(values.mean()),
        "n": float(len(values)),
    }
