"""POST /v1/carts/score: products to add to a cart, unsafe ones suppressed."""

from __future__ import annotations

from fastapi import APIRouter

from recommend.schema import ScoreRequest, ScoreResult
from service.deps import Authorized, RecommendDep, SettingsDep
from service.routes.common import ERRORS, one_or_many

router = APIRouter(tags=["carts"], dependencies=[Authorized])


@router.post("/v1/carts/score", responses=ERRORS)
async def score(
    body: ScoreRequest | list[ScoreRequest], predictor: RecommendDep, settings: SettingsDep
) -> ScoreResult | list[ScoreResult]:
    """Complete carts (as `python -m recommend score`)."""
    return one_or_many(body, predictor.predict, settings)
