"""POST /admin/reload: load new bundles without downtime."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.deps import Admin
from service.schemas import ReloadReport

router = APIRouter(tags=["admin"], dependencies=[Admin])


@router.post("/admin/reload", response_model=ReloadReport, responses={409: {"model": ReloadReport}})
def reload(request: Request) -> JSONResponse:
    """Load each task's bundle as its path points now, self-test it, swap it in atomically.

    A bundle that fails its checksum or self-test is refused (409) and the old one keeps
    serving. The other workers follow within `reload_poll_seconds`.
    """
    models = request.app.state.models
    report = models.reload()
    models.touch_stamp()
    request.app.state.metrics.record(models, report)
    refused = any(outcome.startswith("refused") for outcome in report.values())
    body = ReloadReport(ready=models.ready(), tasks=report)
    return JSONResponse(body.model_dump(), status_code=409 if refused else 200)
