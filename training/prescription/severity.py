"""The severity scale the learned pair models predict, and its integer codes.

SEVERITIES = ("major", "moderate", "minor") is the column order of every severity output (the
torch net, the class-pair prior, the ONNX graph, the bundle manifest). A contraindication is the
knowledge base's word alone; the models predict up to "major".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEVERITIES = ("major", "moderate", "minor")
SEVERITY_CODE = {level: i for i, level in enumerate(SEVERITIES)}


def level_codes(levels: pd.Series) -> np.ndarray:
    """major/moderate/minor -> 0/1/2; unknown (listed, not graded) -> -1."""
    return np.array([SEVERITY_CODE.get(level, -1) for level in levels], dtype=np.int64)
