"""`python -m training train recommend`: fit every configured recommender on the same split,
evaluate them (full ranking), tune a blend, deploy the best on validation, export it to ONNX
with a parity check, link the catalogue to drug ingredients, and register the bundle in MLflow
as `recommend@candidate`.

Steps, top to bottom: interactions -> task split (cart completion or next item) -> fit + evaluate
each model -> blend tuned on validation -> deployed = best validation metric -> ONNX + parity ->
catalogue linking with the embedded prescription bundle -> bundle with golden examples (the
shared tail, `training.pipeline`) -> MLflow -> summary.json.

Where each step lives: `loading` (data and split), `selection` (models, blend, hybrid, the
deployed choice), `deploy` (ONNX and the typed preprocessing section), `bundle_files` (items,
users, golden requests, card), `promotion` (what `promote` compares).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from recommend.manifest import TASK, RecommendPostprocessing
from runtime.bundle import Bundle
from training.config import RecommendConfig
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
    stopwatch,
    timed_reload,
)
from training.recommend.bundle_files import (
    CatalogueLinks,
    card,
    example_requests,
    items_csv,
    link_items,
    model_rows,
    stored_baskets,
    users_csv,
)
from training.recommend.deploy import Exported, export_deployed
from training.recommend.evaluate import TaskData
from training.recommend.loading import Loaded, describe_recommend_data, load, split
from training.recommend.promotion import promotion_metrics
from training.recommend.selection import Selection, select
from training.seeds import set_seeds
from training.tracking import Tracker


def train_recommend(
    config: RecommendConfig, tracker: Tracker, config_source: str
) -> dict[str, Any]:
    """Run the whole recommender pipeline; returns the run summary (also in summary.json)."""
    set_seeds(config.seed)
    with stopwatch() as elapsed:
        loaded = load(config)
        task = split(config, loaded.data)
        chosen = select(config, task)
        version, run_dir = new_run(config.output_dir)
        exported = export_deployed(
            chosen,
            run_dir / "model.onnx",
            config.export.parity_atol,
            exclude_history=task.task == "next_item",
        )
        catalogue = link_items(config, loaded)
        draft = _draft(config, version, run_dir, loaded, task, chosen, exported, catalogue)
        requests = example_requests(loaded, task, catalogue.links, config.deploy.examples)
        rows = model_rows(chosen.metrics)
        bundle = build_bundle(
            draft,
            run_dir / "bundle",
            golden=lambda predictor: Golden(golden_lines(predictor, requests)),
            card=lambda manifest: card(manifest, rows, catalogue.stats),
        )
        _, load_seconds = timed_reload(bundle)
        with tracker.run(
            config.tracking.experiment, f"recommend-{version}", tags={"bundle_version": version}
        ) as run_id:
            _log_run(tracker, config, config_source, loaded, task, chosen, exported, catalogue)
            tracker.log_metrics({"bundle_load_seconds": load_seconds, "train_seconds": elapsed()})
            registered = register_candidate(
                tracker,
                log_bundle(tracker, bundle),
                config.tracking.registered_model,
                bundle,
                tags={"run_id": run_id, "data_source": loaded.source},
            )
        summary = _summary(run_dir, bundle, loaded, task, chosen, catalogue, (run_id, registered))
        summary.bundle_load_seconds = load_seconds
        summary.train_seconds = elapsed()
    return finish_run(config.output_dir, summary)


def _draft(
    config: RecommendConfig,
    version: str,
    run_dir: Path,
    loaded: Loaded,
    task: TaskData,
    chosen: Selection,
    exported: Exported,
    catalogue: CatalogueLinks,
) -> BundleDraft:
    """The bundle before its golden examples and card: manifest sections and files."""
    history_baskets = stored_baskets(exported.preprocessing, config.deploy.history_baskets)
    return BundleDraft(
        task=TASK,
        name=config.tracking.registered_model,
        architecture=exported.architecture,
        version=version,
        training_config=config.model_dump(mode="json"),
        data={
            "source": loaded.source,
            "description": loaded.description,
            "task": task.task,
            "items": loaded.data.n_items,
            "users": len(loaded.data.user_ids),
            "baskets": loaded.data.n_baskets,
            "train_baskets": task.train.n_baskets,
            "validation_cases": len(task.validation),
            "test_cases": len(task.test),
        },
        onnx_path=run_dir / "model.onnx",
        preprocessing=exported.preprocessing.to_manifest(),
        postprocessing=RecommendPostprocessing(
            safety_filter=catalogue.safety_bundle is not None
        ).to_manifest(),
        metrics={
            "deployed": chosen.name,
            "deploy_metric": config.deploy.metric,
            "models": chosen.metrics,
            "parity_max_abs_diff": exported.parity,
            "catalogue": catalogue.stats,
        },
        files={
            "model.onnx": run_dir / "model.onnx",
            "items.csv": items_csv(loaded.catalogue, catalogue.links, loaded.data.item_counts()),
            "users.csv": users_csv(loaded.data, history_baskets),
        },
        nested={"safety": catalogue.safety_bundle} if catalogue.safety_bundle else None,
    )


def _log_run(
    tracker: Tracker,
    config: RecommendConfig,
    config_source: str,
    loaded: Loaded,
    task: TaskData,
    chosen: Selection,
    exported: Exported,
    catalogue: CatalogueLinks,
) -> None:
    """The run's parameters, config, every model's figures and the catalogue linking."""
    metrics = chosen.metrics
    tracker.log_params(
        {
            "config_file": config_source,
            "data_source": loaded.source,
            "task": task.task,
            "deployed": chosen.name,
            **{
                f"model.{s.name}": f"{s.architecture} {json.dumps(s.params, sort_keys=True)}"
                for s in config.models
            },
            "seed": config.seed,
        }
    )
    tracker.log_dict(config.model_dump(mode="json"), "config.json")
    tracker.log_metrics(
        {
            **{
                f"{name}.{part}": dict(m[part])
                for name, m in metrics.items()
                for part in ("validation", "test")
            },
            **{f"{name}.fit_seconds": m["fit_seconds"] for name, m in metrics.items()},
            "parity_max_abs_diff": exported.parity,
            "catalogue": {k: float(v) for k, v in catalogue.stats.items()},
        }
    )
    tracker.log_dict({"models": metrics, "catalogue": catalogue.stats}, "metrics.json")


def _summary(
    run_dir: Path,
    bundle: Bundle,
    loaded: Loaded,
    task: TaskData,
    chosen: Selection,
    catalogue: CatalogueLinks,
    registration: tuple[str, str],
) -> RunSummary:
    """summary.json, timings to be filled in (`RunSummary`); `details` holds the recommender's
    own figures. `registration`: the MLflow run id and "name vN @candidate"."""
    run_id, registered = registration
    return RunSummary(
        train_seconds=0.0,
        bundle_load_seconds=0.0,
        task=TASK,
        bundle_version=bundle.version,
        run_dir=str(run_dir),
        bundle=str(bundle.path),
        architecture=bundle.manifest.architecture,
        deployed_reason=chosen.reason,
        mlflow_run_id=run_id,
        registered=registered,
        data_source=loaded.source,
        details={
            "evaluation_task": task.task,
            "deployed": chosen.name,
            "models": {
                name: {
                    "validation": m["validation"],
                    "test": m["test"],
                    "fit_seconds": m["fit_seconds"],
                }
                for name, m in chosen.metrics.items()
            },
            "catalogue": catalogue.stats,
        },
    )


TASK_TRAINING = TaskTraining(
    train=train_recommend,
    promotion_metrics=promotion_metrics,
    describe_data=describe_recommend_data,
)

__all__ = ["TASK_TRAINING", "train_recommend"]
