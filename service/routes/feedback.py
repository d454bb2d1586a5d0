"""Doctors' confirmations and corrections (the best training data there is), and the queue."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query

from consultations.store import FeedbackConflict
from service.deps import Doctor, StoreDep, TriageDep
from service.schemas import ErrorResponse, FeedbackRequest, FeedbackStored

router = APIRouter(tags=["feedback"], dependencies=[Doctor])


@router.post(
    "/v1/feedback",
    status_code=201,
    responses={
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    },
)
def post_feedback(body: FeedbackRequest, store: StoreDep, predictor: TriageDep) -> FeedbackStored:
    """Record that a doctor confirmed or corrected a consultation's department, judged its
    triage level (right, too high or too low, with the level it should have been), or both.

    The answer is sent only after the row is committed (an acknowledged correction survives a
    crash). Posting the same `feedback_id` again with the same decision answers what was stored
    the first time; with a different decision it is a 409. A `corrected_level` that does
    not go the way `urgency_feedback` says (lower for too_high, higher for too_low than the
    consultation's stored level) is a 422.
    """
    if body.department is not None and body.department not in predictor.labels:
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
            urgency_feedback=body.urgency_feedback,
            corrected_level=body.corrected_level,
        )
    except KeyError as exc:
        raise HTTPException(
            status_code=404, detail=f"consultation_id: no consultation {body.consultation_id!r}"
        ) from exc
    except FeedbackConflict as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except ValueError as exc:  # the message names the field (corrected_level)
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return FeedbackStored(**stored)


@router.get("/v1/consultations", responses={401: {"model": ErrorResponse}})
def list_consultations(
    store: StoreDep,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000),
    view: Literal["open", "all"] = "open",
) -> list[dict[str, Any]]:
    """The doctors' queue, a page at a time: consultations no doctor has decided yet, most
    urgent triage level first, then newest first (`view=all` adds the decided ones after them),
    with the latest department decision and the latest urgency decision."""
    return store.queue(limit, offset, view)


@router.get("/v1/consultations/{consultation_id}", responses={404: {"model": ErrorResponse}})
def get_consultation(consultation_id: str, store: StoreDep) -> dict[str, Any]:
    """One consultation as scored at intake (triage level and reasons included), with every
    department and urgency decision."""
    found = store.consultation(consultation_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no consultation {consultation_id!r}")
    return found
