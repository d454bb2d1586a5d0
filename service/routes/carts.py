"""POST /v1/carts/score: products to add to a cart, unsafe ones suppressed."""

from __future__ import annotations

from fastapi import APIRouter

from recommend.schema import ScoreRequest, ScoreResult
from service.deps import GateDep, Pharmacy, RecommendDep, SettingsDep
from service.routes.common import ERRORS, as_list, bound_work, one_or_many

router = APIRouter(tags=["carts"], dependencies=[Pharmacy])


def item_count(request: ScoreRequest) -> int:
    """Cart lines and current medications of one request."""
    return len(request.cart) + len(request.current_medications)


@router.post("/v1/carts/score", responses=ERRORS)
async def score(
    body: ScoreRequest | list[ScoreRequest],
    predictor: RecommendDep,
    settings: SettingsDep,
    gate: GateDep,
) -> ScoreResult | list[ScoreResult]:
    """Complete carts (as `python -m recommend score`). One call may send at most
    `max_cart_items` cart lines and medications over its whole list (413 beyond)."""
    bound_work(as_list(body, settings), item_count, settings.max_cart_items, "cart items")
    return await one_or_many(body, predictor.predict, settings, gate)
