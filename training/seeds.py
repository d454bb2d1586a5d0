"""One seeding function for every training run."""

from __future__ import annotations

import os
import random

import numpy as np


def set_seeds(seed: int) -> None:
    """Seed every generator a pipeline uses and ask torch for deterministic kernels.

    Called once at the start of a run, before any data is split or any model is built, so that
    the same config gives the same bundle. `warn_only`: a kernel without a deterministic variant
    warns instead of failing the run (none is used on CPU today).
    """
    random.seed(seed)
    np.random.seed(seed)
    # cuBLAS needs this set before its first call to be deterministic; harmless on CPU
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    import torch

    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
