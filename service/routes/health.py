"""Liveness, readiness, the served models and Prometheus metrics."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive (says nothing about the models)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "a bundle is missing or failed"}})
def readyz(request: Request) -> JSONResponse:
    """Ready when every bundle is loaded and passed its self-test (of the worker that answers,
    named by its pid)."""
    models = request.app.state.models
    body = {
        "ready": models.ready(),
        "worker_pid": os.getpid(),
        "models": {t: s.info() for t, s in models.slots.items()},
    }
    return JSONResponse(body, status_code=200 if body["ready"] else 503)


@router.get("/v1/models")
def list_models(request: Request) -> list[dict[str, Any]]:
    """Task, version, bundle hash and headline metrics of every served bundle."""
    return [slot.info() for slot in request.app.state.models.slots.values()]


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus exposition: requests, errors and latency per endpoint, model versions."""
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
