"""Promotion rules with a stand-in registry: the champion moves only for a better candidate."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from training import registry
from training.pipeline import TaskTraining


class FakeTracker:
    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = dict(aliases)
        self.uri = "fake://"

    def alias_version(self, name: str, alias: str) -> Any:
        version = self.aliases.get(alias)
        return SimpleNamespace(version=version) if version else None

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.aliases[alias] = version

    def download_bundle(self, name: str, version: str, destination: Path) -> Path:
        destination.mkdir(parents=True, exist_ok=True)
        (destination / "version").write_text(version)
        return destination


@pytest.fixture
def scores(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    table: dict[str, float] = {}
    monkeypatch.setattr(registry, "load_bundle", lambda path: None)

    def evaluate(path: Path, candidate: Any, data_dir: str | None) -> dict[str, float]:
        return {"accuracy": table[(path / "version").read_text()], "n": 100}

    fake = TaskTraining(train=lambda *args: {}, promotion_metrics=evaluate)
    monkeypatch.setattr(registry, "task_training", lambda task: fake)
    return table


def test_promotion_better_candidate_becomes_champion(scores: dict[str, float]) -> None:
    scores.update({"1": 0.80, "2": 0.85})
    tracker = FakeTracker({"champion": "1", "candidate": "2"})
    decision = registry.promote(tracker, "triage", "triage", None)  # type: ignore[arg-type]
    assert decision.promoted and tracker.aliases["champion"] == "2"
    assert "0.8500" in decision.reason and "0.8000" in decision.reason


def test_promotion_worse_or_equal_candidate_is_refused_with_reason(
    scores: dict[str, float],
) -> None:
    scores.update({"1": 0.85, "2": 0.85})
    tracker = FakeTracker({"champion": "1", "candidate": "2"})
    decision = registry.promote(tracker, "triage", "triage", None)  # type: ignore[arg-type]
    assert not decision.promoted and tracker.aliases["champion"] == "1"
    assert "kept the champion" in decision.reason


def test_promotion_min_delta_is_respected(scores: dict[str, float]) -> None:
    scores.update({"1": 0.80, "2": 0.805})
    tracker = FakeTracker({"champion": "1", "candidate": "2"})
    decision = registry.promote(tracker, "triage", "triage", None, min_delta=0.01)  # type: ignore[arg-type]
    assert not decision.promoted


def test_promotion_without_candidate_says_so(scores: dict[str, float]) -> None:
    decision = registry.promote(FakeTracker({}), "triage", "triage", None)  # type: ignore[arg-type]
    assert not decision.promoted and "train first" in decision.reason
