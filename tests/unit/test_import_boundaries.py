"""The torch-free side must never import the heavy stack (DESIGN rule 2), and the packages
import each other one way only: training/ and service/ may import consultations/, training/ never
imports service/, and consultations/ imports neither."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.source_scan import imported_names

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ("torch", "transformers", "sklearn", "pandas", "mlflow", "implicit", "scipy", "rdkit")
TORCH_FREE = (
    "runtime",
    "runtime.frames",
    "consultations",
    "consultations.store",
    "consultations.export",
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


def imported_packages(source: str) -> set[str]:
    """Top-level packages a module's source imports, at any depth (inside functions too), with
    `importlib.import_module("...")` and `__import__("...")` of a literal name counted."""
    return {name.split(".")[0] for name in imported_names(source)}


def imports_by_file(package: str) -> dict[str, set[str]]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no sources under {package}/"
    return {str(f.relative_to(ROOT)): imported_packages(f.read_text("utf-8")) for f in files}


def test_import_boundaries_training_never_imports_service() -> None:
    offenders = [f for f, names in imports_by_file("training").items() if "service" in names]
    assert offenders == [], f"training/ imports the HTTP package (service/): {offenders}"


def test_import_boundaries_consultations_imports_no_training_service_or_heavy_stack() -> None:
    banned = {"training", "service", "fastapi", "starlette", "uvicorn", *HEAVY}
    offenders = {
        f: sorted(names & banned)
        for f, names in imports_by_file("consultations").items()
        if names & banned
    }
    assert offenders == {}, f"consultations/ imports {offenders}"


def test_import_boundaries_scanner_finds_nested_and_dynamic_imports() -> None:
    # The scans above must be able to fail: an import inside a function, a from-import of a
    # submodule and an import_module call all count; a relative import does not.
    source = (
        "import os.path\n"
        "def f():\n"
        "    from service.store import X\n"
        "    import importlib\n"
        "    importlib.import_module('torch.nn')\n"
        "from . import sibling\n"
    )
    assert imported_packages(source) == {"os", "service", "importlib", "torch"}
