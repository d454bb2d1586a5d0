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
from dataclasses import dataclass
from pathlib import Path

from runtime.bundle import MANIFEST_NAME, load_bundle
from runtime.signing import SIGNATURE_NAME, sign_manifest
from training.pipeline import task_training
from training.tracking import Tracker

logger = logging.getLogger(__name__)


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
        evaluator = task_training(task).promotion_metrics
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
