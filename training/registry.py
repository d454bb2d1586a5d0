"""Promotion and pulling of registered bundles.

`promote` moves `@champion` to `@candidate` only when the candidate beats the champion on the
fixed evaluation split (the hash-of-id test split of the candidate's data), re-scoring both
bundles with the torch-free predictors so the comparison is what serving would see; `--force`
moves it without comparing, and `rollback` points it back at an earlier version, both with a
required reason. Each move records why, when, by whom and from which version as tags on the
version that becomes champion.
`pull` copies a bundle out of MLflow onto disk and points `<into>/current` at it atomically.
"""

from __future__ import annotations

import getpass
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from runtime.bundle import MANIFEST_NAME, load_bundle
from runtime.signing import SIGNATURE_NAME, sign_manifest
from training.pipeline import task_training
from training.tracking import Tracker

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PromotionDecision:
    """The outcome of `promote` or `rollback`, with the reason printed to the user."""

    promoted: bool
    reason: str
    candidate_version: str | None
    champion_version: str | None


# Tags on the version that becomes @champion: why, when, by whom, and which version it replaced
# (`rollback --to previous` follows `promoted_from`). A refused candidate gets `promotion_refused`.
KIND_TAG = "promotion_kind"  # first | promote | force | rollback
REASON_TAG = "promotion_reason"
AT_TAG = "promoted_at"
BY_TAG = "promoted_by"
FROM_TAG = "promoted_from"  # the version that was champion before, or "none"
REFUSED_TAG = "promotion_refused"
REFUSED_AT_TAG = "promotion_refused_at"


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _make_champion(
    tracker: Tracker,
    name: str,
    version: str,
    previous: str | None,
    key: bytes | None,
    kind: str,
    reason: str,
) -> None:
    """Sign `version` (when there is a key), record why on its tags, then move @champion: the
    alias moves last, so a failed signature leaves the old champion in place."""
    sign_version(tracker, name, version, key)
    tracker.tag_version(
        name,
        version,
        {
            KIND_TAG: kind,
            REASON_TAG: reason,
            AT_TAG: _now(),
            BY_TAG: _who(),
            FROM_TAG: previous or "none",
        },
    )
    tracker.set_alias(name, "champion", version)


def _need_reason(reason: str | None, what: str) -> str:
    if not reason or not reason.strip():
        raise ValueError(f"{what} needs --reason: say why, it is kept on the model version")
    return reason.strip()


def promote(
    tracker: Tracker,
    task: str,
    name: str,
    data_dir: str | None,
    min_delta: float = 0.0,
    force: bool = False,
    reason: str | None = None,
) -> PromotionDecision:
    """Move `name@champion` to `name@candidate` if the candidate is better; say why either way.
    `force` moves it without comparing (a `reason` is required). The decision is kept as tags
    on the version (see `REASON_TAG` and the others). A new champion is signed with
    HOSPITAL_SIGNING_KEY when it is set (checked first, so a wrong key path stops before
    anything moves).

    Comparison: metrics in the task's order; the first whose candidate and champion scores
    differ by more than `min_delta` decides, and the candidate wins only if it is higher by
    more than `min_delta`. A tie (no metric differs by more than `min_delta`) keeps the champion.
    """
    if force:
        reason = _need_reason(reason, "--force")
    key = signing_key()
    candidate = tracker.alias_version(name, "candidate")
    if candidate is None:
        return PromotionDecision(False, f"no {name}@candidate registered; train first", None, None)
    champion = tracker.alias_version(name, "champion")
    if champion is not None and champion.version == candidate.version:
        return PromotionDecision(
            False,
            f"{name} v{candidate.version} is already @champion",
            candidate.version,
            champion.version,
        )
    note = f"{reason}; " if reason else ""
    if force:
        previous = champion.version if champion is not None else None
        return _force(tracker, name, candidate.version, previous, key, reason)
    if champion is None:
        text = f"no champion yet: {name} v{candidate.version} becomes @champion"
        _make_champion(tracker, name, candidate.version, None, key, "first", note + text)
        return PromotionDecision(True, text, candidate.version, None)
    candidate_scores, champion_scores = _rescore(
        tracker, task, name, (candidate.version, champion.version), data_dir
    )
    decided = _deciding_metric(candidate_scores, champion_scores, min_delta)
    new, old = candidate_scores[decided], champion_scores[decided]
    detail = (
        f"on the fixed evaluation split (n={int(candidate_scores.get('n', 0))}), candidate "
        f"v{candidate.version} vs champion v{champion.version}: "
        f"{_shown(candidate_scores, champion_scores)}; decided by {decided}"
    )
    if new > old + min_delta:
        text = f"promoted: {detail}"
        _make_champion(
            tracker, name, candidate.version, champion.version, key, "promote", note + text
        )
        return PromotionDecision(True, text, candidate.version, champion.version)
    text = f"kept the champion: {detail} (needs {decided} > {old + min_delta:.4f})"
    tracker.tag_version(name, candidate.version, {REFUSED_TAG: note + text, REFUSED_AT_TAG: _now()})
    return PromotionDecision(False, text, candidate.version, champion.version)


def _force(
    tracker: Tracker,
    name: str,
    version: str,
    previous: str | None,
    key: bytes | None,
    reason: str | None,
) -> PromotionDecision:
    """Make `version` champion without comparing; `reason` is kept in the recorded text."""
    text = (
        f"forced by {_who()}: {name} v{version} becomes @champion "
        f"(was {f'v{previous}' if previous else 'none'}) without comparison: {reason}"
    )
    _make_champion(tracker, name, version, previous, key, "force", text)
    return PromotionDecision(True, text, version, previous)


def _rescore(
    tracker: Tracker, task: str, name: str, versions: tuple[str, str], data_dir: str | None
) -> tuple[dict[str, float], dict[str, float]]:
    """The candidate's and the champion's promotion metrics, both on the candidate's fixed
    evaluation split, from bundles downloaded to a scratch folder that is removed after."""
    scratch = Path(tempfile.mkdtemp(prefix="promote-"))
    try:
        candidate_path = tracker.download_bundle(name, versions[0], scratch / "candidate")
        champion_path = tracker.download_bundle(name, versions[1], scratch / "champion")
        candidate_bundle = load_bundle(candidate_path)
        evaluator = task_training(task).promotion_metrics
        candidate_scores = evaluator(candidate_path, candidate_bundle, data_dir)
        champion_scores = evaluator(champion_path, candidate_bundle, data_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return candidate_scores, champion_scores


def _deciding_metric(
    candidate_scores: dict[str, float], champion_scores: dict[str, float], min_delta: float
) -> str:
    """Metrics compare in order: the first that differs (by more than min_delta) decides; with
    none, the first."""
    metrics = [m for m in candidate_scores if m != "n"]
    return next(
        (m for m in metrics if abs(candidate_scores[m] - champion_scores[m]) > min_delta),
        metrics[0],
    )


def _shown(candidate_scores: dict[str, float], champion_scores: dict[str, float]) -> str:
    """Each compared metric as 'name candidate vs champion', in the task's order."""
    return ", ".join(
        f"{m} {candidate_scores[m]:.4f} vs {champion_scores[m]:.4f}"
        for m in candidate_scores
        if m != "n"
    )


def rollback(tracker: Tracker, name: str, to: str, reason: str | None) -> PromotionDecision:
    """Point `name@champion` back at version `to`, or at the version that was champion before
    the current one when `to` is "previous" (the current champion's `promoted_from` tag); signed
    and tagged like a promotion (kind `rollback`). Rolling back to "previous" twice returns to
    where it started: the rolled-back-from version is the new champion's `promoted_from`.

    Raises:
        ValueError: no reason given.
        LookupError: no champion, no previous one recorded, or no such version.
    """
    reason = _need_reason(reason, "rollback")
    key = signing_key()
    champion = tracker.alias_version(name, "champion")
    if champion is None:
        raise LookupError(f"no {name}@champion in the registry at {tracker.uri}")
    if to == "previous":
        target = (champion.tags or {}).get(FROM_TAG)
        if not target or target == "none":
            raise LookupError(
                f"{name} v{champion.version} has no {FROM_TAG} tag (promoted before rollback "
                "was recorded, or the first champion): name the version with --to N"
            )
    else:
        target = to
    if tracker.model_version(name, target) is None:
        raise LookupError(f"no {name} version {target} in the registry at {tracker.uri}")
    if target == champion.version:
        return PromotionDecision(
            False, f"{name} v{target} is already @champion", target, champion.version
        )
    text = (
        f"rolled back by {_who()}: {name} v{target} becomes @champion "
        f"(was v{champion.version}): {reason}"
    )
    _make_champion(tracker, name, target, champion.version, key, "rollback", text)
    return PromotionDecision(True, text, target, champion.version)


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
