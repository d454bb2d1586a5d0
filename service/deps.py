"""Request dependencies: the serving predictors, the store, the prediction gate, and the role
keys (intake, pharmacy, doctor, admin; `api_key` opens every role).

They are `async def` on purpose: they only read app state, and FastAPI runs a plain `def`
dependency in the thread pool, a thread hop each (five per request cost ~1 ms under load).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from consultations.store import ConsultationStore
from prescription.predictor import PrescriptionPredictor
from recommend.predictor import RecommendPredictor
from service.settings import ServiceSettings
from service.work import PredictionGate
from triage.predictor import TriagePredictor

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)

ROLES = ("intake", "pharmacy", "doctor", "admin")
COOKIE = "hospital_doctor_key"
CSRF_HEADER = "X-CSRF-Token"


def role_keys(settings: ServiceSettings, role: str) -> list[str]:
    """Keys that open a role's routes: its own key, and the single `api_key` when set (one key
    for every role: development, or a service with one trusted client)."""
    own = getattr(settings, f"{role}_key")
    return [k for k in (own, settings.api_key) if k]


def auth_required(settings: ServiceSettings) -> bool:
    """Whether any key is configured (none: an open development service)."""
    return bool(settings.api_key) or any(getattr(settings, f"{r}_key") for r in ROLES)


def key_matches(given: str, keys: list[str]) -> bool:
    if not given.isascii():  # a header or cookie value this service never issued
        return False
    # compare against every key, always, so timing says nothing about which one is close
    return any([hmac.compare_digest(given.encode(), key.encode()) for key in keys])


def csrf_token(settings: ServiceSettings) -> str:
    """The token the doctor's page sends with its posts, derived from the doctor key: a form on
    another page of the site cannot know it, nor set the header."""
    secret = (settings.doctor_key or settings.api_key or "").encode()
    return hmac.new(secret, b"csrf:doctor-page", "sha256").hexdigest()


def authorize(request: Request, role: str, key: str | None) -> None:
    """Admit a request with a key of `role` in X-API-Key. The doctor role also admits the
    page's cookie: on GET, or with the page's CSRF token on anything else. Keys are never read
    from the query string here (only the page's one-time login does, see routes/doctor.py).

    Raises:
        HTTPException: 401 without a fitting key, 403 for a cookie post without the token.
    """
    settings: ServiceSettings = request.app.state.settings
    if not auth_required(settings):
        return
    keys = role_keys(settings, role)
    if key is not None:
        if keys and key_matches(key, keys):
            return
        raise HTTPException(status_code=401, detail=f"X-API-Key does not open {role} routes")
    cookie = request.cookies.get(COOKIE)
    if role == "doctor" and cookie is not None and keys and key_matches(cookie, keys):
        if request.method in ("GET", "HEAD"):
            return
        token = request.headers.get(CSRF_HEADER, "")
        if token.isascii() and hmac.compare_digest(token, csrf_token(settings)):
            return
        raise HTTPException(status_code=403, detail=f"{CSRF_HEADER}: missing or wrong")
    raise HTTPException(status_code=401, detail=f"missing X-API-Key for {role} routes")


def require(role: str) -> Any:
    """The dependency form of `authorize` for one role."""

    async def check(
        request: Request, key: Annotated[str | None, Security(_api_key_header)]
    ) -> None:
        authorize(request, role, key)

    return Depends(check)


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


Intake = require("intake")
Pharmacy = require("pharmacy")
Doctor = require("doctor")
Admin = require("admin")
TriageDep = Annotated[TriagePredictor, Depends(get_triage)]
PrescriptionDep = Annotated[PrescriptionPredictor, Depends(get_prescription)]
RecommendDep = Annotated[RecommendPredictor, Depends(get_recommend)]
StoreDep = Annotated[ConsultationStore, Depends(get_store)]
OptionalStoreDep = Annotated[ConsultationStore | None, Depends(get_optional_store)]
GateDep = Annotated[PredictionGate, Depends(get_gate)]
SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
