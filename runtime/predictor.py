"""The predictor contract every task implements, and the one loading path they share.

A predictor is one verified bundle ready to answer requests:

    from_bundle(path, threads=1, self_test=True, **options) -> predictor
    predict(requests) -> results          (in order; one result per request)
    self_test()                           (replay examples.jsonl; SelfTestFailed if changed)
    model_ref                             (name and version every answer carries)
    headline_metrics()                    (the figures /v1/models shows an on-call engineer)

`BundlePredictor.from_bundle` is the loading path written once: verify the bundle (sha256 of
every file, task), let the task build itself from it (`_build`), turn a bad table or setting
into a BundleError that names the bundle, replay the golden examples, then apply options that
must not change the golden answers (`_configure`, e.g. a hospital's department map).

Manifest sections a predictor reads are pydantic models (`ManifestSection`) that training
writes with the same class, so a key written by one side is a key read by the other; a
missing or mistyped key refuses the bundle instead of falling back to a default.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, Self, runtime_checkable

from pydantic import BaseModel, ConfigDict, ValidationError

from runtime.bundle import Bundle, load_bundle
from runtime.errors import BundleError, SelfTestFailed
from runtime.schema import ModelRef

logger = logging.getLogger(__name__)


@runtime_checkable
class Predictor(Protocol):
    """What the CLIs, the frame scorer, the pyfunc wrapper and the service rely on."""

    task: ClassVar[str]
    bundle: Bundle

    @classmethod
    def from_bundle(cls, path: str | Path, **options: Any) -> Any: ...

    def predict(self, requests: Sequence[Any]) -> list[Any]: ...

    def self_test(self) -> None: ...

    @property
    def model_ref(self) -> ModelRef: ...

    def headline_metrics(self) -> dict[str, Any]: ...


class ManifestSection(BaseModel):
    """A typed part of manifest.json (`preprocessing` or `postprocessing`) of one task.

    Training builds it and writes `to_manifest()`; the predictor reads it with `read`, which
    refuses the bundle when a key is missing, unknown or of the wrong type.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    @classmethod
    def read(cls, bundle: Bundle, where: Literal["preprocessing", "postprocessing"]) -> Self:
        """Validate the bundle's `where` section; a BundleError names every bad key."""
        try:
            return cls.model_validate(getattr(bundle.manifest, where))
        except ValidationError as exc:
            problems = "; ".join(
                f"{where}.{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
                for error in exc.errors()
            )
            raise BundleError(f"bundle {bundle.path}: {problems}") from exc

    def to_manifest(self) -> dict[str, Any]:
        """The JSON the manifest stores."""
        return self.model_dump(mode="json")


# What a task's `_build` may raise on a malformed table or setting: all become BundleError.
BUILD_ERRORS: tuple[type[Exception], ...] = (KeyError, ValueError, TypeError, IndexError)


class BundlePredictor:
    """Base of the three predictors: the shared `from_bundle`, `model_ref` and self-test loop.

    A subclass sets `task`, implements `_build` (the bundle -> the predictor, constructor only
    storing what it is given), `predict`, and `_compare` (a recorded answer vs a fresh one), and
    may override `_configure` (load options applied after the self-test) and `headline_metrics`.
    """

    task: ClassVar[str] = ""
    bundle: Bundle

    @classmethod
    def from_bundle(
        cls, path: str | Path, *, threads: int = 1, self_test: bool = True, **options: Any
    ) -> Self:
        """Load and verify a bundle of this task.

        Args:
            path: the bundle folder.
            threads: onnxruntime intra-op threads.
            self_test: replay examples.jsonl and refuse the bundle if any answer changed.
            options: the task's load options (applied after the self-test: golden answers are
                recorded under the bundle's own settings).

        Raises:
            BundleError: missing, altered, malformed, or failing its self-test.
        """
        bundle = load_bundle(path, expected_task=cls.task)
        try:
            predictor = cls._build(bundle, threads)
        except BundleError:
            raise
        except BUILD_ERRORS as exc:
            raise BundleError(f"bundle {path}: unusable table or setting: {exc!r}") from exc
        if self_test:
            predictor.self_test()
        predictor._configure(**options)
        logger.info(
            "loaded %s bundle %s (%s)", cls.task, bundle.version, bundle.manifest.architecture
        )
        return predictor

    @classmethod
    def _build(cls, bundle: Bundle, threads: int) -> Self:
        raise NotImplementedError

    def _configure(self, **options: Any) -> None:
        if options:
            raise TypeError(f"{type(self).__name__}: unknown load options {sorted(options)}")

    @property
    def model_ref(self) -> ModelRef:
        """The name and version every answer carries."""
        return ModelRef(name=self.bundle.manifest.name, version=self.bundle.version)

    def predict(self, requests: Sequence[Any]) -> list[Any]:
        raise NotImplementedError

    def headline_metrics(self) -> dict[str, Any]:
        """The few figures an on-call engineer looks at (the full set is in the manifest)."""
        return {}

    # -- golden examples -------------------------------------------------------------------

    request_model: ClassVar[type[BaseModel]]

    def self_test(self) -> None:
        """Replay examples.jsonl; raise SelfTestFailed naming the first example that changed."""
        examples = self.bundle.read_jsonl("examples.jsonl")
        if not examples:
            raise SelfTestFailed(f"bundle {self.bundle.path}: examples.jsonl is empty")
        requests = [self.request_model.model_validate(e["request"]) for e in examples]
        for example, got in zip(examples, self.predict(requests), strict=True):
            problem = self._compare(example["expected"], got.model_dump())
            if problem:
                raise SelfTestFailed(
                    f"bundle {self.bundle.path}: example {example['request']['id']!r} {problem}"
                )

    @staticmethod
    def _compare(expected: dict[str, Any], got: dict[str, Any]) -> str | None:
        raise NotImplementedError
