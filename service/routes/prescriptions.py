"""POST /v1/prescriptions/check: interaction, duplicate, dose, contraindication and allergy
alerts for a prescription."""

from __future__ import annotations

from fastapi import APIRouter

from prescription.schema import CheckRequest, CheckResult
from service.deps import Authorized, PrescriptionDep, SettingsDep
from service.routes.common import ERRORS, one_or_many

router = APIRouter(tags=["prescriptions"], dependencies=[Authorized])


@router.post("/v1/prescriptions/check", responses=ERRORS)
async def check(
    body: CheckRequest | list[CheckRequest], predictor: PrescriptionDep, settings: SettingsDep
) -> CheckResult | list[CheckResult]:
    """Audit prescriptions (as `python -m prescription check`)."""
    return one_or_many(body, predictor.predict, settings)
