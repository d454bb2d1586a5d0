"""Schema pieces shared by every task: the strict request base and the model reference."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


def _check_unicode(value: Any) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("invalid Unicode (a lone surrogate such as \\ud800)") from None
    elif isinstance(value, list | tuple):
        for item in value:
            _check_unicode(item)


class StrictInput(BaseModel):
    """Base of every request model: unknown fields are errors, types are not coerced (a dose of
    "5" is an error, not 5), NaN and infinities are errors, and so is text that is not valid
    Unicode (JSON can carry a lone surrogate, which no database or answer can hold)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _valid_unicode(cls, value: Any) -> Any:
        _check_unicode(value)
        return value


class ModelRef(BaseModel):
    """Which bundle made a prediction."""

    name: str
    version: str
