"""The pipeline with SASRec and the blend + SASRec hybrid deployed (forced, since on the small
demo the hybrid need not win validation): parity, golden examples, the torch-free predictor
feeding both the sequence and the graph inputs, and the safety filter still in front of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")

from recommend.predictor import HYBRID, RecommendPredictor
from recommend.schema import ScoreRequest
from runtime.bundle import load_bundle
from tests.training.test_recommend_pipeline import _bleeding_risk

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hybrid_run(
    tmp_path_factory: pytest.TempPathFactory, tracking_uri: str, prescription_bundle: Path
) -> dict[str, Any]:
    from training.config import HybridConfig, RecommendModelConfig, load_config
    from training.recommend.train import train_recommend
    from training.tracking import Tracker

    out = tmp_path_factory.mktemp("recommend-hybrid-run")
    config = load_config(
        ROOT / "configs/recommend_demo.yaml",
        [
            "data.demo_users=200",
            f"safety.prescription_bundle={prescription_bundle}",
            f"output_dir={out}",
            "tracking.registered_model=recommend-hybrid-test",
        ],
    )
    config.models.append(  # type: ignore[attr-defined]
        RecommendModelConfig(
            name="sasrec",
            architecture="recommend.sasrec.v1",
            params={"hidden": 16, "layers": 1, "max_len": 12, "epochs": 3, "max_seconds": 30},
        )
    )
    config.deploy.hybrid = HybridConfig(sequential="sasrec")  # type: ignore[attr-defined]
    config.deploy.force = "hybrid"  # type: ignore[attr-defined]
    return train_recommend(config, Tracker(tracking_uri), "configs/recommend_demo.yaml")  # type: ignore[arg-type]


def test_hybrid_bundle_is_deployed_with_its_settings(hybrid_run: dict[str, Any]) -> None:
    bundle = load_bundle(hybrid_run["bundle"])
    assert bundle.manifest.architecture == HYBRID
    assert hybrid_run["details"]["deployed"] == "hybrid"
    hybrid = bundle.manifest.metrics["models"]["hybrid"]
    assert {"sequential_weight", "temperature"} <= set(hybrid["params"])
    assert bundle.manifest.preprocessing["max_len"] == 12
    assert bundle.manifest.metrics["parity_max_abs_diff"] <= 1e-4
    inputs = {spec.name for spec in bundle.manifest.inputs}
    assert {"item_seq", "cart", "history", "exclude", "k"} <= inputs


def test_hybrid_predictor_answers_and_filters(hybrid_run: dict[str, Any]) -> None:
    predictor = RecommendPredictor.from_bundle(hybrid_run["bundle"])  # replays the golden examples
    ids = [item.item_id for item in predictor.items]
    users = list(predictor.users)
    rng = np.random.default_rng(0)
    for trial in range(20):
        cart = list(rng.choice(ids, size=int(rng.integers(0, 6)), replace=False))
        request = {"id": str(trial), "cart": cart, "k": 5, "user_id": users[trial % len(users)]}
        result = predictor.score(ScoreRequest.model_validate(request)).model_dump()
        got = [r["item_id"] for r in result["recommendations"]]
        assert len(got) == 5 and not set(got) & set(cart)
        assert result["model"]["version"] == predictor.bundle.version
    risky = _bleeding_risk(predictor)
    warfarin = next(i.item_id for i in predictor.items if "warfarin" in i.ingredients)
    for item in ids[:40]:
        result = predictor.score(
            ScoreRequest.model_validate({"id": "w", "cart": [item, warfarin], "k": 20})
        ).model_dump()
        assert not {r["item_id"] for r in result["recommendations"]} & risky
