"""Department suggestions away from haodf: our hand-written shift sets and English public sets.

Sets (each case may accept more than one department when the source's label spans several):

- ``zh_shift_dev`` / ``zh_shift_holdout``: colloquial Chinese in other platforms' styles
  (relatives writing, very short, typos, mixed English, traditional characters), written by us;
- ``en_dev`` / ``en_retired_holdout`` / ``en_holdout``: English complaints written by us from
  clinical knowledge (the first holdout was retired to calibration on 2026-12-03 and a larger
  one written by two new writers took its place; since round 8 ``en_dev`` and two more writers'
  files train the English route, so its ``en_dev`` figure is a training-set figure);
- ``symptom2disease``, ``medical_speech``: English public sets from the shared data folder,
  mapped onto our departments by ``public_english_maps.yaml`` (clear labels only).

The ``*_holdout`` sets are never used to choose anything; the ``*_dev`` and ``*_retired_*`` sets
may be (the retired English set calibrates the embedding-only route). All are reported
side by side.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from training.triage.data import DataValidationError, load_department_vignettes
from training.triage.evaluate import calibration_error, calibration_error_floor
from triage.schema import TriageRequest

logger = logging.getLogger(__name__)

SETS_DIR = Path("data/vignettes/departments")
WRITTEN_SETS = (
    "zh_shift_dev",
    "zh_shift_holdout",
    "en_dev",
    "en_retired_holdout",
    "en_retired_holdout_r2",
    "en_holdout",
)
PUBLIC_MAPS = SETS_DIR / "public_english_maps.yaml"
_PUBLIC_FILES = {
    "symptom2disease": ("triage/symptom2disease/Symptom2Disease.csv", "text", "label"),
    "medical_speech": (
        "triage/medical_speech/overview-of-recordings-especialists.csv",
        "phrase",
        "especialist",
    ),
}


@dataclass(frozen=True)
class ShiftCase:
    """One complaint and the departments that count as right for it."""

    text: str
    age: int | None
    accepted: frozenset[str]


class PublicLabelMap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    departments: list[str] = Field(min_length=1)
    rationale: str = Field(min_length=1)


class PublicMaps(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    symptom2disease: list[PublicLabelMap]
    medical_speech: list[PublicLabelMap]


def load_public_maps(path: Path, labels: Sequence[str]) -> PublicMaps:
    """Read and validate the public sets' label maps against the model's departments."""
    maps = PublicMaps.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    for source in _PUBLIC_FILES:
        for entry in getattr(maps, source):
            unknown = set(entry.departments) - set(labels)
            if unknown:
                raise DataValidationError(f"{path}: {source} {entry.label!r} maps to {unknown}")
    return maps


def _public_cases(data_dir: Path, source: str, maps: PublicMaps) -> list[ShiftCase]:
    relative, text_column, label_column = _PUBLIC_FILES[source]
    mapping = {m.label: frozenset(m.departments) for m in getattr(maps, source)}
    seen: set[str] = set()
    cases = []
    with (data_dir / relative).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text, label = row[text_column].strip(), row[label_column]
            # medical_speech repeats each phrase across speakers: one case per phrase
            key = " ".join(text.lower().split())
            if label in mapping and text and key not in seen:
                seen.add(key)
                cases.append(ShiftCase(text, None, mapping[label]))
    return cases


def load_shift_sets(
    labels: Sequence[str], data_dir: Path | None, root: Path = Path(".")
) -> dict[str, list[ShiftCase]]:
    """Every set available here (the public ones need the shared data folder)."""
    sets: dict[str, list[ShiftCase]] = {}
    for name in WRITTEN_SETS:
        path = root / SETS_DIR / f"{name}.jsonl"
        if path.is_file():
            sets[name] = [
                ShiftCase(r.text, r.age, frozenset([r.department]))
                for r in load_department_vignettes(path, labels)
            ]
    maps_path = root / PUBLIC_MAPS
    if data_dir is not None and maps_path.is_file():
        maps = load_public_maps(maps_path, labels)
        for source, (relative, _, _) in _PUBLIC_FILES.items():
            if (data_dir / relative).is_file():
                sets[source] = _public_cases(data_dir, source, maps)
    return sets


def shift_metrics(predictor: Any, cases: Sequence[ShiftCase]) -> dict[str, float]:
    """Top-1 and top-3 accuracy, ECE of the top-1 probability, and how the abstain rule does:
    the share abstained, accuracy on the rest, and the share answered wrongly without abstaining.
    """
    requests = [
        TriageRequest(id=str(i), text=case.text, age=case.age) for i, case in enumerate(cases)
    ]
    results = predictor.predict(requests, top_k=3)
    # Hand-written: a case may accept several departments, which sklearn's single-label
    # accuracy_score and top_k_accuracy_score cannot express.
    top1 = np.array(
        [r.departments[0].name in c.accepted for r, c in zip(results, cases, strict=True)]
    )
    top3 = np.array(
        [
            any(d.name in c.accepted for d in r.departments)
            for r, c in zip(results, cases, strict=True)
        ]
    )
    confidence = np.array([r.departments[0].probability for r in results])
    abstained = np.array([r.abstain for r in results])
    answered = ~abstained
    floor_mean, floor_p90 = calibration_error_floor(confidence)
    return {
        "n": len(cases),
        "accuracy": float(top1.mean()),
        "top3_accuracy": float(top3.mean()),
        "ece": calibration_error(confidence, top1),
        # what a perfectly calibrated model would read here: small sets inflate ECE
        "ece_floor_mean": floor_mean,
        "ece_floor_p90": floor_p90,
        "abstain_rate": float(abstained.mean()),
        "answered_accuracy": float(top1[answered].mean()) if answered.any() else 0.0,
        "confidently_wrong_rate": float((answered & ~top1).mean()),
    }


def evaluate_shift(predictor: Any, data_dir: Path | None, root: Path = Path(".")) -> dict[str, Any]:
    """`shift_metrics` for every available set, keyed by set name."""
    return {
        name: shift_metrics(predictor, cases)
        for name, cases in load_shift_sets(predictor.labels, data_dir, root).items()
        if cases
    }
