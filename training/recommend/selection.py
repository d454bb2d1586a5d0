"""Which recommender is deployed: fit and evaluate every configured model on the same split, tune
the blend of item graphs and the blend + SASRec hybrid on validation, and pick the best on the
validation metric (or the one `deploy.force` names)."""

from __future__ import annotations

import inspect
import logging
import resource
import time
from dataclasses import dataclass
from typing import Any

from recommend.manifest import HYBRID, SASREC
from training.config import ConfigError, RecommendConfig, RecommendModelConfig
from training.progress import progress
from training.recommend.data import Baskets
from training.recommend.evaluate import TaskData, evaluate
from training.recommend.models import ALS, EASE, ItemGraph, ItemKNN, Popularity, Transition
from training.recommend.spark_fit import SparkALS, SparkCooccurrence
from training.recommend.tune import tune_blend

logger = logging.getLogger(__name__)

ARCHITECTURES: dict[str, Any] = {
    "recommend.popularity.v1": Popularity,
    "recommend.item_knn.v1": ItemKNN,
    "recommend.transition.v1": Transition,
    "recommend.ease.v1": EASE,
    "recommend.als.v1": ALS,
    # trained as Spark jobs (pyspark and Java 17 needed only when a config names them)
    "recommend.spark_cooccurrence.v1": SparkCooccurrence,
    "recommend.spark_als.v1": SparkALS,
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_model(spec: RecommendModelConfig, seed: int) -> Any:
    """The unfitted model a config entry names (seeded when its class takes a seed)."""
    if spec.architecture == SASREC:
        from training.recommend.sasrec import SASRec

        cls: Any = SASRec
    else:
        cls = ARCHITECTURES[spec.architecture]
    params = dict(spec.params)
    if "seed" in inspect.signature(cls).parameters:
        params.setdefault("seed", seed)
    try:
        return cls(**params)
    except TypeError as exc:
        raise ConfigError(f"model {spec.name!r} ({spec.architecture}): {exc}") from exc


def fit_models(
    config: RecommendConfig, task: TaskData
) -> tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, Any]]]:
    """Fit and evaluate every configured model; returns models and their metrics.

    For next item, each model is then refitted on the sequences minus only their test item and
    that refit is what `test` measures and what is deployed; `test_strict` is the first fit's.

    Returns:
        (deployable models, the first fits the blend is tuned on, metrics per model).
    """
    models: dict[str, Any] = {}
    first_fits: dict[str, Any] = {}
    metrics: dict[str, dict[str, Any]] = {}
    n_items = task.train.n_items
    for spec in progress(config.models, "fitting recommenders"):
        model = build_model(spec, config.seed)
        started = time.perf_counter()
        rss_before = _peak_rss_mb()
        if spec.architecture == SASREC:
            validation = task.validation.take(config.data.max_validation_cases, config.seed)
            model.fit(task.train, (validation.carts, validation.histories, validation.targets))
        else:
            model.fit(task.train)
        fit_seconds = time.perf_counter() - started
        metrics[spec.name] = {
            "architecture": spec.architecture,
            "fit_seconds": fit_seconds,
            "peak_rss_mb": _peak_rss_mb(),
            "rss_growth_mb": _peak_rss_mb() - rss_before,
            "validation": evaluate(model, task.validation, n_items),
            "test": evaluate(model, task.test, n_items),
        }
        first_fits[spec.name] = model
        if task.refit is not None:
            metrics[spec.name]["test_strict"] = metrics[spec.name]["test"]
            model = _refit(spec, config.seed, model, task.refit)
            metrics[spec.name]["test"] = evaluate(model, task.test, n_items)
        models[spec.name] = model
        logger.info("%s: %s", spec.name, metrics[spec.name])
    return models, first_fits, metrics


def _refit(spec: RecommendModelConfig, seed: int, first: Any, data: Baskets) -> Any:
    """The same model, refitted on more data (a sequential model for its best epoch count)."""
    if spec.architecture == SASREC:
        # no validation left to stop on: train for as many epochs as the first fit found best
        spec = spec.model_copy(
            update={"params": {**spec.params, "epochs": max(int(first.best_epoch_), 1)}}
        )
    return build_model(spec, seed).fit(data)


@dataclass
class Blended:
    """The tuned blend: built from the validation fits (what tuning and `validation` measured)
    and from the deployed fits (what `test` measures and the bundle serves)."""

    tuned: ItemGraph
    deployed: ItemGraph
    metrics: dict[str, Any]


def blend_models(
    config: RecommendConfig, task: TaskData, models: dict[str, Any], tuning: dict[str, Any]
) -> Blended | None:
    """Tune the blend on `tuning` (the models as fitted for validation), then build it from
    `models` (the deployed fits: the same objects for cart completion, refits for next item)."""
    names = config.deploy.blend.components
    if len(names) < 2:
        return None
    missing = [n for n in names if n not in models or not hasattr(models[n], "graph_")]
    if missing:
        raise ConfigError(
            f"deploy.blend.components: {missing} are not item-graph models of this run"
        )
    graphs = {name: tuning[name].graph_ for name in names}
    history_limit = config.deploy.history_baskets
    started = time.perf_counter()
    params = tune_blend(
        graphs,
        task.validation.take(config.data.max_validation_cases, config.seed),
        config.deploy.metric,
        config.deploy.blend.rounds,
        history_limit,
        uses_cart=task.task == "cart_completion",
    )
    neighbours = config.deploy.blend.neighbours
    tuned = params.build(graphs, neighbours, history_limit)
    graph = params.build({n: models[n].graph_ for n in names}, neighbours, history_limit)
    n_items = task.train.n_items
    result = {
        "architecture": "recommend.blend.v1",
        "fit_seconds": time.perf_counter() - started,
        "params": params.settings(),
        "tuning": params.trace,
        "validation": evaluate(tuned, task.validation, n_items),
        "test": evaluate(graph, task.test, n_items),
    }
    if task.refit is not None:
        result["test_strict"] = evaluate(tuned, task.test, n_items)
    logger.info("blend: %s", result)
    return Blended(tuned, graph, result)


def hybrid_model(
    config: RecommendConfig,
    task: TaskData,
    models: dict[str, Any],
    tuning: dict[str, Any],
    blended: Blended | None,
) -> tuple[Any, dict[str, Any]]:
    """Tune the blend + SASRec hybrid on the blend's validation cases; build it from the
    deployed fits (as `blend_models` does)."""
    name = config.deploy.hybrid.sequential
    if name is None:
        return None, {}
    if name not in models or getattr(models[name], "net_", None) is None or blended is None:
        raise ConfigError(
            f"deploy.hybrid.sequential: {name!r} must be a recommend.sasrec.v1 model of this run, "
            "and the run needs a blend (deploy.blend.components)"
        )
    from training.recommend.hybrid import Hybrid, tune_hybrid

    started = time.perf_counter()
    params = blended.metrics["params"]
    weight, temperature, trace = tune_hybrid(
        blended.tuned,
        tuning[name],
        task.validation.take(config.data.max_validation_cases, config.seed),
        config.deploy.metric,
    )
    tuned = Hybrid(blended.tuned, tuning[name], weight, temperature)
    deployed = Hybrid(blended.deployed, models[name], weight, temperature)
    n_items = task.train.n_items
    result = {
        "architecture": HYBRID,
        "fit_seconds": time.perf_counter() - started,
        "params": {**params, **tuned.settings()},
        "tuning": trace,
        "validation": evaluate(tuned, task.validation, n_items),
        "test": evaluate(deployed, task.test, n_items),
    }
    if task.refit is not None:
        result["test_strict"] = evaluate(tuned, task.test, n_items)
    logger.info("hybrid: %s", {k: v for k, v in result.items() if k != "tuning"})
    return deployed, result


@dataclass
class Selection:
    """What the run deploys, and every model's figures.

    Attributes:
        name: the deployed model's name (a config model, "blend" or "hybrid").
        model: the deployed model (an item-graph model, an ItemGraph, SASRec or a Hybrid).
        architecture: its architecture as `metrics` records it (recommend.blend.v1 for the blend).
        reason: why it was chosen.
        metrics: name -> architecture, fit time, validation and test figures (and tuning).
    """

    name: str
    model: Any
    architecture: str
    reason: str
    metrics: dict[str, dict[str, Any]]


def select(config: RecommendConfig, task: TaskData) -> Selection:
    """Fit every model, the blend and the hybrid; deploy the best on validation (or the forced
    one). Only item-graph models, SASRec, the blend and the hybrid can be deployed."""
    models, first_fits, metrics = fit_models(config, task)
    blended = blend_models(config, task, models, first_fits)
    candidates: dict[str, Any] = {
        name: m
        for name, m in models.items()
        if hasattr(m, "graph_") or metrics[name]["architecture"] == SASREC
    }
    if blended is not None:
        metrics["blend"] = blended.metrics
        candidates["blend"] = blended.deployed
    hybrid, hybrid_metrics = hybrid_model(config, task, models, first_fits, blended)
    if hybrid is not None:
        metrics["hybrid"] = hybrid_metrics
        candidates["hybrid"] = hybrid
    metric = config.deploy.metric
    name = max(candidates, key=lambda n: metrics[n]["validation"][metric])
    reason = f"highest validation {metric}"
    if config.deploy.force is not None:
        if config.deploy.force not in candidates:
            raise ConfigError(
                f"deploy.force: {config.deploy.force!r} is not one of {sorted(candidates)}"
            )
        name, reason = config.deploy.force, "deploy.force"
    logger.info(
        "deployed: %s (%s; validation %s %.4f)",
        name,
        reason,
        metric,
        metrics[name]["validation"][metric],
    )
    return Selection(name, candidates[name], metrics[name]["architecture"], reason, metrics)
