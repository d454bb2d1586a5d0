"""The backstop's two detectors (training/triage/backstop_models.py): each fits on a small
weakly-labelled corpus, exports to the one embedding-bag graph the predictor reads, matches it,
and names its architecture in the manifest entry; the network is reproducible from its seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from tests.unit.urgency_cases import engine
from training.config import TriageConfig, UrgencyBackstopConfig, load_config
from training.triage.backstop_models import LINEAR, MLP, fit_detector, probabilities
from training.triage.urgency import (
    _design,
    _export,
    _fit_model,
    _parity,
    _postprocessing,
    _Readers,
    _rule_labels,
    _WeakCorpus,
)
from triage.predictor import TfidfEncoder, UrgencyBackstop
from triage.text import normalise

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "突然胸痛出冷汗，喘不上气",
    "没有胸痛，就是咳嗽三天",
    "我妈以前脑梗过，现在挺好",
    "一边手脚突然没劲，说话不清楚",
    "肚子有点胀，吃多了",
    "嗓子疼两天，有点低烧",
]


def _corpus() -> _WeakCorpus:
    texts = [normalise(t) for t in TEXTS * 4]
    buckets = ["unknown"] * len(texts)
    labels, _ = _rule_labels(engine(), texts, buckets)
    assert 0 < sum(labels) < len(labels)
    return _WeakCorpus(texts, buckets, labels, [1.0] * len(texts), {}, [])


@pytest.mark.parametrize(("model", "architecture"), [("logreg", LINEAR), ("mlp", MLP)])
def test_each_detector_exports_to_the_shared_graph_with_parity(
    model: str, architecture: str, tmp_path: Path
) -> None:
    config = load_config(ROOT / "configs/triage.yaml")
    assert isinstance(config, TriageConfig)
    settings = UrgencyBackstopConfig(
        model=model, sentence_encoder=False, min_df=1, mlp={"hidden": 8, "epochs": 3}
    )
    corpus = _corpus()
    featurizer, _, detector = _fit_model(settings, config, corpus)
    assert detector.architecture == architecture
    graph, specs = _export(detector, featurizer.n_features_, config, tmp_path)
    backstop = UrgencyBackstop(TfidfEncoder(featurizer), graph, 0.5, None)
    assert _parity(detector, featurizer.n_features_, backstop, corpus, config) <= 1e-4
    entry = _postprocessing(0.5, specs, None, _Readers(None, None), architecture)
    assert entry["architecture"] == architecture
    # the graph the predictor runs gives the detector's own probabilities
    x, dense = _design(corpus, featurizer, None)
    served = backstop.probabilities(corpus.texts, corpus.buckets)
    assert np.allclose(served, probabilities(detector, x, dense), atol=1e-5)


def test_the_network_is_reproducible_from_its_seed() -> None:
    config = load_config(ROOT / "configs/triage.yaml")
    assert isinstance(config, TriageConfig)
    settings = UrgencyBackstopConfig(
        model="mlp", sentence_encoder=False, min_df=1, mlp={"epochs": 2}
    )
    corpus = _corpus()
    featurizer, _, _ = _fit_model(settings, config, corpus)
    x, dense = _design(corpus, featurizer, None)
    y, w = np.asarray(corpus.labels), np.asarray(corpus.weights)
    first = fit_detector(settings, x, dense, y, w, seed=7).logits(x, dense)
    again = fit_detector(settings, x, dense, y, w, seed=7).logits(x, dense)
    other = fit_detector(settings, x, dense, y, w, seed=8).logits(x, dense)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_an_unknown_detector_is_refused() -> None:
    with pytest.raises(ValidationError, match="model"):
        UrgencyBackstopConfig(model="forest")
