"""POST /v1/prescriptions/check: interaction, duplicate, dose, contraindication and allergy
alerts for a prescription."""

from __future__ import annotations

from fastapi import APIRouter

from prescription.schema import CheckRequest, CheckResult
from service.deps import GateDep, Pharmacy, PrescriptionDep, SettingsDep
from service.routes.common import ERRORS, as_list, bound_work, one_or_many

router = APIRouter(tags=["prescriptions"], dependencies=[Pharmacy])


def pair_count(request: CheckRequest) -> int:
    """Pairs the checker looks at for one prescription (products, before combinations split)."""
    n = len(request.drugs) + len(request.current_medications)
    return n * (n - 1) // 2 + n


@router.post("/v1/prescriptions/check", responses=ERRORS)
async def check(
    body: CheckRequest | list[CheckRequest],
    predictor: PrescriptionDep,
    settings: SettingsDep,
    gate: GateDep,
) -> CheckResult | list[CheckResult]:
    """Audit prescriptions (as `python -m prescription check`). One call may ask for at most
    `max_pairs` drug pairs over its whole list (413 beyond)."""
    bound_work(as_list(body, settings), pair_count, settings.max_pairs, "drug pairs")
    return await one_or_many(body, predictor.predict, settings, gate)
