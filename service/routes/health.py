"""Liveness, readiness, the served models and Prometheus metrics."""

from __future__ import annotations

import logging
import os
import sqlite3
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from service.deps import Admin
from service.metrics import exposition

logger = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive (says nothing about the models)."""
    return {"status": "ok"}


@router.get(
    "/readyz", responses={503: {"description": "a bundle or the consultation store is down"}}
)
def readyz(request: Request) -> JSONResponse:
    """Ready when every bundle is loaded and passed its self-test and the consultation store
    takes a write (of the worker that answers, named by its pid)."""
    models = request.app.state.models
    store_state = _store_state(request)
    if store_state != "ok":
        logger.warning("not ready: consultation store %s", store_state)
    body = {
        "ready": models.ready() and store_state == "ok",
        "worker_pid": os.getpid(),
        "store": "ok" if store_state == "ok" else "unavailable",
        # no paths, hashes or error texts here: /readyz answers without a key (see /v1/models)
        "models": {
            t: {
                "loaded": s.predictor is not None,
                "version": s.predictor.bundle.version if s.predictor is not None else None,
            }
            for t, s in models.slots.items()
        },
    }
    return JSONResponse(body, status_code=200 if body["ready"] else 503)


def _store_state(request: Request) -> str:
    store = request.app.state.store
    if store is None:
        return f"unavailable: {request.app.state.store_error}"
    try:
        store.probe()
    except sqlite3.Error as exc:
        return f"cannot write: {type(exc).__name__}: {exc}"
    return "ok"


@router.get("/v1/models", dependencies=[Admin])
def list_models(request: Request) -> list[dict[str, Any]]:
    """Task, version, bundle hash and headline metrics of every served bundle."""
    return [slot.info() for slot in request.app.state.models.slots.values()]


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus exposition: requests, errors and latency per endpoint, model versions."""
    body, content_type = exposition(request.app.state.metrics)
    return Response(body, media_type=content_type)
