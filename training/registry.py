"""Promotion and pulling of registered bundles.

`promote` moves `@champion` to `@candidate` only when the candidate beats the champion on the
fixed evaluation split (the hash-of-id test split of the candidate's data), re-scoring both
bundles with the torch-free predictors so the comparison is what serving would see.
`pull` copies a bundle out of MLflow onto disk and points `<into>/current` at it atomically.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runtime.bundle import MANIFEST_NAME, Bundle, load_bundle
from runtime.signing import SIGNATURE_NAME, sign_manifest
from training.tracking import Tracker

logger = logging.getLogger(__name__)

# task -> function(bundle path, candidate bundle, data_dir override) -> {metric: value}; the
# first key is the one promotion compares.
Evaluator = Callable[[Path, Bundle, str | None], dict[str, float]]


def _evaluate_triage(path: Path, candidate: Bundle, data_dir: str | None) -> dict[str, float]:
    import numpy as np

    from training.config import TriageDataConfig
    from training.triage.data import load_triage_data
    from training.triage.evaluate import core_metrics
    from triage.predictor import TriagePredictor

    data_config = TriageDataConfig.model_validate(candidate.manifest.training_config["data"])
    data_config = data_config.model_copy(update={"feedback": [], "max_train_rows": None})
    if data_dir:
        data_config = data_config.model_copy(update={"data_dir": data_dir})
    test = load_triage_data(data_config).part("test")
    predictor = TriagePredictor.from_bundle(path)
    probabilities = predictor.proba_for_buckets(list(test["text"]), list(test["age_bucket"]))
    index = {name: i for i, name in enumerate(predictor.labels)}
    # A department the bundle does not know counts as wrong (-1 matches no column).
    y = np.array([index.get(name, -1) for name in test["department"]])
    metrics = core_metrics(probabilities, y)
    return {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"], "n": metrics["n"]}


def _evaluate_prescription(path: Path, candidate: Bundle, data_dir: str | None) -> dict[str, float]:
    """Behavioural cases passed (re-run now), then the random-split model macro-F1 and AUROC
    recorded by training on the fixed hash-seeded split."""
    from prescription.predictor import PrescriptionPredictor
    from prescription.schema import CheckRequest
    from training.prescription.golden import CASES, case_failures

    predictor = PrescriptionPredictor.from_bundle(path)
    passed = sum(
        not case_failures(
            case, predictor.checker.check(CheckRequest.model_validate(case["request"])).model_dump()
        )
        for case in CASES
    )
    random_split = predictor.bundle.manifest.metrics["splits"]["random"]["model"]
    return {
        "behaviour_passed": float(passed),
        "random_macro_f1": float(random_split["macro_f1"]),
        "random_auroc": float(random_split["auroc"]),
        "n": float(len(CASES)),
    }


def _evaluate_recommend(path: Path, candidate: Bundle, data_dir: str | None) -> dict[str, float]:
    """HR@10 and NDCG@10 of a bundle's own ranking (no safety filter) on the candidate's test
    cases, rebuilt from its data and seed; items the bundle does not know cannot be hit."""
    import numpy as np

    from recommend.predictor import RecommendPredictor
    from training.config import RecommendConfig
    from training.recommend.evaluate import cart_completion, next_item
    from training.recommend.train import load

    config = RecommendConfig.model_validate(candidate.manifest.training_config)
    if data_dir:
        config = config.model_copy(
            update={"data": config.data.model_copy(update={"data_dir": data_dir})}
        )
    loaded = load(config)
    data = loaded.data
    if config.data.task == "cart_completion":
        cases = cart_completion(
            data, config.seed, config.data.validation_percent, config.data.test_percent
        ).test
    else:
        cases = next_item(data).test
    predictor = RecommendPredictor.from_bundle(path)
    ids = data.item_ids
    gains = []
    for cart, history, ages, target in zip(
        cases.carts, cases.histories, cases.ages, cases.targets, strict=True
    ):
        baskets: list[list[str]] = [[] for _ in range(int(ages.max()) + 1)] if len(ages) else []
        for item, age in zip(history.tolist(), ages.tolist(), strict=True):
            baskets[len(baskets) - 1 - age].append(ids[item])
        top = predictor.rank([ids[i] for i in cart], baskets, 10)
        gains.append(1.0 / np.log2(top.index(ids[target]) + 2) if ids[target] in top else 0.0)
    values = np.array(gains)
    return {
        "hr@10": float((values > 0).mean()),
        "ndcg@10": float(values.mean()),
        "n": float(len(values)),
    }


EVALUATORS: dict[str, Evaluator] = {
    "triage": _evaluate_triage,
    "prescription": _evaluate_prescription,
    "recommend": _evaluate_recommend,
}


@dataclass(frozen=True)
class PromotionDecision:
    """The outcome of `promote`, with the reason printed to the user."""

    promoted: bool
    reason: str
    candidate_version: str | None
    champion_version: str | None


def promote(
    tracker: Tracker, task: str, name: str, data_dir: str | None, min_delta: float = 0.0
) -> PromotionDecision:
    """Move `name@champion` to `name@candidate` if the candidate is better; say why either way.
    A new champion is signed with HOSPITAL_SIGNING_KEY when it is set (checked first, so a wrong
    key path stops before anything moves)."""
    key = signing_key()
    candidate = tracker.alias_version(name, "candidate")
    if candidate is None:
        return PromotionDecision(False, f"no {name}@candidate registered; train first", None, None)
    champion = tracker.alias_version(name, "champion")
    if champion is None:
        tracker.set_alias(name, "champion", candidate.version)
        sign_version(tracker, name, candidate.version, key)
        return PromotionDecision(
            True,
            f"no champion yet: {name} v{candidate.version} becomes @champion",
            candidate.version,
            None,
        )
    if champion.version == candidate.version:
        return PromotionDecision(
            False,
            f"{name} v{candidate.version} is already @champion",
            candidate.version,
            champion.version,
        )
    scratch = Path(tempfile.mkdtemp(prefix="promote-"))
    try:
        candidate_path = tracker.download_bundle(name, candidate.version, scratch / "candidate")
        champion_path = tracker.download_bundle(name, champion.version, scratch / "champion")
        candidate_bundle = load_bundle(candidate_path)
        evaluator = EVALUATORS[task]
        candidate_scores = evaluator(candidate_path, candidate_bundle, data_dir)
        champion_scores = evaluator(champion_path, candidate_bundle, data_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    # Metrics compare in order: the first that differs (by more than min_delta) decides.
    metrics = [m for m in candidate_scores if m != "n"]
    decided = next(
        (m for m in metrics if abs(candidate_scores[m] - champion_scores[m]) > min_delta),
        metrics[0],
    )
    new, old = candidate_scores[decided], champion_scores[decided]
    shown = ", ".join(f"{m} {candidate_scores[m]:.4f} vs {champion_scores[m]:.4f}" for m in metrics)
    detail = (
        f"on the fixed evaluation split (n={int(candidate_scores.get('n', 0))}), candidate "
        f"v{candidate.version} vs champion v{champion.version}: {shown}; decided by {decided}"
    )
    metric = decided
    if new > old + min_delta:
        tracker.set_alias(name, "champion", candidate.version)
        sign_version(tracker, name, candidate.version, key)
        return PromotionDecision(True, f"promoted: {detail}", candidate.version, champion.version)
    return PromotionDecision(
        False,
        f"kept the champion: {detail} (needs {metric} > {old + min_delta:.4f})",
        candidate.version,
        champion.version,
    )


SIGNATURE_TAG = "manifest_signature"


def signing_key() -> bytes | None:
    """The registry's Ed25519 private key (PEM) from HOSPITAL_SIGNING_KEY (a file path), or None."""
    path = os.environ.get("HOSPITAL_SIGNING_KEY")
    if not path:
        return None
    if not Path(path).is_file():  # set but wrong: never fall back to an unsigned promotion
        raise FileNotFoundError(
            f"HOSPITAL_SIGNING_KEY={path} is not a file (python -m training keygen writes one)"
        )
    return Path(path).read_bytes()


def sign_version(tracker: Tracker, name: str, version: str, key: bytes | None) -> bool:
    """Sign a registered version's manifest and keep the signature as a version tag (`pull`
    writes it next to the manifest). Without a key the version stays unsigned, with a warning:
    a service that requires signatures will refuse it.

    Returns:
        Whether it was signed.
    """
    if key is None:
        logger.warning(
            "HOSPITAL_SIGNING_KEY is not set: %s v%s is promoted unsigned", name, version
        )
        return False
    scratch = Path(tempfile.mkdtemp(prefix="sign-"))
    try:
        folder = tracker.download_bundle(name, version, scratch)
        load_bundle(folder)  # only a bundle that verifies gets signed
        signature = sign_manifest((folder / MANIFEST_NAME).read_bytes(), key)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    tracker.client.set_model_version_tag(name, version, SIGNATURE_TAG, signature)
    logger.info("signed %s v%s", name, version)
    return True


def pull(tracker: Tracker, name: str, alias: str, into: Path) -> Path:
    """Copy `name@alias` into `into/<bundle_version>`, verify it, and repoint `into/current`.

    Returns:
        The bundle folder.
    """
    version = tracker.alias_version(name, alias)
    if version is None:
        raise LookupError(f"no {name}@{alias} in the registry at {tracker.uri}")
    scratch = Path(tempfile.mkdtemp(prefix="pull-"))
    try:
        downloaded = tracker.download_bundle(name, version.version, scratch)
        bundle = load_bundle(downloaded)
        target = into / bundle.version
        if target.exists():
            if load_bundle(target).bundle_hash != bundle.bundle_hash:
                raise RuntimeError(
                    f"{target} exists with different contents; refusing to overwrite"
                )
        else:
            into.mkdir(parents=True, exist_ok=True)
            shutil.copytree(downloaded, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    signature = (version.tags or {}).get(SIGNATURE_TAG)
    if signature:
        (target / SIGNATURE_NAME).write_text(signature + "\n", encoding="ascii")
    else:
        (target / SIGNATURE_NAME).unlink(missing_ok=True)
        logger.warning(
            "%s v%s is unsigned: a service that requires signatures refuses it",
            name,
            version.version,
        )
    load_bundle(target)
    # Swap the pointer atomically: readers see the old or the new bundle, never neither.
    link = into / "current"
    staging = into / f".current.{os.getpid()}"
    staging.unlink(missing_ok=True)
    staging.symlink_to(target.name)
    os.replace(staging, link)
    logger.info("pulled %s v%s (%s) into %s", name, version.version, bundle.version, target)
    return target
