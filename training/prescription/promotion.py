"""The prescription checker's promotion figures."""

from __future__ import annotations

from pathlib import Path

from prescription.predictor import PrescriptionPredictor
from prescription.schema import CheckRequest
from runtime.bundle import Bundle
from training.prescription.golden import CASES, case_failures


def promotion_metrics(path: Path, candidate: Bundle, data_dir: str | None) -> dict[str, float]:
    """Behavioural cases passed (re-run now, compared first), then the random-split model
    macro-F1 and AUROC recorded by training on the fixed hash-seeded split."""
    predictor = PrescriptionPredictor.from_bundle(path)
    passed = sum(
        not case_failures(
            case, predictor.checker.check(CheckRequest.model_validate(case["request"])).model_dump()
        )
        for case in CASES
    )
    random_split = predictor.bundle.manifest.metrics["splits"]["random"]["model"]
    return {
        "behaviour_passed": float(passed),
        "random_macro_f1": float(random_split["macro_f1"]),
        "random_auroc": float(random_split["auroc"]),
        "n": float(len(CASES)),
    }
