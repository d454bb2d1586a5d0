"""The predictor enumerates a request's character n-grams once for the department model and the
urgency backstop (`TextGrams`): what each model is fed must not change."""

from __future__ import annotations

from typing import Any

import numpy as np

from triage.features import NgramBlock, TextGrams, TfidfFeaturizer
from triage.predictor import TfidfEncoder, TriagePredictor, UrgencyBackstop
from triage.text import normalise
from triage.urgency import UrgencyEngine

TEXTS = [
    normalise(t)
    for t in [
        "胸痛;胸口压着痛出冷汗;胸痛怎么办;",
        "咳嗽三天有痰",
        "头痛;头痛两天，呕吐;;",
        "chest pain and sweating",
        "",
        "腹泻;腹泻三天;腹泻;想问",
    ]
]


class _Graph:
    """A stand-in graph whose logits depend on every (id, weight) pair it is fed."""

    def __init__(self, outputs: int) -> None:
        self.outputs = outputs
        self.output_names = ["logits"]
        self.fed: list[dict[str, np.ndarray]] = []

    def run(self, feeds: dict[str, np.ndarray], names: list[str] | None = None) -> list[Any]:
        self.fed.append(feeds)
        ids, weights = feeds["ids"], feeds["weights"].astype(np.float64)
        logits = [(weights * np.cos(ids * (k + 1))).sum(axis=1) for k in range(self.outputs)]
        return [np.stack(logits, axis=1).astype(np.float32)]


def _predictor() -> TriagePredictor:
    department = TfidfFeaturizer(
        [NgramBlock("text", None, 1, 2, 1.0, 1), NgramBlock("complaint", 0, 1, 3, 0.5, 1)]
    ).fit(TEXTS)
    own = TfidfFeaturizer([NgramBlock("text", None, 1, 3, 1.0, 1)], age_weight=1.0).fit(TEXTS)
    backstop = UrgencyBackstop(TfidfEncoder(own), _Graph(1), 0.5)  # type: ignore[arg-type]
    return TriagePredictor(
        None,  # type: ignore[arg-type]  # _scores reads no bundle
        TfidfEncoder(department),
        _Graph(3),  # type: ignore[arg-type]
        ["a", "b", "c"],
        1.0,
        0.0,
        UrgencyEngine.default(),
        backstop,
    )


def test_shared_ngrams_feed_both_models_what_they_read_alone() -> None:
    predictor = _predictor()
    assert predictor.backstop is not None
    buckets = ["30+", "unknown", "0+", "80+", "unknown", "20+"]
    scored = predictor._scores(TEXTS, buckets, backstop=True)
    shared_department = predictor.model.fed[-1]  # type: ignore[attr-defined]
    alone = predictor.backstop.probabilities(TEXTS, buckets)
    assert np.array_equal(scored.emergency, alone)
    ids, weights = predictor.encoder.featurizer.transform(TEXTS, buckets)  # type: ignore[attr-defined]
    assert np.array_equal(shared_department["ids"], ids)
    assert np.array_equal(shared_department["weights"], weights)
    assert np.array_equal(
        scored.probabilities, predictor._scores(TEXTS, buckets, backstop=False).probabilities
    )


def test_shared_ngrams_are_built_once_per_text(monkeypatch: Any) -> None:
    import triage.features
    import triage.predictor

    built: list[str] = []

    class Counted(TextGrams):
        __slots__ = ()

        def __init__(self, text: str) -> None:
            built.append(text)
            super().__init__(text)

    monkeypatch.setattr(triage.predictor, "TextGrams", Counted)
    monkeypatch.setattr(triage.features, "TextGrams", Counted)
    _predictor()._scores(TEXTS, ["unknown"] * len(TEXTS), backstop=True)
    assert built == TEXTS
