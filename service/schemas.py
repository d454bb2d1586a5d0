"""HTTP-only request and response models (the prediction shapes are the batch CLIs')."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class FeedbackRequest(BaseModel):
    """A doctor confirms the suggested department or picks another."""

    model_config = ConfigDict(extra="forbid", strict=True)

    consultation_id: str = Field(min_length=1, max_length=200)
    department: str = Field(min_length=1, max_length=100)
    action: Literal["confirm", "correct"]
    doctor: str | None = Field(default=None, max_length=100)
    feedback_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="idempotency key: the same id posted twice is stored once",
    )


class FeedbackStored(BaseModel):
    """The acknowledgement: sent only after the row is committed to disk."""

    feedback_id: str
    consultation_id: str
    department: str
    action: str
    suggested: str | None
    created_at: float


class ErrorResponse(BaseModel):
    """Every 4xx/5xx body: one line naming the problem, plus details where there are some."""

    error: str
    detail: Any | None = None


class ReloadReport(BaseModel):
    """What /admin/reload did for each task."""

    ready: bool
    tasks: dict[str, str]
