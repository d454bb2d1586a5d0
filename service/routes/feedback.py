"""Doctors' confirmations and corrections (the best training data there is), and the queue."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Query

from service.deps import Authorized, StoreDep, TriageDep
from service.schemas import ErrorResponse, FeedbackRequest, FeedbackStored

router = APIRouter(tags=["feedback"], dependencies=[Authorized])


@router.post(
    "/v1/feedback",
    status_code=201,
    responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
def post_feedback(body: FeedbackRequest, store: StoreDep, predictor: TriageDep) -> FeedbackStored:
    """Record that a doctor confirmed or corrected a consultation's department.

    The answer is sent only after the row is committed (an acknowledged correction survives a
    crash). Posting the same `feedback_id` twice stores it once.
    """
    if body.department not in predictor.labels:
        raise HTTPException(
            status_code=422, detail=f"department: {body.department!r} is not a triage department"
        )
    try:
        stored = store.add_feedback(
            body.feedback_id or uuid.uuid4().hex,
            body.consultation_id,
            body.department,
            body.action,
            body.doctor,
        )
    except KeyError as exc:
        raise HTTPException(
            status_code=404, detail=f"consultation_id: no consultation {body.consultation_id!r}"
        ) from exc
    return FeedbackStored(**stored)


@router.get("/v1/consultations", responses={401: {"model": ErrorResponse}})
def list_consultations(
    store: StoreDep, limit: int = Query(100, ge=1, le=1000)
) -> list[dict[str, Any]]:
    """The doctors' queue: emergencies first, then newest first, with the latest decision."""
    return store.queue(limit)


@router.get("/v1/consultations/{consultation_id}", responses={404: {"model": ErrorResponse}})
def get_consultation(consultation_id: str, store: StoreDep) -> dict[str, Any]:
    """One consultation as scored at intake, with every confirmation or correction."""
    found = store.consultation(consultation_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no consultation {consultation_id!r}")
    return found
