"""Request and response models of the prescription checker (batch CLI and HTTP service)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from runtime.schema import ModelRef, StrictInput

# A prescription rarely holds more than 10 drugs; 50 + 50 bounds the pair count (~5,000) so one
# malformed request cannot tie up a worker.
MAX_DRUGS = 50
MAX_NAME_CHARS = 200
# 100 g in one dose is beyond any real order; larger values are typing errors (units, zeros).
MAX_DOSE_MG = 100_000

Severity = Literal["contraindicated", "major", "moderate", "minor"]
Frequency = Literal["daily", "every_other_day", "weekly", "monthly", "once"]
# "name_read_as" (round 8): a misspelt name the checker read as a known drug; never interruptive,
# it shows the pharmacist the reading so a wrong one is caught.
AlertType = Literal[
    "interaction",
    "duplicate_therapy",
    "dose",
    "contraindication",
    "allergy",
    "unknown_drug",
    "name_read_as",
]


class Strict(StrictInput):
    """Unknown fields are errors; types are not coerced (a dose of "5" is an error, not 5); NaN,
    infinities and invalid Unicode are errors."""


class Patient(Strict):
    """Patient profile; every field is optional."""

    age: float | None = Field(default=None, ge=0, le=130, description="years; 0.5 = six months")
    sex: Literal["F", "M"] | None = None
    weight_kg: float | None = Field(default=None, gt=0, le=400)
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    allergies: list[str] = Field(default_factory=list, max_length=MAX_DRUGS)
    conditions: list[str] = Field(
        default_factory=list,
        max_length=MAX_DRUGS,
        description=(
            "free text, Chinese or English; renal/hepatic facts are read from it too "
            '("eGFR 25", "CrCl 28", "慢性肾病4期", "肝硬化 Child-Pugh C"); an entry that matches '
            'nothing is reported in `unresolved` as "condition: <entry>"'
        ),
    )
    egfr_ml_min_1_73m2: float | None = Field(
        default=None, gt=0, le=200, description="estimated GFR, mL/min/1.73m2"
    )
    crcl_ml_min: float | None = Field(
        default=None,
        gt=0,
        le=300,
        description="creatinine clearance, mL/min; computed by Cockcroft-Gault when not given",
    )
    creatinine_umol_l: float | None = Field(
        default=None,
        ge=10,
        le=3000,
        description="serum creatinine, µmol/L (mg/dL x 88.4); gives CrCl with age, sex, weight",
    )
    hepatic_impairment: Literal["none", "mild", "moderate", "severe"] | None = Field(
        default=None, description="Child-Pugh A = mild, B = moderate, C = severe"
    )

    @field_validator("allergies", "conditions")
    @classmethod
    def _short_entries(cls, values: list[str]) -> list[str]:
        for value in values:
            if len(value) > MAX_NAME_CHARS:
                raise ValueError(f"entries must be at most {MAX_NAME_CHARS} characters")
        return values


class DrugOrder(Strict):
    """One drug as prescribed or taken."""

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    dose_mg: float | None = Field(default=None, gt=0, le=MAX_DOSE_MG)
    times_per_day: int | None = Field(
        default=None, ge=1, le=24, description="doses on each dosing day"
    )
    route: str | None = Field(default=None, max_length=50)
    frequency: Frequency | None = Field(
        default=None,
        description=(
            "how often the dosing day comes; unset means not stated (a weekly-only drug such as "
            "low-dose methotrexate is then asked to be confirmed)"
        ),
    )
    duration_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="length of the course in days; checked against course limits when given",
    )

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name is empty")
        return value


class CheckRequest(Strict):
    """A prescription to audit."""

    id: str = Field(min_length=1, max_length=200)
    patient: Patient = Field(default_factory=Patient)
    drugs: list[DrugOrder] = Field(min_length=1, max_length=MAX_DRUGS)
    current_medications: list[DrugOrder] = Field(default_factory=list, max_length=MAX_DRUGS)


class Alert(BaseModel):
    """One finding shown to the doctor or pharmacist."""

    type: AlertType
    severity: Severity
    drugs: list[str]
    source: Literal["knowledge_base", "curated", "model"]
    interruptive: bool
    message: str
    management: str
    evidence: str
    # The same text in the reader's language (added fields; `message`/`management` stay English).
    message_en: str = ""
    message_zh: str = ""
    management_en: str = ""
    management_zh: str = ""


class PairReport(BaseModel):
    """What was known and predicted for one pair of resolved drugs, alert or not (frozen: the
    checker hands the same report to every answer that holds the pair)."""

    model_config = ConfigDict(frozen=True)

    drugs: list[str]
    known_level: str | None
    predicted_level: str | None
    p_interaction: float | None
    source: str


class CheckResult(BaseModel):
    """The answer for one prescription (the batch CLI's output line)."""

    id: str
    alerts: list[Alert]
    pairs: list[PairReport]
    unresolved: list[str]
    model: ModelRef
