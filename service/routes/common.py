"""Shared pieces of the prediction routes: one object or a bounded list, scored off the loop.

Scoring runs in the worker's prediction thread (`service.work.PredictionGate`): the event loop
stays free for health checks and for refusing what is over capacity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import HTTPException
from pydantic import BaseModel

from service.settings import ServiceSettings
from service.work import PredictionGate

RequestT = TypeVar("RequestT", bound=BaseModel)
ResultT = TypeVar("ResultT")

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or wrong X-API-Key"},
    409: {"description": "a consultation id already used for another complaint"},
    413: {"description": "request body too large, or more work than one call may ask for"},
    422: {"description": "invalid request: the message names each bad field"},
    503: {"description": "the bundle is not loaded, or the worker is over capacity (Retry-After)"},
}


def as_list(body: RequestT | list[RequestT], settings: ServiceSettings) -> list[RequestT]:
    """The requests of one call, at most max_batch."""
    if not isinstance(body, list):
        return [body]
    if not body:
        raise HTTPException(status_code=422, detail="body: an empty list has nothing to score")
    if len(body) > settings.max_batch:
        raise HTTPException(
            status_code=422,
            detail=f"body: at most {settings.max_batch} requests per call, got {len(body)}",
        )
    return body


def bound_work(requests: Sequence[Any], cost: Callable[[Any], int], limit: int, unit: str) -> None:
    """413 when the call's total work (`cost` summed over its requests) is over `limit`."""
    total = sum(cost(r) for r in requests)
    if total > limit:
        raise HTTPException(
            status_code=413,
            detail=f"body: {total} {unit} in one call, at most {limit}; split the list",
        )


async def one_or_many(
    body: RequestT | list[RequestT],
    predict: Callable[[Sequence[RequestT]], list[ResultT]],
    settings: ServiceSettings,
    gate: PredictionGate,
) -> ResultT | list[ResultT]:
    """Answer one request with one result and a list with a list, scored in the gate."""
    requests = as_list(body, settings)
    results = await gate.run(lambda: predict(requests))
    return results if isinstance(body, list) else results[0]
