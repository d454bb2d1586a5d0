"""Request and response models of triage, shared by the batch CLI and the HTTP service."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from runtime.schema import ModelRef

# A complaint is a few sentences; haodf requests average 83 characters, the longest is ~270. The
# limit only stops abuse (a pasted document) from tying up a worker.
MAX_TEXT_CHARS = 10_000
MAX_ID_CHARS = 200


class TriageRequest(BaseModel):
    """One consultation at intake.

    Attributes:
        id: the caller's id, echoed in the answer.
        text: the complaint as typed; the haodf form's fields may be joined by ';'.
        age: age in years, when known.
        sex: 'F' or 'M', when known.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    text: str = Field(max_length=MAX_TEXT_CHARS)
    age: int | None = Field(default=None, ge=0, le=130)
    sex: Literal["F", "M"] | None = None

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty")
        return value


class DepartmentScore(BaseModel):
    """One suggested department with its calibrated probability."""

    name: str
    probability: float


class TriageResult(BaseModel):
    """The answer for one consultation (the batch CLI's output line)."""

    id: str
    departments: list[DepartmentScore]
    abstain: bool
    urgency: Literal["emergency", "routine"]
    red_flags: list[str]
    model: ModelRef
