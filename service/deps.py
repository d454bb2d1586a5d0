"""Request dependencies: the serving predictors, the store, the optional API key.

They are `async def` on purpose: they only read app state, and FastAPI runs a plain `def`
dependency in the thread pool, a thread hop each (five per request cost ~1 ms under load).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from prescription.predictor import PrescriptionPredictor
from recommend.predictor import RecommendPredictor
from service.settings import ServiceSettings
from service.store import ConsultationStore
from service.work import PredictionGate
from triage.predictor import TriagePredictor

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


async def require_key(
    request: Request, key: Annotated[str | None, Security(_api_key_header)]
) -> None:
    """When HOSPITAL_API_KEY is set, /v1 and /admin need it (header, or the doctor page's
    cookie)."""
    settings: ServiceSettings = request.app.state.settings
    if settings.api_key is None:
        return
    # the doctor's page is opened once with ?api_key=..., which it then keeps as a cookie
    given = key or request.cookies.get("api_key") or request.query_params.get("api_key") or ""
    if not hmac.compare_digest(given.encode(), settings.api_key.encode()):
        raise HTTPException(status_code=401, detail="missing or wrong X-API-Key")


def _predictor(request: Request, task: str) -> Any:
    predictor = request.app.state.models.get(task)
    if predictor is None:
        raise HTTPException(status_code=503, detail=f"no {task} bundle is loaded; see /readyz")
    return predictor


async def get_triage(request: Request) -> TriagePredictor:
    """The serving triage predictor (a snapshot: a reload mid-request does not affect it)."""
    predictor: TriagePredictor = _predictor(request, "triage")
    return predictor


async def get_prescription(request: Request) -> PrescriptionPredictor:
    """The serving prescription checker."""
    predictor: PrescriptionPredictor = _predictor(request, "prescription")
    return predictor


async def get_recommend(request: Request) -> RecommendPredictor:
    """The serving cart recommender."""
    predictor: RecommendPredictor = _predictor(request, "recommend")
    return predictor


async def get_store(request: Request) -> ConsultationStore:
    """The consultation database; 503 when it could not be opened."""
    store: ConsultationStore | None = request.app.state.store
    if store is None:
        raise HTTPException(
            status_code=503,
            detail=f"the consultation store is unavailable: {request.app.state.store_error}",
        )
    return store


async def get_optional_store(request: Request) -> ConsultationStore | None:
    """The consultation database, or None when it could not be opened (triage still answers)."""
    store: ConsultationStore | None = request.app.state.store
    return store


async def get_gate(request: Request) -> PredictionGate:
    """The worker's prediction thread and its bounded queue."""
    gate: PredictionGate = request.app.state.gate
    return gate


async def get_settings(request: Request) -> ServiceSettings:
    """The app's settings."""
    settings: ServiceSettings = request.app.state.settings
    return settings


Authorized = Depends(require_key)
TriageDep = Annotated[TriagePredictor, Depends(get_triage)]
PrescriptionDep = Annotated[PrescriptionPredictor, Depends(get_prescription)]
RecommendDep = Annotated[RecommendPredictor, Depends(get_recommend)]
StoreDep = Annotated[ConsultationStore, Depends(get_store)]
OptionalStoreDep = Annotated[ConsultationStore | None, Depends(get_optional_store)]
GateDep = Annotated[PredictionGate, Depends(get_gate)]
SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
