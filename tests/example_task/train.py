"""The fourth task's training side: its data, its one family, its evaluation; the tail is
training/pipeline.py's."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from pydantic import BaseModel, ConfigDict

from runtime.bundle import Bundle
from tests.example_task.predictor import TASK, LengthPostprocessing, LengthPredictor, LengthRequest
from training.config import TrackingConfig
from training.pipeline import (
    BundleDraft,
    Golden,
    RunSummary,
    TaskTraining,
    build_bundle,
    finish_run,
    golden_lines,
    log_bundle,
    new_run,
    register_candidate,
    timed_reload,
)
from training.seeds import set_seeds
from training.tracking import Tracker

ARCHITECTURE = "length.scale.v1"
GOLDEN = [{"id": "g1", "text": "胸痛"}, {"id": "g2", "text": "咳嗽三天，夜间加重，伴有低热和乏力"}]


class LengthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: Literal["length"] = "length"
    seed: int = 0
    output_dir: str
    texts: list[str]
    long_above: float = 1.5
    tracking: TrackingConfig = TrackingConfig(experiment="length", registered_model="length")


def scale_graph(mean_length: float) -> onnx.ModelProto:
    """relative = length * (1 / mean_length)."""
    scale = numpy_helper.from_array(np.array([1.0 / mean_length], np.float32), "scale")
    graph = helper.make_graph(
        [helper.make_node("Mul", ["length", "scale"], ["relative"])],
        "length_scale",
        [helper.make_tensor_value_info("length", TensorProto.FLOAT, ["batch", 1])],
        [helper.make_tensor_value_info("relative", TensorProto.FLOAT, ["batch", 1])],
        initializer=[scale],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def train_length(config: LengthConfig, tracker: Tracker, config_source: str) -> dict[str, Any]:
    started = time.perf_counter()
    set_seeds(config.seed)
    mean_length = float(np.mean([len(t) for t in config.texts]))
    version, run_dir = new_run(config.output_dir)
    onnx_path = run_dir / "model.onnx"
    onnx.save(scale_graph(mean_length), str(onnx_path))
    draft = BundleDraft(
        task=TASK,
        name=config.tracking.registered_model,
        architecture=ARCHITECTURE,
        version=version,
        training_config=config.model_dump(mode="json"),
        data={"source": "inline", "rows": len(config.texts)},
        onnx_path=onnx_path,
        preprocessing={},
        postprocessing=LengthPostprocessing(long_above=config.long_above).to_manifest(),
        metrics={"mean_length": mean_length},
        files={"model.onnx": onnx_path},
    )

    def golden(predictor: LengthPredictor) -> Golden:
        return Golden(golden_lines(predictor, GOLDEN))

    bundle = build_bundle(draft, run_dir / "bundle", golden, lambda m: f"# {m['architecture']}\n")
    _, load_seconds = timed_reload(bundle)
    with tracker.run(config.tracking.experiment, f"length-{version}") as run_id:
        tracker.log_params({"config_file": config_source, "seed": config.seed})
        model_uri = log_bundle(tracker, bundle)
        registered = register_candidate(
            tracker, model_uri, config.tracking.registered_model, bundle, {"run_id": run_id}
        )
    summary = RunSummary(
        task=TASK,
        bundle_version=version,
        run_dir=str(run_dir),
        bundle=str(bundle.path),
        architecture=ARCHITECTURE,
        deployed_reason="the only family",
        mlflow_run_id=run_id,
        registered=registered,
        data_source="inline",
        train_seconds=time.perf_counter() - started,
        bundle_load_seconds=load_seconds,
        details={"mean_length": mean_length},
    )
    return finish_run(config.output_dir, summary)


def promotion_metrics(path: Path, candidate: Bundle, data_dir: str | None) -> dict[str, float]:
    """Share of the golden requests called long (a stand-in for a real evaluation)."""
    predictor = LengthPredictor.from_bundle(path)
    results = predictor.predict([LengthRequest.model_validate(r) for r in GOLDEN])
    return {"long_share": float(np.mean([r.long for r in results])), "n": float(len(results))}


TASK_TRAINING = TaskTraining(
    train=train_length,
    promotion_metrics=promotion_metrics,
    describe_data=lambda config: f"{len(config.texts)} texts written inline in the config",
)
