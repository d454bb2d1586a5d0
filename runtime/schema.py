"""Response pieces shared by every task."""

from __future__ import annotations

from pydantic import BaseModel


class ModelRef(BaseModel):
    """Which bundle made a prediction."""

    name: str
    version: str
