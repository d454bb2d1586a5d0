"""Hospital department maps: the bundle's 20 labels shown as one hospital's own clinics.

Hospitals name and cut their clinics differently (one 儿科 for every 小儿* label, 骨科 taking
运动医学, ...). A deployment passes a many-to-one map (YAML, validated here against the bundle's
labels at load); the predictor then sums the model's probabilities per clinic. The model and its
calibration are unchanged: the abstain decision stays on the model's own top label.

    version: hospital-a-2026-12
    rules:
      - {labels: ["小儿*"], clinic: 儿科, max_age: 13}
      - {labels: [运动医学, 骨科, 脊柱退行性变], clinic: 骨科}

Rules are tried in order and the first that fits a label (and the patient's age, when the rule
has bounds and the age is known) names its clinic; a label no rule fits keeps its own name.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from runtime.errors import BundleError


class ClinicRule(BaseModel):
    """Model labels (exact names or globs such as ``小儿*``) that one clinic takes."""

    model_config = ConfigDict(extra="forbid")

    labels: list[str] = Field(min_length=1)
    clinic: str = Field(min_length=1)
    min_age: int | None = Field(None, ge=0, le=130)
    max_age: int | None = Field(None, ge=0, le=130)
    rationale: str | None = None

    @model_validator(mode="after")
    def _ages_ordered(self) -> ClinicRule:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"min_age {self.min_age} > max_age {self.max_age}")
        return self

    def fits(self, label: str, age: int | None) -> bool:
        """Whether this rule takes `label` for a patient of `age` (unknown age: bounds ignored)."""
        if not any(fnmatchcase(label, pattern) for pattern in self.labels):
            return False
        if age is None:
            return True
        return (self.min_age is None or age >= self.min_age) and (
            self.max_age is None or age <= self.max_age
        )


class DepartmentMap(BaseModel):
    """A hospital's clinics over a bundle's labels."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1)
    rules: list[ClinicRule]

    def check_labels(self, labels: Sequence[str]) -> None:
        """Refuse a map that names a label the bundle does not have.

        Raises:
            ValueError: naming the first pattern that matches none of the bundle's labels.
        """
        for rule in self.rules:
            for pattern in rule.labels:
                if not any(fnmatchcase(label, pattern) for label in labels):
                    raise ValueError(
                        f"department map {self.version!r}: {pattern!r} (clinic {rule.clinic!r}) "
                        f"is not a label of this bundle; its labels are {', '.join(labels)}"
                    )

    def clinic_for(self, label: str, age: int | None) -> str:
        """The clinic that takes `label` for a patient of `age`."""
        for rule in self.rules:
            if rule.fits(label, age):
                return rule.clinic
        return label

    def clinic_probabilities(
        self, labels: Sequence[str], probabilities: np.ndarray, age: int | None
    ) -> list[tuple[str, float, list[str]]]:
        """(clinic, summed probability, model labels summed) for one patient, most probable
        first (ties in the model's label order)."""
        totals: dict[str, tuple[float, list[str]]] = {}
        for label, probability in zip(labels, probabilities, strict=True):
            clinic = self.clinic_for(label, age)
            total, members = totals.get(clinic, (0.0, []))
            totals[clinic] = (total + float(probability), [*members, label])
        ranked = sorted(totals.items(), key=lambda item: -item[1][0])
        return [(clinic, total, members) for clinic, (total, members) in ranked]


def load_department_map(path: str | Path, labels: Sequence[str]) -> DepartmentMap:
    """Read a map (YAML) and check it against a bundle's labels.

    Raises:
        BundleError: the file is missing, is not a valid map, or names an unknown label.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        department_map = DepartmentMap.model_validate(raw)
        department_map.check_labels(labels)
    except (OSError, yaml.YAMLError, ValidationError, ValueError) as exc:
        raise BundleError(f"department map {path}: {exc}") from exc
    return department_map
