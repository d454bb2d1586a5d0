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

FAMILIES = {
    "triage.tfidf_logreg.v1",
    "triage.bert_classifier.v1",
    "triage.tfidf_mlp.v1",
    "triage.tfidf_usem_mlp.v1",
}
DEPARTMENT_MAP = (
    Path(__file__).resolve().parents[2] / "configs/department_maps/example_hospital.yaml"
)


def _family(triage_run: dict[str, Any], architecture: str) -> Path:
    return Path(
        next(f for f in triage_run["details"]["families"] if f["architecture"] == architecture)[
            "bundle"
        ]
    )


def test_triage_pipeline_sentence_family_scores_english_from_the_embedding_alone(
    triage_run: dict[str, Any],
) -> None:
    import numpy as np

    predictor = TriagePredictor.from_bundle(_family(triage_run, "triage.tfidf_usem_mlp.v1"))
    manifest = predictor.bundle.manifest
    assert manifest.preprocessing["sentence_encoder"]["name"] == "runtime.usem3.v1"
    route = manifest.postprocessing["embedding_route"]
    assert route["temperature"] > 0 and "en_retired_holdout.jsonl" in route["calibrated_on"]
    texts = ["my knee swelled up after football", "膝盖打球后肿了"]
    feeds = predictor.encoder(texts, ["20+", "20+"])
    age_offset = predictor.encoder.featurizer.age_offset_  # type: ignore[attr-defined]
    english_ngrams = feeds["weights"][0][feeds["ids"][0] < age_offset]
    chinese_ngrams = feeds["weights"][1][feeds["ids"][1] < age_offset]
    assert not english_ngrams.any() and chinese_ngrams.any()
    assert feeds["weights"][0][feeds["ids"][0] >= age_offset].any(), "age still counts"
    assert list(predictor._ngram_route(texts)) == [False, True]
    # the route's own temperature: the same logits, scaled differently
    probabilities = predictor.proba_for_buckets(texts, ["20+", "20+"])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    shift = manifest.metrics["shift"]
    assert {"zh_shift_holdout", "en_holdout"} <= set(shift)
    assert 0 <= shift["en_holdout"]["top3_accuracy"] <= 1


@pytest.mark.parametrize("architecture", ["triage.tfidf_mlp.v1", "triage.tfidf_usem_mlp.v1"])
def test_triage_pipeline_evidence_points_at_words_of_the_complaint(
    triage_run: dict[str, Any], architecture: str
) -> None:
    predictor = TriagePredictor.from_bundle(_family(triage_run, architecture))
    text = "宝宝咳嗽三天了，晚上咳得厉害，有点发烧"
    plain, ngram, full = (
        predictor.predict([TriageRequest(id="1", text=text, age=2)], evidence=mode)[0]
        for mode in ("none", "ngram", "full")
    )
    assert plain.evidence == []
    assert ngram.departments == plain.departments, "evidence never changes the answer"
    assert ngram.evidence and all(e.source == "ngram" for e in ngram.evidence)
    for item in full.evidence:
        assert text[item.start : item.end] == item.text and item.weight > 0
    sources = {e.source for e in full.evidence}
    assert ("sentence" in sources) == (architecture == "triage.tfidf_usem_mlp.v1")
    for item in ngram.evidence:  # phrases start and end on a letter or digit
        assert item.text[0].isalnum() and item.text[-1].isalnum()
    # "auto" (the service's): occlusion only where the n-grams show nothing, as for English
    english = "my knee swelled up after football and it clicks when I walk"
    (auto,) = predictor.predict([TriageRequest(id="2", text=english)], evidence="auto")
    (chinese,) = predictor.predict([TriageRequest(id="1", text=text, age=2)], evidence="auto")
    assert chinese.evidence == ngram.evidence
    if architecture == "triage.tfidf_usem_mlp.v1":
        assert auto.evidence and {e.source for e in auto.evidence} == {"sentence"}
        for item in auto.evidence:
            assert english[item.start : item.end] == item.text


def test_triage_pipeline_department_map_answers_in_the_hospitals_clinics(
    triage_bundle: Path,
) -> None:
    plain = TriagePredictor.from_bundle(triage_bundle)
    mapped = TriagePredictor.from_bundle(triage_bundle, department_map=DEPARTMENT_MAP)
    request = TriageRequest(id="1", text="孩子咳嗽发烧两天", age=3)
    before, after = plain.predict([request])[0], mapped.predict([request])[0]
    assert after.department_map == "example-hospital-2026-12" and before.department_map is None
    full = plain.proba_for_buckets(["孩子咳嗽发烧两天"], ["0+"])[0]
    children = sum(
        p for label, p in zip(plain.labels, full, strict=True) if label.startswith("小儿")
    )
    clinic = next(d for d in after.departments if d.name == "儿科")
    assert clinic.probability == pytest.approx(children, abs=1e-5)
    assert clinic.model_labels and all(label.startswith("小儿") for label in clinic.model_labels)
    assert after.abstain == before.abstain, "abstaining stays the model's own decision"
    bad = triage_bundle.parent / "bad_map.yaml"
    bad.write_text("version: x\nrules:\n  - {labels: [不存在的科], clinic: x}\n", "utf-8")
    with pytest.raises(BundleError, match="不存在的科"):
        TriagePredictor.from_bundle(triage_bundle, department_map=bad)


def test_triage_pipeline_trains_three_families_on_the_same_split(
    triage_run: dict[str, Any],
) -> None:
    assert {f["architecture"] for f in triage_run["details"]["families"]} == FAMILIES
    rows = {
        json.dumps(load_bundle(f["bundle"]).manifest.data["rows"], sort_keys=True)
        for f in triage_run["details"]["families"]
    }
    assert len(rows) == 1, "all families must be evaluated on the same split"
    assert triage_run["architecture"] in FAMILIES
    assert triage_run["registered"].endswith("@candidate")


@pytest.mark.parametrize("architecture", sorted(FAMILIES))
def test_triage_pipeline_every_family_bundle_is_complete_and_self_tests(
    triage_run: dict[str, Any], architecture: str
) -> None:
    family = next(f for f in triage_run["details"]["families"] if f["architecture"] == architecture)
    predictor = TriagePredictor.from_bundle(family["bundle"])  # replays examples.jsonl
    manifest = predictor.bundle.manifest
    assert manifest.architecture == architecture
    assert manifest.metrics["parity_max_abs_diff"] <= 1e-4
    # every output of the graph (the MLPs' evidence outputs too) was compared, each with a figure
    by_output = manifest.metrics["parity_max_abs_diff_by_output"]
    assert set(by_output) == {o.name for o in manifest.outputs}
    assert max(by_output.values()) == manifest.metrics["parity_max_abs_diff"]
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
    assert pulled.bundle.bundle_hash == load_bundle(triage_run["bundle"]).bundle_hash
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
    import pandas as pd

    answers = model.predict(pd.DataFrame([{"id": "x", "text": "皮肤起红疹很痒", "age": 20}]))
    first = answers.to_dict("records")[0]
    assert first["id"] == "x" and first["error"] is None
    assert json.loads(first["model"])["version"] == triage_run["bundle_version"]


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
    assert len(children) == len(FAMILIES)
    for child in children:
        assert "test.accuracy" in child.data.metrics and "val.ece" in child.data.metrics
        # every family side by side on the shift sets, in MLflow
        assert "shift.en_holdout.top3_accuracy" in child.data.metrics
        assert "shift.zh_shift_holdout.accuracy" in child.data.metrics
        assert "test.selective_accuracy" in child.data.metrics
        artifacts = {a.path for a in client.list_artifacts(child.info.run_id, "plots")}
        assert artifacts == {"plots/confusion_matrix.png", "plots/reliability_diagram.png"}


def test_triage_pipeline_sentence_family_serves_without_the_heavy_stack(
    triage_run: dict[str, Any],
) -> None:
    """Loading and scoring with the encoder-backed bundle imports none of the training stack."""
    import subprocess
    import sys

    bundle = _family(triage_run, "triage.tfidf_usem_mlp.v1")
    code = (
        "import json, sys\n"
        "from triage import TriagePredictor, TriageRequest\n"
        f"p = TriagePredictor.from_bundle({str(bundle)!r})\n"
        "r = TriageRequest(id='1', text='my chest hurts when I breathe')\n"
        "p.predict([r], evidence='full')\n"
        "heavy = ('torch', 'transformers', 'sklearn', 'pandas', 'mlflow', 'scipy')\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
