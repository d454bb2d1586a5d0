"""HTTP-only request and response models (the prediction shapes are the batch CLIs')."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from runtime.schema import StrictInput
from service.levels import Level


class FeedbackRequest(StrictInput):
    """A doctor's decision on one consultation: the department (confirm the suggested one or
    pick another), the urgency (the triage level was right, too high or too low), or both.

    `department` and `action` go together. With `urgency_feedback` 'too_high' or 'too_low',
    `corrected_level` names the level the doctor would have given: lower, resp. higher, than
    the consultation's (checked against the stored level); with 'right' it is not allowed.
    """

    consultation_id: str = Field(min_length=1, max_length=200)
    department: str | None = Field(default=None, min_length=1, max_length=100)
    action: Literal["confirm", "correct"] | None = Field(default=None, validate_default=True)
    urgency_feedback: Literal["right", "too_high", "too_low"] | None = None
    corrected_level: Level | None = Field(default=None, validate_default=True)
    doctor: str | None = Field(default=None, max_length=100)
    feedback_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="idempotency key: the same id posted twice is stored once",
    )

    @field_validator("action")
    @classmethod
    def _action_with_department(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "department" not in info.data:  # department itself was invalid: reported there
            return value
        if value is None and info.data["department"] is not None:
            raise ValueError("required with department ('confirm' or 'correct')")
        if value is not None and info.data["department"] is None:
            raise ValueError("needs a department: the department confirmed or corrected")
        return value

    @field_validator("corrected_level")
    @classmethod
    def _level_with_urgency_feedback(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "urgency_feedback" not in info.data:
            return value
        urgency_feedback = info.data["urgency_feedback"]
        if urgency_feedback in ("too_high", "too_low") and value is None:
            raise ValueError(f"required when urgency_feedback is {urgency_feedback!r}")
        if urgency_feedback == "right" and value is not None:
            raise ValueError("not allowed when urgency_feedback is 'right'")
        if urgency_feedback is None and value is not None:
            raise ValueError("needs urgency_feedback ('too_high' or 'too_low')")
        return value

    @model_validator(mode="after")
    def _decides_something(self) -> FeedbackRequest:
        if self.action is None and self.urgency_feedback is None:
            raise ValueError(
                "department and action, or urgency_feedback: the feedback decides nothing"
            )
        return self


class FeedbackStored(BaseModel):
    """The acknowledgement: sent only after the row is committed to disk."""

    feedback_id: str
    consultation_id: str
    department: str | None
    action: str | None
    suggested: str | None
    urgency_feedback: str | None = None
    corrected_level: str | None = None
    suggested_level: str | None = Field(
        default=None, description="the consultation's triage level the urgency decision judged"
    )
    created_at: float


class ErrorResponse(BaseModel):
    """Every 4xx/5xx body: one line naming the problem, plus details where there are some."""

    error: str
    detail: Any | None = None


class ReloadReport(BaseModel):
    """What /admin/reload did for each task."""

    ready: bool
    tasks: dict[str, str]
