"""Shared pieces of the prediction routes: one object or a bounded list.

The prediction routes are `async def` and score on the event loop: each request is a
millisecond or two of CPU, and in the thread pool dozens of them took turns on the GIL every
5 ms, which tripled the p99 under load. One at a time per worker is faster for all of them;
reloads (seconds of loading) stay in the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import HTTPException
from pydantic import BaseModel

from service.settings import ServiceSettings

RequestT = TypeVar("RequestT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or wrong X-API-Key"},
    413: {"description": "request body too large"},
    422: {"description": "invalid request: the message names each bad field"},
    503: {"description": "the bundle is not loaded"},
}


def one_or_many(
    body: RequestT | list[RequestT],
    predict: Callable[[Sequence[RequestT]], list[ResultT]],
    settings: ServiceSettings,
) -> ResultT | list[ResultT]:
    """Answer one request with one result and a list with a list (at most max_batch)."""
    if isinstance(body, list):
        if not body:
            raise HTTPException(status_code=422, detail="body: an empty list has nothing to score")
        if len(body) > settings.max_batch:
            raise HTTPException(
                status_code=422,
                detail=f"body: at most {settings.max_batch} requests per call, got {len(body)}",
            )
        return predict(body)
    return predict([body])[0]
