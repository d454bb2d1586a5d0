"""The torch-free side must never import the heavy stack (DESIGN rule 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "sklearn", "pandas", "mlflow", "implicit", "scipy", "rdkit")
TORCH_FREE = (
    "runtime",
    "runtime.frames",
    "sparkjobs.score",  # pyspark and pandas only inside the job, never at import
    "triage",
    "triage.__main__",
    "triage.predictor",
    "prescription",
    "prescription.__main__",
    "prescription.predictor",
    "recommend",
    "recommend.__main__",
    "recommend.predictor",
    "service.app",
    "service.__main__",
)


@pytest.mark.parametrize("module", TORCH_FREE)
def test_import_boundaries_module_pulls_in_no_heavy_library(module: str) -> None:
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [], f"{module} imported {out.stdout.strip()}"


def test_import_boundaries_guard_detects_a_heavy_import() -> None:
    # The check above must be able to fail: importing training does pull in the heavy stack.
    code = "import json, sys, training.triage.families\nprint(json.dumps('torch' in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) is True
