"""The recommender pipeline end to end on the hand-written demo catalogue: all models -> blend ->
ONNX parity -> catalogue linked with the (demo) prescription bundle -> bundle -> MLflow ->
torch-free predictor with the safety filter -> batch CLI contract."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recommend.predictor import RecommendPredictor
from recommend.schema import ScoreRequest
from runtime.bundle import load_bundle
from runtime.errors import BundleError, ChecksumMismatch

ROOT = Path(__file__).resolve().parents[2]
NSAID_ATC = ("M01AB", "M01AC", "M01AE", "M01AG", "M01AH")


@pytest.fixture(scope="module")
def predictor(recommend_bundle: Path) -> RecommendPredictor:
    return RecommendPredictor.from_bundle(recommend_bundle)


def _score(predictor: RecommendPredictor, request: dict[str, Any]) -> dict[str, Any]:
    return predictor.score(ScoreRequest.model_validate({"id": "t", **request})).model_dump()


def _bleeding_risk(predictor: RecommendPredictor) -> set[str]:
    """Item ids whose ingredients include aspirin or an NSAID (by the bundle's own ATC table)."""
    atc = predictor.safety.checker.atc if predictor.safety else {}
    risky = set()
    for item in predictor.items:
        for drug in item.ingredients:
            codes = atc.get(drug, ())
            if drug == "acetylsalicylic acid" or any(c.startswith(NSAID_ATC) for c in codes):
                risky.add(item.item_id)
    return risky


def test_recommend_pipeline_bundle_is_complete(
    recommend_run: dict[str, Any], recommend_bundle: Path
) -> None:
    bundle = load_bundle(recommend_bundle)
    assert {"model.onnx", "items.csv", "users.csv", "examples.jsonl", "MODEL_CARD.md"} <= set(
        bundle.manifest.files
    )
    assert set(bundle.manifest.bundles) == {"safety"}
    assert bundle.nested("safety").manifest.task == "prescription"
    assert bundle.manifest.metrics["parity_max_abs_diff"] <= 1e-4
    models = bundle.manifest.metrics["models"]
    assert {"popularity", "item_knn", "ease", "transition", "blend"} <= set(models)
    assert recommend_run["registered"].endswith("@candidate")
    # the demo missions are learnable: every model beats popularity on held-out users
    pop = models["popularity"]["test"]["hr@10"]
    assert all(m["test"]["hr@10"] > pop for name, m in models.items() if name != "popularity")
    linked = {row["name"]: row["ingredients"] for row in _items(recommend_bundle)}
    assert linked["Ibuprofen 200 mg tablets x 24"] == "ibuprofen"
    assert linked["布洛芬缓释胶囊 0.3g*20粒"] == "ibuprofen"
    assert linked["华法林钠片 2.5mg*60片"] == "warfarin"
    assert linked["阿司匹林肠溶片 100mg*30片"] == "acetylsalicylic acid"
    assert set(linked["氨酚伪麻美芬片 10片"].split("|")) == {
        "acetaminophen",
        "dextromethorphan",
        "pseudoephedrine",
    }
    assert linked["Digital thermometer"] == ""  # a device is not a drug
    assert recommend_run["details"]["catalogue"]["linked_items"] >= 60


def _items(bundle: Path) -> list[dict[str, str]]:
    import csv

    with (bundle / "items.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_recommend_pipeline_returns_k_items_never_in_the_cart(
    predictor: RecommendPredictor,
) -> None:
    ids = [item.item_id for item in predictor.items]
    rng = np.random.default_rng(0)
    for _ in range(30):
        cart = list(rng.choice(ids, size=int(rng.integers(0, 8)), replace=False))
        result = _score(predictor, {"cart": cart, "k": 7})
        got = [r["item_id"] for r in result["recommendations"]]
        assert len(got) == 7 and len(set(got)) == 7
        assert not set(got) & set(cart)
        assert not set(got) & {s["item_id"] for s in result["suppressed"]}
        assert all(r["reason"] for r in result["recommendations"])
        scores = [r["score"] for r in result["recommendations"]]
        assert scores == sorted(scores, reverse=True)


def test_recommend_pipeline_never_suggests_nsaids_or_aspirin_with_warfarin(
    predictor: RecommendPredictor,
) -> None:
    risky = _bleeding_risk(predictor)
    assert len(risky) >= 8, "the demo catalogue sells aspirin and NSAIDs"
    warfarin = [i.item_id for i in predictor.items if "warfarin" in i.ingredients]
    pain = sorted(risky | {i.item_id for i in predictor.items if "acetaminophen" in i.ingredients})
    rng = np.random.default_rng(1)
    suppressed_risky = 0
    for trial in range(60):
        cart = list(rng.choice(pain, size=int(rng.integers(1, 4)), replace=False))
        cart = [c for c in cart if c not in risky] or [pain[0]]
        request: dict[str, Any] = {"cart": cart, "k": 20}
        if trial % 2:
            request["cart"] = [*cart, warfarin[0]]
        else:
            request["current_medications"] = [{"name": "华法林钠片"}]
        result = _score(predictor, request)
        shown = {r["item_id"] for r in result["recommendations"]}
        assert not shown & risky, f"{request} -> {shown & risky}"
        suppressed_risky += len({s["item_id"] for s in result["suppressed"]} & risky)
    # the filter did the work: without it the model would have shown these
    assert suppressed_risky > 0
    # ... and for the same carts without warfarin, NSAIDs are what it shows
    shown_without = set()
    for item in pain:
        if item not in risky:
            result = _score(predictor, {"cart": [item], "k": 20})
            shown_without |= {r["item_id"] for r in result["recommendations"]}
    assert shown_without & risky


def test_recommend_pipeline_patient_contraindications_and_allergy(
    predictor: RecommendPredictor,
) -> None:
    risky = _bleeding_risk(predictor)
    aspirin = {i.item_id for i in predictor.items if "acetylsalicylic acid" in i.ingredients}
    # a cart whose plain recommendations include aspirin
    fever = next(
        [i.item_id]
        for i in predictor.items
        if i.item_id not in risky
        and {
            r["item_id"]
            for r in _score(predictor, {"cart": [i.item_id], "k": 30})["recommendations"]
        }
        & aspirin
    )
    child = _score(predictor, {"cart": fever, "k": 30, "patient": {"age": 8}})
    assert not {r["item_id"] for r in child["recommendations"]} & aspirin
    allergic = _score(predictor, {"cart": fever, "k": 30, "patient": {"allergies": ["aspirin"]}})
    assert not {r["item_id"] for r in allergic["recommendations"]} & aspirin
    reasons = [s["reason"] for s in allergic["suppressed"] if s["item_id"] in risky]
    assert any("allergy" in r for r in reasons), allergic["suppressed"]


def test_recommend_pipeline_known_user_and_rank(predictor: RecommendPredictor) -> None:
    user = next(iter(predictor.users))
    personal = _score(predictor, {"cart": [], "user_id": user, "k": 5})
    anonymous = _score(predictor, {"cart": [], "k": 5})
    assert personal["recommendations"] != anonymous["recommendations"]
    assert [r["reason"] for r in anonymous["recommendations"]] == [
        "popular with other customers"
    ] * 5
    top = predictor.rank([predictor.items[0].item_id], [], 5)
    assert len(top) == 5 and predictor.items[0].item_id not in top


def test_recommend_pipeline_altered_or_swapped_bundle_is_refused(
    recommend_bundle: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "bundle"
    shutil.copytree(recommend_bundle, copy)
    with (copy / "items.csv").open("a") as handle:
        handle.write("999,x,x,,,,,0\n")
    with pytest.raises(ChecksumMismatch, match="items"):
        RecommendPredictor.from_bundle(copy)
    second = tmp_path / "second"
    shutil.copytree(recommend_bundle, second)
    with (second / "safety" / "curated_doses.csv").open("a") as handle:
        handle.write("\n")
    with pytest.raises(BundleError):
        RecommendPredictor.from_bundle(second)


def test_recommend_pipeline_cli_contract_and_bad_lines(
    recommend_bundle: Path, predictor: RecommendPredictor, tmp_path: Path
) -> None:
    ids = [item.item_id for item in predictor.items]
    lines = [
        {"id": "ok", "cart": ids[:2], "k": 3},
        {"id": "empty", "cart": []},
        {"id": "unknown", "cart": ["nope", ids[0]]},
        {"id": "all-unknown", "cart": ["nope"], "k": 2},
        {"id": "k0", "cart": ids[:1], "k": 0},
        {"id": "k10000", "cart": ids[:1], "k": 10000},
        {"id": "big", "cart": ids[:100] + [f"x-{i}" for i in range(900)]},
        {"id": "whole-catalogue", "cart": ids, "k": 5},
        {"id": "too-big", "cart": ["x"] * 1001},
        {"id": "types", "cart": [1, 2], "k": "5"},
        {"id": "missing"},
        {"id": "patient", "cart": ids[:1], "patient": {"pregnant": "yes"}},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(x) for x in lines) + "\n{broken\n")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "recommend",
            "score",
            "--bundle",
            str(recommend_bundle),
            "--input",
            str(source),
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 1, proc.stderr
    answers = {a.get("id"): a for a in (json.loads(x) for x in out.read_text().splitlines())}
    assert len(out.read_text().splitlines()) == len(lines) + 1
    ok = answers["ok"]
    assert set(ok) == {"id", "recommendations", "suppressed", "unknown_items", "model"}
    assert set(ok["recommendations"][0]) == {"item_id", "score", "reason"}
    assert ok["model"]["version"] == load_bundle(recommend_bundle).version
    assert len(answers["empty"]["recommendations"]) == 10
    assert answers["unknown"]["unknown_items"] == ["nope"]
    assert (
        answers["all-unknown"]["unknown_items"] == ["nope"]
        and len(answers["all-unknown"]["recommendations"]) == 2
    )
    assert "k: Input should be greater than or equal to 1" in answers["k0"]["error"]
    assert "k: Input should be less than or equal to 100" in answers["k10000"]["error"]
    assert len(answers["big"]["recommendations"]) == 10
    assert len(answers["big"]["unknown_items"]) == 900
    # nothing left to add: an empty list, not an error
    assert answers["whole-catalogue"]["recommendations"] == []
    assert "cart: List should have at most 1000 items" in answers["too-big"]["error"]
    assert "cart.0" in answers["types"]["error"] and "k:" in answers["types"]["error"]
    assert "cart: required field is missing" in answers["missing"]["error"]
    assert "patient.pregnant" in answers["patient"]["error"]
    assert "invalid JSON" in answers[None]["error"]


def test_recommend_pipeline_promote_and_pull(
    recommend_run: dict[str, Any], tracking_uri: str, tmp_path: Path
) -> None:
    from training.registry import promote, pull
    from training.tracking import Tracker

    tracker = Tracker(tracking_uri)
    first = promote(tracker, "recommend", "recommend", data_dir=None)
    assert first.promoted or "already @champion" in first.reason
    target = pull(tracker, "recommend", "champion", tmp_path / "models" / "recommend")
    pulled = RecommendPredictor.from_bundle(tmp_path / "models/recommend/current")
    assert pulled.bundle.bundle_hash == load_bundle(recommend_run["bundle"]).bundle_hash
    assert target.exists() and pulled.safety is not None
