"""Shared, torch-free inference core: bundle loading with checksums, ONNX sessions, batch I/O.

Never import torch, transformers, sklearn, pandas or mlflow from this package: the service and the
batch CLIs depend on it and must stay small. `tests/unit/test_import_boundaries.py` enforces this.
"""

from runtime.bundle import Bundle, Manifest, load_bundle, write_bundle
from runtime.errors import BundleError, ChecksumMismatch, SchemaMismatch, SelfTestFailed

__all__ = [
    "Bundle",
    "BundleError",
    "ChecksumMismatch",
    "Manifest",
    "SchemaMismatch",
    "SelfTestFailed",
    "load_bundle",
    "write_bundle",
]
