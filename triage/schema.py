"""Request and response models of triage, shared by the batch CLI and the HTTP service."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from runtime.schema import ModelRef, StrictInput
from triage.text import has_content

# A complaint is a few sentences; haodf requests average 83 characters, the longest is ~270. The
# limit only stops abuse (a pasted document) from tying up a worker.
MAX_TEXT_CHARS = 10_000
MAX_ID_CHARS = 200


class TriageRequest(StrictInput):
    """One consultation at intake.

    Attributes:
        id: the caller's id, echoed in the answer.
        text: the complaint as typed; the haodf form's fields may be joined by ';'.
        age: age in years, when known.
        sex: 'F' or 'M', when known.
    """

    id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    text: str = Field(max_length=MAX_TEXT_CHARS)
    age: int | None = Field(default=None, ge=0, le=130)
    sex: Literal["F", "M"] | None = None

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("text contains a NUL character")
        # Judged after normalisation: a text of only spaces, punctuation or invisible characters
        # (zero-width spaces, BOM, ideographic spaces) says nothing a doctor could read.
        if not has_content(value):
            raise ValueError("text is empty: no letters, digits or Chinese characters")
        return value


class DepartmentScore(BaseModel):
    """One suggested department with its calibrated probability.

    Under a hospital department map, ``name`` is the hospital's clinic, ``probability`` the sum
    over the model labels it takes, and ``model_labels`` those labels.
    """

    name: str
    probability: float
    model_labels: list[str] | None = None


TriageLevel = Literal[
    "emergency_ambulance", "emergency", "consultation_24", "consultation", "self_care"
]


class UrgencyReason(BaseModel):
    """Why the level is above ``consultation``: the rule, the concept and where the patient
    said it (character offsets into the text as sent, so a page can highlight it).

    Attributes:
        rule_id: the urgency rule (or ``learned_backstop`` for the model).
        level: the level that rule sets.
        concept: the clinical concept that matched (empty for the learned backstop).
        start: span start in the request's text (0 for the learned backstop).
        end: span end (exclusive; 0 for the learned backstop).
        evidence: the text in that span.
        label_zh: the rule's Chinese label.
        label_en: the rule's English label.
        source: 'rule' (the curated table) or 'model' (the learned backstop).
    """

    rule_id: str
    level: TriageLevel
    concept: str
    start: int
    end: int
    evidence: str
    label_zh: str
    label_en: str
    source: Literal["rule", "model"] = "rule"


class Evidence(BaseModel):
    """A phrase of the complaint that pushed the top suggestion (for the doctor's page).

    Attributes:
        start: span start in the request's text (character offset, as sent).
        end: span end (exclusive).
        text: the text in that span.
        weight: how much it raised the top department's logit (> 0).
        source: 'ngram' (the character n-grams' own contribution, exact through the model's
            active units) or 'sentence' (the drop in the embedding's contribution when the
            phrase is left out, computed only on request).
    """

    start: int
    end: int
    text: str
    weight: float
    source: Literal["ngram", "sentence"]


class TriageResult(BaseModel):
    """The answer for one consultation (the batch CLI's output line).

    ``triage_level`` is one of Infermedica's five; ``urgency`` ("emergency" for the two emergency
    levels, else "routine") and ``red_flags`` (the fired rule ids) stay for existing callers.
    """

    id: str
    departments: list[DepartmentScore]
    abstain: bool
    triage_level: TriageLevel
    urgency: Literal["emergency", "routine"]
    red_flags: list[str]
    reasons: list[UrgencyReason]
    model: ModelRef
    department_map: str | None = None
    evidence: list[Evidence] = []
