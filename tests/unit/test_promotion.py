"""Promotion rules with a stand-in registry: the champion moves only for a better candidate."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from training import registry
from training.pipeline import TaskTraining


class FakeTracker:
    def __init__(
        self, aliases: dict[str, str], versions: tuple[str, ...] = ("1", "2", "3")
    ) -> None:
        self.aliases = dict(aliases)
        self.uri = "fake://"
        self.tags: dict[str, dict[str, str]] = {v: {} for v in versions}

    def alias_version(self, name: str, alias: str) -> Any:
        version = self.aliases.get(alias)
        return self.model_version(name, version) if version else None

    def model_version(self, name: str, version: str) -> Any:
        if version not in self.tags:
            return None
        return SimpleNamespace(version=version, tags=dict(self.tags[version]))

    def tag_version(self, name: str, version: str, tags: dict[str, str]) -> None:
        self.tags[version].update(tags)

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.aliases[alias] = version

    def download_bundle(self, name: str, version: str, destination: Path) -> Path:
        destination.mkdir(parents=True, exist_ok=True)
        (destination / "version").write_text(version)
        return destination


@pytest.fixture
def scores(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    monkeypatch.delenv("HOSPITAL_SIGNING_KEY", raising=False)
    table: dict[str, float] = {}
    monkeypatch.setattr(registry, "load_bundle", lambda path: None)

    def evaluate(path: Path, candidate: Any, data_dir: str | None) -> dict[str, float]:
        return {"accuracy": table[(path / "version").read_text()], "n": 100}

    fake = TaskTraining(
        train=lambda *args: {}, promotion_metrics=evaluate, describe_data=lambda config: ""
    )
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


def test_promotion_records_its_decision_as_version_tags(scores: dict[str, float]) -> None:
    scores.update({"1": 0.80, "2": 0.85, "3": 0.70})
    tracker = FakeTracker({"champion": "1", "candidate": "2"})
    registry.promote(tracker, "triage", "triage", None)  # type: ignore[arg-type]
    tags = tracker.tags["2"]
    assert tags["promotion_kind"] == "promote" and tags["promoted_from"] == "1"
    assert (
        tags["promotion_reason"].startswith("promoted: ") and "0.8500" in tags["promotion_reason"]
    )
    assert tags["promoted_at"].startswith("20") and tags["promoted_by"]
    tracker.aliases["candidate"] = "3"  # a worse one is refused, and says why on its version
    registry.promote(tracker, "triage", "triage", None, reason="nightly")  # type: ignore[arg-type]
    assert tracker.aliases["champion"] == "2"
    assert tracker.tags["3"]["promotion_refused"].startswith("nightly; kept the champion")
    assert "promotion_kind" not in tracker.tags["3"]


def test_a_tie_keeps_the_champion_and_force_overrides_it(
    scores: dict[str, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    scores.update({"1": 0.85, "2": 0.85})
    tracker = FakeTracker({"champion": "1", "candidate": "2"})
    assert not registry.promote(tracker, "triage", "triage", None).promoted  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="--reason"):
        registry.promote(tracker, "triage", "triage", None, force=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="--reason"):
        registry.promote(tracker, "triage", "triage", None, force=True, reason=" ")  # type: ignore[arg-type]
    signed: list[tuple[str, bytes | None]] = []
    monkeypatch.setattr(registry, "signing_key", lambda: b"key")
    monkeypatch.setattr(
        registry, "sign_version", lambda t, name, version, key: signed.append((version, key))
    )
    monkeypatch.setattr(registry, "task_training", lambda task: pytest.fail("force compares"))
    decision = registry.promote(
        tracker,  # type: ignore[arg-type]
        "triage",
        "triage",
        None,
        force=True,
        reason="v1 mislabels chest pain",
    )
    assert decision.promoted and tracker.aliases["champion"] == "2"
    assert signed == [("2", b"key")]  # signed like an ordinary promotion
    tags = tracker.tags["2"]
    assert tags["promotion_kind"] == "force" and tags["promoted_from"] == "1"
    assert "v1 mislabels chest pain" in tags["promotion_reason"]


def test_rollback_to_previous_and_to_a_version(
    scores: dict[str, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    scores.update({"1": 0.80, "2": 0.85})
    tracker = FakeTracker({"champion": "1", "candidate": "2"})
    with pytest.raises(LookupError, match="promoted_from"):  # the first champion has no previous
        registry.rollback(tracker, "triage", "previous", "bad")  # type: ignore[arg-type]
    registry.promote(tracker, "triage", "triage", None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="--reason"):
        registry.rollback(tracker, "triage", "previous", None)  # type: ignore[arg-type]
    signed: list[str] = []
    monkeypatch.setattr(registry, "sign_version", lambda t, n, version, key: signed.append(version))
    back = registry.rollback(tracker, "triage", "previous", "alert storm in ward 3")  # type: ignore[arg-type]
    assert back.promoted and tracker.aliases["champion"] == "1" and signed == ["1"]
    tags = tracker.tags["1"]
    assert tags["promotion_kind"] == "rollback" and tags["promoted_from"] == "2"
    assert "alert storm in ward 3" in tags["promotion_reason"]
    # "previous" again undoes the rollback; a named version works too
    registry.rollback(tracker, "triage", "previous", "false alarm")  # type: ignore[arg-type]
    assert tracker.aliases["champion"] == "2"
    registry.rollback(tracker, "triage", "3", "try v3")  # type: ignore[arg-type]
    assert tracker.aliases["champion"] == "3" and tracker.tags["3"]["promoted_from"] == "2"
    with pytest.raises(LookupError, match="no triage version 9"):
        registry.rollback(tracker, "triage", "9", "typo")  # type: ignore[arg-type]
    same = registry.rollback(tracker, "triage", "3", "again")  # type: ignore[arg-type]
    assert not same.promoted and "already @champion" in same.reason


def test_cli_promote_force_and_rollback(
    scores: dict[str, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from training import tracking
    from training.__main__ import app

    scores.update({"1": 0.85, "2": 0.85})
    tracker = FakeTracker({"champion": "1", "candidate": "2"})
    monkeypatch.setattr(tracking, "Tracker", lambda *args: tracker)
    runner = CliRunner()
    refused = runner.invoke(app, ["promote", "triage", "--force"])
    assert refused.exit_code == 2 and "--reason" in refused.output
    forced = runner.invoke(app, ["promote", "triage", "--force", "--reason", "tie, newer data"])
    assert forced.exit_code == 0, forced.output
    assert "forced" in forced.output and tracker.aliases["champion"] == "2"
    back = runner.invoke(app, ["rollback", "triage", "--to", "previous", "--reason", "oops"])
    assert back.exit_code == 0, back.output
    assert tracker.aliases["champion"] == "1" and "rolled back" in back.output
    missing = runner.invoke(app, ["rollback", "triage", "--to-version", "7", "--reason", "x"])
    assert missing.exit_code == 2 and "no triage version 7" in missing.output
    no_reason = runner.invoke(app, ["rollback", "triage", "--to", "2"])
    assert no_reason.exit_code != 0 and tracker.aliases["champion"] == "1"
