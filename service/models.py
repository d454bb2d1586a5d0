"""The loaded bundles, swapped atomically on reload.

Each task has one slot. A reload loads the bundle its path points at now (models/<task>/current
after a `pull`), runs the bundle's self-test, and only then replaces the slot's predictor; a
request already running keeps the predictor it started with. A bundle that fails its checksum or
self-test is refused and the old one keeps serving.

Several uvicorn workers each hold their own slots. `/admin/reload` (or SIGHUP) reloads the worker
that receives it and touches a stamp file; every worker polls the stamp and the `current` links
and follows within `reload_poll_seconds`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.bundle import load_bundle
from runtime.errors import BundleError
from runtime.signing import SIGNATURE_NAME, verify_signature
from runtime.tasks import predictor_class

logger = logging.getLogger(__name__)


@dataclass
class Slot:
    """One task's serving predictor and what is known about it."""

    task: str
    path: Path
    predictor: Any = None
    resolved: Path | None = None
    loaded_at: float | None = None
    error: str | None = None
    # (folder, manifest and signature stat) of the last refused bundle: polling skips it until
    # one of them changes, instead of re-hashing it every few seconds for ever
    refused: tuple[Any, ...] | None = None

    def info(self) -> dict[str, Any]:
        """What /v1/models shows for this task."""
        if self.predictor is None:
            return {"task": self.task, "loaded": False, "path": str(self.path), "error": self.error}
        bundle = self.predictor.bundle
        return {
            "task": self.task,
            "loaded": True,
            "name": bundle.manifest.name,
            "version": bundle.version,
            "architecture": bundle.manifest.architecture,
            "bundle_hash": bundle.bundle_hash,
            "path": str(self.resolved),
            "loaded_at": self.loaded_at,
            "metrics": _json_safe(self.predictor.headline_metrics()),
            "last_reload_error": self.error,
        }


def _json_safe(value: Any) -> Any:
    """NaN and infinity (a demo split too small to measure) as null: JSON has no NaN."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


@dataclass
class ServingModels:
    """The serving predictors, one slot per task of the task table, with reload.

    Args:
        paths: task -> bundle path.
        threads: onnxruntime threads per session.
        stamp: the file whose change tells every worker to reload.
        public_key: the registry's Ed25519 public key (PEM); bundles must carry its signature.
        allow_unsigned: development only: load bundles without checking signatures.
        options: task -> extra keyword arguments of its loader (the triage department map).
    """

    paths: dict[str, Path]
    threads: int = 1
    stamp: Path | None = None
    public_key: bytes | None = None
    allow_unsigned: bool = True
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    slots: dict[str, Slot] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stamp_seen: float = 0.0

    def __post_init__(self) -> None:
        self.slots = {task: Slot(task, path) for task, path in self.paths.items()}
        # a stamp left by an earlier reload is not news to a worker that starts after it
        if self.stamp is not None and self.stamp.exists():
            self._stamp_seen = self.stamp.stat().st_mtime

    def get(self, task: str) -> Any:
        """The serving predictor of a task, or None when none is loaded."""
        return self.slots[task].predictor

    def ready(self) -> bool:
        """Every bundle loaded and self-tested."""
        return all(slot.predictor is not None for slot in self.slots.values())

    def reload(self, force: bool = True) -> dict[str, str]:
        """Load (and self-test) each task's bundle; swap only the ones that passed.

        Args:
            force: reload even when the path still points at the loaded bundle.

        Returns:
            task -> "loaded <version>", "unchanged <version>" or "refused: <reason>".
        """
        report: dict[str, str] = {}
        with self._lock:  # one reload at a time; requests never wait on this lock
            for task, slot in self.slots.items():
                report[task] = self._reload_slot(slot, force)
        return report

    def _reload_slot(self, slot: Slot, force: bool) -> str:
        try:
            resolved = slot.path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            return self._refuse(slot, f"{slot.path}: {exc}")
        if slot.predictor is not None and resolved == slot.resolved:
            if not force:
                return f"unchanged {slot.predictor.bundle.version}"
            # Same path: verify every file's sha256 again (cheap, and off the GIL), and rebuild
            # the predictor only if the bundle is not the one already serving; rebuilding an
            # identical one would cost seconds of CPU that the requests need.
            try:
                same = load_bundle(resolved).bundle_hash == slot.predictor.bundle.bundle_hash
            except (BundleError, OSError, ValueError) as exc:
                return self._refuse(slot, str(exc), resolved)
            if same:
                return f"unchanged {slot.predictor.bundle.version}"
        if not force and slot.refused is not None and slot.refused == _fingerprint(resolved):
            return f"refused: {slot.error} (unchanged since)"
        try:
            self._check_signature(resolved)
            predictor = predictor_class(slot.task).from_bundle(
                resolved, threads=self.threads, **self.options.get(slot.task, {})
            )
        except Exception as exc:
            reason = str(exc) if isinstance(exc, BundleError) else f"{type(exc).__name__}: {exc}"
            return self._refuse(slot, reason, resolved)
        slot.predictor, slot.resolved, slot.loaded_at, slot.error, slot.refused = (
            predictor,
            resolved,
            time.time(),
            None,
            None,
        )
        logger.info("serving %s bundle %s", slot.task, predictor.bundle.version)
        return f"loaded {predictor.bundle.version}"

    def _check_signature(self, folder: Path) -> None:
        if self.allow_unsigned:
            return
        if self.public_key is None:
            raise BundleError(
                "no bundle public key is configured (HOSPITAL_BUNDLE_PUBLIC_KEY): every bundle "
                "is refused; set HOSPITAL_ALLOW_UNSIGNED_BUNDLES=true only for development"
            )
        verify_signature(folder, self.public_key)

    def _refuse(self, slot: Slot, reason: str, resolved: Path | None = None) -> str:
        slot.error = reason
        slot.refused = _fingerprint(resolved) if resolved is not None else None
        logger.error("reload %s refused, keeping the old bundle: %s", slot.task, reason)
        return f"refused: {reason}"

    def touch_stamp(self) -> None:
        """Tell the other workers to reload."""
        if self.stamp is not None:
            self.stamp.parent.mkdir(parents=True, exist_ok=True)
            self.stamp.write_text(str(time.time()))
            self._stamp_seen = self.stamp.stat().st_mtime

    def poll(self) -> None:
        """Reload when the stamp changed or a path now points at another bundle."""
        stamp_changed = False
        if self.stamp is not None and self.stamp.exists():
            mtime = self.stamp.stat().st_mtime
            stamp_changed, self._stamp_seen = mtime > self._stamp_seen, max(mtime, self._stamp_seen)
        moved = any(_resolves_elsewhere(slot) for slot in self.slots.values())
        if stamp_changed or moved:
            self.reload(force=stamp_changed)


def _resolves_elsewhere(slot: Slot) -> bool:
    try:
        resolved = slot.path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    if resolved == slot.resolved:
        return False
    return slot.refused is None or slot.refused != _fingerprint(resolved)


def _fingerprint(folder: Path) -> tuple[Any, ...]:
    """What changes when a refused bundle is replaced or repaired: its folder, its manifest's
    and signature's size and mtime."""
    parts: list[Any] = [str(folder)]
    for name in ("manifest.json", SIGNATURE_NAME):
        try:
            stat = (folder / name).stat()
            parts.append((stat.st_size, stat.st_mtime_ns))
        except OSError:
            parts.append(None)
    return tuple(parts)


class Poller(threading.Thread):
    """Background thread of one worker: `registry.poll()` every `interval` seconds."""

    def __init__(self, registry: ServingModels, interval: float) -> None:
        super().__init__(name="bundle-poller", daemon=True)
        self.registry = registry
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.registry.poll()
            except Exception:  # a poll must never kill the thread
                logger.exception("bundle poll failed")
