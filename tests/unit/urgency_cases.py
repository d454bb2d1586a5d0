"""The packaged urgency table's engine, loaded once, and the questions the urgency tests ask of it
(shared by the table and round tests)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from triage.predictor import TfidfEncoder, TriagePredictor, UrgencyBackstop
from triage.urgency import EMERGENCY_LEVELS, UrgencyEngine


@lru_cache(maxsize=1)
def engine() -> UrgencyEngine:
    return UrgencyEngine.default()


def level(text: str, age: int | None = None, sex: str | None = None) -> str:
    return engine().assess(text, age, sex).level


def emergency(text: str, age: int | None = None, sex: str | None = None) -> bool:
    return level(text, age, sex) in EMERGENCY_LEVELS


def fired(text: str, age: int | None = None, sex: str | None = None) -> list[str]:
    return engine().assess(text, age, sex).rule_ids


def contexts_of(text: str, concept: str) -> list[frozenset[str]]:
    mentions = engine().assess(text, keep_mentions=True).mentions
    return [m.contexts for m in mentions if m.concept == concept]


class StandInGraph:
    """A stand-in graph whose logit depends on every n-gram id, weight and dense value fed."""

    def __init__(self) -> None:
        self.output_names = ["logits"]

    def run(self, feeds: dict[str, np.ndarray], names: list[str] | None = None) -> list[Any]:
        ids, weights = feeds["ids"], feeds["weights"].astype(np.float64)
        logit = (weights * np.cos(ids)).sum(axis=1)
        if "dense" in feeds:
            logit = logit + feeds["dense"].astype(np.float64) @ np.arange(feeds["dense"].shape[1])
        return [logit[:, None].astype(np.float32)]


def stand_in_predictor(backstop: UrgencyBackstop) -> TriagePredictor:
    """A predictor over the packaged rules and ``backstop`` whose department model shares the
    backstop's featurizer (so the two share n-gram keys) and scores with `StandInGraph`; enough
    for `_assess` and `_scores`, which read no bundle."""
    return TriagePredictor(
        None,  # type: ignore[arg-type]
        TfidfEncoder(backstop.encoder.featurizer),
        StandInGraph(),  # type: ignore[arg-type]
        ["a"],
        1.0,
        0.0,
        engine(),
        backstop,
    )
