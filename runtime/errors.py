"""Errors raised while loading or checking a bundle. Each names the file and field at fault."""

from __future__ import annotations


class BundleError(Exception):
    """A bundle cannot be used: missing, malformed or not what the caller expected."""


class ChecksumMismatch(BundleError):
    """A file of a bundle differs from the sha256 recorded in its manifest."""

    def __init__(self, bundle: str, file: str, expected: str, actual: str) -> None:
        self.bundle = bundle
        self.file = file
        super().__init__(
            f"bundle {bundle}: file {file!r} was altered after export "
            f"(manifest says {expected}, file has {actual}); refusing to load"
        )


class SchemaMismatch(BundleError):
    """The ONNX graph's inputs or outputs differ from what the manifest declares."""


class SelfTestFailed(BundleError):
    """The bundle's golden examples (examples.jsonl) no longer give the recorded outputs."""
