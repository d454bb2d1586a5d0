"""POST /v1/triage: departments, urgency and red flags for consultations at intake."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from service.deps import Authorized, SettingsDep, StoreDep, TriageDep
from service.routes.common import ERRORS, one_or_many
from triage.schema import TriageRequest, TriageResult

router = APIRouter(tags=["triage"], dependencies=[Authorized])


@router.post("/v1/triage", responses=ERRORS)
async def triage(
    body: TriageRequest | list[TriageRequest],
    predictor: TriageDep,
    store: StoreDep,
    settings: SettingsDep,
) -> TriageResult | list[TriageResult]:
    """Score consultations (as `python -m triage predict`); each is queued for the doctors."""

    def predict(requests: Sequence[TriageRequest]) -> list[TriageResult]:
        results = predictor.predict(requests)
        for request, result in zip(requests, results, strict=True):
            store.add_consultation(request.model_dump(), result.model_dump())
        return results

    return one_or_many(body, predict, settings)
