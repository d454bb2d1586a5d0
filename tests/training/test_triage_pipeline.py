"""The triage pipeline end to end on the demo set: train -> export -> parity -> bundle -> MLflow
registry -> promote -> pull -> torch-free predictor. Runs the real code with tiny settings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from runtime.bundle import load_bundle
from runtime.errors import BundleError, ChecksumMismatch
from triage import TriagePredictor, TriageRequest

FAMILIES = {"triage.tfidf_logreg.v1", "triage.bert_classifier.v1", "triage.tfidf_mlp.v1"}


def test_triage_pipeline_trains_three_families_on_the_same_split(
    triage_run: dict[str, Any],
) -> None:
    assert {f["architecture"] for f in triage_run["families"]} == FAMILIES
    rows = {
        json.dumps(load_bundle(f["bundle"]).manifest.data["rows"], sort_keys=True)
        for f in triage_run["families"]
    }
    assert len(rows) == 1, "all families must be evaluated on the same split"
    assert triage_run["deployed"]["architecture"] in FAMILIES
    assert triage_run["deployed"]["registered"].endswith("@candidate")


@pytest.mark.parametrize("architecture", sorted(FAMILIES))
def test_triage_pipeline_every_family_bundle_is_complete_and_self_tests(
    triage_run: dict[str, Any], architecture: str
) -> None:
    family = next(f for f in triage_run["families"] if f["architecture"] == architecture)
    predictor = TriagePredictor.from_bundle(family["bundle"])  # replays examples.jsonl
    manifest = predictor.bundle.manifest
    assert manifest.architecture == architecture
    assert manifest.metrics["parity_max_abs_diff"] <= 1e-4
    assert set(manifest.files) >= {
        "model.onnx",
        "labels.json",
        "urgency.json",
        "urgency_model.onnx",
        "urgency_vocab.json",
        "MODEL_CARD.md",
        "examples.jsonl",
    }
    backstop = manifest.postprocessing["urgency"]["backstop"]
    assert 0 < backstop["threshold"] < 1
    assert manifest.metrics["urgency_backstop"]["parity_max_abs_diff"] <= 1e-4
    assert predictor.labels == sorted(predictor.labels)
    assert manifest.postprocessing["temperature"] > 0
    assert 0 <= manifest.postprocessing["abstain_threshold"] < 1
    for key in ("accuracy", "macro_f1", "top3_accuracy", "ece"):
        assert key in manifest.metrics["test"]["overall"]
    assert {"age_child_0_9", "length_short_lt60"} <= set(manifest.metrics["test"]["slices"])
    card = (Path(family["bundle"]) / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert (
        "Not a diagnosis" in card and "Metrics by Slice" in card and manifest.bundle_version in card
    )
    examples = (Path(family["bundle"]) / "examples.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(examples) >= 5


def test_triage_pipeline_answers_follow_the_contract(triage_bundle: Path) -> None:
    predictor = TriagePredictor.from_bundle(triage_bundle)
    results = predictor.predict(
        [
            TriageRequest(id="1", text="咳嗽三天有痰", age=30),
            TriageRequest(id="2", text="胸口剧烈疼痛，疼到左臂，满头大汗", age=60, sex="M"),
        ]
    )
    assert [r.id for r in results] == ["1", "2"]
    for result in results:
        probabilities = [d.probability for d in result.departments]
        assert len(result.departments) == 5 and probabilities == sorted(probabilities, reverse=True)
        assert all(d.name in predictor.labels for d in result.departments)
        assert result.model.version == predictor.bundle.version
    assert results[1].urgency == "emergency" and results[1].red_flags
    assert results[1].triage_level == "emergency_ambulance"
    typed = "胸口剧烈疼痛，疼到左臂，满头大汗"
    assert all(r.evidence == typed[r.start : r.end] for r in results[1].reasons)
    assert results[0].urgency == "routine" and results[0].red_flags == []
    assert results[0].triage_level in {"consultation", "self_care"} and results[0].reasons == []


def test_triage_pipeline_batch_equals_single(triage_bundle: Path) -> None:
    predictor = TriagePredictor.from_bundle(triage_bundle)
    requests = [
        TriageRequest(id=str(i), text=t, age=a)
        for i, (t, a) in enumerate([("头痛", 30), ("宝宝发烧" * 30, 1), ("rash on arms", None)])
    ]
    batch = predictor.predict(requests)
    single = [predictor.predict([r])[0] for r in requests]
    for a, b in zip(batch, single, strict=True):
        assert [d.name for d in a.departments] == [d.name for d in b.departments]
        for x, y in zip(a.departments, b.departments, strict=True):
            assert x.probability == pytest.approx(y.probability, abs=1e-5)


def test_triage_pipeline_altered_bundle_is_refused_naming_the_file(
    triage_bundle: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "bundle"
    shutil.copytree(triage_bundle, copy)
    with (copy / "model.onnx").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ChecksumMismatch, match=r"model.onnx"):
        TriagePredictor.from_bundle(copy)


def test_triage_pipeline_changed_golden_output_fails_the_self_test(
    triage_bundle: Path, tmp_path: Path
) -> None:
    from runtime.bundle import write_bundle

    original = load_bundle(triage_bundle)
    lines = [
        json.loads(x)
        for x in (triage_bundle / "examples.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    lines[0]["expected"]["departments"][0]["probability"] += 0.05
    files = {name: triage_bundle / name for name in original.manifest.files}
    files["examples.jsonl"] = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n"  # type: ignore[assignment]
    manifest = original.manifest.model_dump(exclude={"files"})
    write_bundle(tmp_path / "b", manifest, files)
    with pytest.raises(BundleError, match="golden-01"):
        TriagePredictor.from_bundle(tmp_path / "b")


def test_triage_pipeline_registry_promote_and_pull(
    triage_run: dict[str, Any], tracking_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runtime.signing import generate_key_pair, verify_signature
    from training.registry import promote, pull
    from training.tracking import Tracker

    tracker = Tracker(tracking_uri)
    monkeypatch.setenv("HOSPITAL_SIGNING_KEY", str(tmp_path / "missing.key"))
    with pytest.raises(FileNotFoundError):  # a wrong key path moves nothing
        promote(tracker, "triage", "triage", data_dir=None)
    assert tracker.alias_version("triage", "champion") is None
    private, public = generate_key_pair(tmp_path / "keys")
    monkeypatch.setenv("HOSPITAL_SIGNING_KEY", str(private))
    first = promote(tracker, "triage", "triage", data_dir=None)
    assert first.promoted and "no champion" in first.reason
    again = promote(tracker, "triage", "triage", data_dir=None)
    assert not again.promoted and "already @champion" in again.reason
    target = pull(tracker, "triage", "champion", tmp_path / "models" / "triage")
    assert (tmp_path / "models/triage/current").resolve() == target.resolve()
    pulled = TriagePredictor.from_bundle(tmp_path / "models/triage/current")
    assert pulled.bundle.bundle_hash == load_bundle(triage_run["deployed"]["bundle"]).bundle_hash
    verify_signature(target, public.read_bytes())  # signed at promotion, written by pull

    # a champion without a signature (promoted before signing existed) is signed by `sign`
    from typer.testing import CliRunner

    from training.__main__ import app

    version = tracker.alias_version("triage", "champion").version
    tracker.client.delete_model_version_tag("triage", version, "manifest_signature")
    unsigned = pull(tracker, "triage", "champion", tmp_path / "models" / "triage")
    assert not (unsigned / "manifest.sig").exists()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    signed = CliRunner().invoke(app, ["sign", "triage"])
    assert signed.exit_code == 0, signed.output
    verify_signature(
        pull(tracker, "triage", "champion", tmp_path / "models" / "triage"), public.read_bytes()
    )


def test_triage_pipeline_registered_pyfunc_wraps_the_bundle(
    triage_run: dict[str, Any], tracking_uri: str
) -> None:
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    model = mlflow.pyfunc.load_model("models:/triage@candidate")
    answers = model.predict([{"id": "x", "text": "皮肤起红疹很痒", "age": 20}])
    assert (
        answers[0]["id"] == "x" and answers[0]["model"]["version"] == triage_run["bundle_version"]
    )


def test_triage_pipeline_run_is_logged_with_params_metrics_and_plots(
    triage_run: dict[str, Any], tracking_uri: str
) -> None:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri)
    parent = client.get_run(triage_run["mlflow_run_id"])
    assert parent.data.params["data_source"] == "demo"
    children = client.search_runs(
        [parent.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    )
    assert len(children) == 3
    for child in children:
        assert "test.accuracy" in child.data.metrics and "val.ece" in child.data.metrics
        assert "test.selective_accuracy" in child.data.metrics
        artifacts = {a.path for a in client.list_artifacts(child.info.run_id, "plots")}
        assert artifacts == {"plots/confusion_matrix.png", "plots/reliability_diagram.png"}
