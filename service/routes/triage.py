"""POST /v1/triage: departments, urgency and red flags for consultations at intake."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence

from fastapi import APIRouter, HTTPException, Response

from consultations.store import ConsultationConflict
from service.deps import GateDep, Intake, OptionalStoreDep, SettingsDep, TriageDep
from service.routes.common import ERRORS, as_list, bound_work
from triage.schema import TriageRequest, TriageResult

logger = logging.getLogger(__name__)
router = APIRouter(tags=["triage"], dependencies=[Intake])

STORED_HEADER = "X-Consultations-Stored"


@router.post("/v1/triage", responses=ERRORS)
async def triage(
    body: TriageRequest | list[TriageRequest],
    response: Response,
    predictor: TriageDep,
    store: OptionalStoreDep,
    settings: SettingsDep,
    gate: GateDep,
) -> TriageResult | list[TriageResult]:
    """Score consultations (as `python -m triage predict`); each is queued for the doctors.

    A consultation id is stored once: the same id again with the same complaint (a retry) is
    answered and keeps the stored row; with a different complaint, or twice in one list, it is
    a 409 naming the id and nothing of the call is stored. When the store cannot be written
    (read-only, disk full, locked), the answer still comes, with header
    `X-Consultations-Stored: false`: the client must keep the consultation and send it again.
    """
    requests = as_list(body, settings)
    bound_work(requests, lambda r: len(r.text), settings.max_text_chars, "complaint characters")
    ids = [r.id for r in requests]
    repeated = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) < len(ids) else []
    if repeated:
        raise HTTPException(
            status_code=409, detail=f"id: {repeated[0]!r} appears twice in one list"
        )

    def predict(requests: Sequence[TriageRequest]) -> tuple[list[TriageResult], bool]:
        # evidence for the doctor's page, stored with the consultation (settings.triage_evidence)
        results = predictor.predict(requests, evidence=settings.triage_evidence)
        if store is None:
            return results, False
        try:
            store.add_consultations(
                [(q.model_dump(), r.model_dump()) for q, r in zip(requests, results, strict=True)]
            )
        except sqlite3.Error as exc:
            logger.error("consultations not stored: %s", type(exc).__name__)
            return results, False
        return results, True

    try:
        results, stored = await gate.run(lambda: predict(requests))
    except ConsultationConflict as exc:
        raise HTTPException(status_code=409, detail=f"id: {exc}") from exc
    response.headers[STORED_HEADER] = "true" if stored else "false"
    return results if isinstance(body, list) else results[0]
