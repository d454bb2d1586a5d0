"""The doctors' decisions as a labelled triage CSV (`python -m training export-feedback`).

One row per consultation with a decision, combining its latest department decision and its
latest urgency decision; the columns are `FEEDBACK_COLUMNS` (described in the command's help).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FEEDBACK_COLUMNS = (
    "id",
    "text",
    "age",
    "sex",
    "department",
    "action",
    "suggested",
    "doctor",
    "decided_at",
    "model_version",
    "triage_level",
    "urgency_feedback",
    "corrected_level",
    "urgency_doctor",
    "urgency_decided_at",
)

Row = dict[str, Any]


@dataclass
class LatestDecisions:
    """Feedback rows by consultation id: each consultation's first row (in order of its first
    decision), its latest department decision and its latest urgency decision."""

    consultations: dict[str, Row] = field(default_factory=dict)
    by_department: dict[str, Row] = field(default_factory=dict)
    by_urgency: dict[str, Row] = field(default_factory=dict)

    def summary(self) -> str:
        """How many consultations, corrections and urgency verdicts of each kind."""
        corrected = sum(1 for r in self.by_department.values() if r["action"] == "correct")
        judged = [str(r["urgency_feedback"]) for r in self.by_urgency.values()]
        return (
            f"{len(self.consultations)} consultations ({corrected} corrected); urgency: "
            f"{judged.count('right')} right, {judged.count('too_high')} too high, "
            f"{judged.count('too_low')} too low"
        )


def latest_decisions(rows: Iterable[Row]) -> LatestDecisions:
    """Group `ConsultationStore.feedback_rows()` (commit order: the last one wins)."""
    decisions = LatestDecisions()
    for row in rows:
        consultation_id = str(row["consultation_id"])
        decisions.consultations.setdefault(consultation_id, row)
        if row["department"] is not None:
            decisions.by_department[consultation_id] = row
        if row["urgency_feedback"] is not None:
            decisions.by_urgency[consultation_id] = row
    return decisions


def write_feedback_csv(decisions: LatestDecisions, target: Path) -> None:
    """Write one CSV row per consultation (its folder created)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FEEDBACK_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for consultation_id, row in decisions.consultations.items():
            department = decisions.by_department.get(consultation_id)
            urgency = decisions.by_urgency.get(consultation_id)
            writer.writerow(_csv_row(consultation_id, row, department, urgency))


def _csv_row(consultation_id: str, row: Row, department: Row | None, urgency: Row | None) -> Row:
    return {
        "id": consultation_id,
        "text": row["text"],
        "age": _text(row["age"]),
        "sex": _text(row["sex"]),
        "department": _text(department and department["department"]),
        "action": _text(department and department["action"]),
        "suggested": _text((department or row)["suggested"]),
        "doctor": _text(department and department["doctor"]),
        "decided_at": _when(department),
        "model_version": row["model_version"],
        # the level the urgency decision judged, else the consultation's
        "triage_level": _text((urgency or row)["triage_level"]),
        "urgency_feedback": _text(urgency and urgency["urgency_feedback"]),
        "corrected_level": _text(urgency and urgency["corrected_level"]),
        "urgency_doctor": _text(urgency and urgency["doctor"]),
        "urgency_decided_at": _when(urgency),
    }


def _when(row: Row | None) -> str:
    if row is None:
        return ""
    return datetime.fromtimestamp(float(row["created_at"]), UTC).isoformat()


def _text(value: object) -> str:
    return "" if value is None else str(value)
