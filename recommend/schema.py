"""Request and response models of the cart recommender (batch CLI and HTTP service)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from prescription.schema import MAX_DRUGS, DrugOrder, Patient, Strict
from runtime.schema import ModelRef

# A pharmacy cart rarely holds more than 30 lines; 1,000 still scores in a few ms and bounds
# the work one request can ask for.
MAX_CART = 1_000
MAX_K = 100
MAX_ID_CHARS = 200


class ScoreRequest(Strict):
    """A cart to complete."""

    id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    cart: list[str] = Field(max_length=MAX_CART, description="item ids (strings)")
    user_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID_CHARS)
    k: int = Field(default=10, ge=1, le=MAX_K)
    patient: Patient | None = None
    current_medications: list[DrugOrder] = Field(default_factory=list, max_length=MAX_DRUGS)

    @field_validator("cart")
    @classmethod
    def _ids_not_blank(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value.strip() or len(value) > MAX_ID_CHARS:
                raise ValueError(f"item ids must be 1 to {MAX_ID_CHARS} non-blank characters")
        return values


class Recommendation(BaseModel):
    """One product to add."""

    item_id: str
    score: float
    reason: str


class Suppressed(BaseModel):
    """A product the model ranked high but the safety filter removed, and why."""

    item_id: str
    reason: str


class ScoreResult(BaseModel):
    """The answer for one cart (the batch CLI's output line)."""

    id: str
    recommendations: list[Recommendation]
    suppressed: list[Suppressed]
    unknown_items: list[str]
    model: ModelRef
