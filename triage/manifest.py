"""The triage manifest sections, written by training and read by the predictor (one class each).

A key written by training is a key the predictor reads: `top_k` sets how many departments an
answer lists, `abstain_label` is what the doctor's page shows when the model abstains.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from runtime.predictor import ManifestSection


class RouteCalibrationSection(BaseModel):
    """Temperature and abstain threshold of the embedding-only route (mostly non-CJK texts)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float = Field(gt=0)
    abstain_threshold: float = Field(ge=0, le=1)
    calibrated_on: str | None = None


class UrgencySection(BaseModel):
    """Where the urgency rule table is, its version, and the learned backstop's entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    version: str
    # the backstop's own files and specs; UrgencyBackstop.from_bundle reads it
    backstop: dict[str, Any] | None


class TriagePostprocessing(ManifestSection):
    """manifest.postprocessing of a triage bundle."""

    temperature: float = Field(gt=0)
    abstain_threshold: float = Field(ge=0, le=1)
    top_k: int = Field(ge=1)
    abstain_label: str = Field(min_length=1)
    urgency: UrgencySection
    embedding_route: RouteCalibrationSection | None = None

    @field_validator("temperature")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("temperature must be finite")
        return value
