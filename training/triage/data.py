"""Load, validate and split triage data: haodf20 when present, else the hand-written demo set.

Validation stops the run with a message naming the file, line and id of each bad row (first 20):
missing columns, empty texts, labels outside the 20 departments, duplicate ids.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from training.config import (
    DataError,
    TriageConfig,
    TriageDataConfig,
    auto_source,
    resolve_data_dir,
)
from triage.features import age_bucket, age_bucket_from_group
from triage.text import normalise

logger = logging.getLogger(__name__)

HAODF_REQUIRED = ("id", "age_group", "text", "department")
DEMO_REQUIRED = ("id", "age", "sex", "text", "department")
FEEDBACK_REQUIRED = ("id", "text", "age", "department")
_MAX_REPORTED = 20


class DataValidationError(DataError):
    """The data breaks its contract; the message names each offending row."""


@dataclass
class TriageData:
    """Validated, split triage data.

    Attributes:
        frame: one row per example with columns id, text (normalised), raw_text, age_bucket,
            department, disease (may be empty), split ('train' | 'validation' | 'test'), origin.
        labels: department names, sorted; index i == model output column i.
        diseases: disease directions, sorted (empty when the source has none).
        source: 'haodf20' or 'demo'.
        sha256: hash over the bytes of every file read, recorded in the bundle.
        files: the files read.
        unlabeled: unlabelled requests (columns text (normalised), age_bucket) for the
            featurizer's vocabulary, self-training and masked-LM pretraining.
    """

    frame: pd.DataFrame
    labels: list[str]
    diseases: list[str]
    source: str
    sha256: str
    files: list[str]
    unlabeled: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"text": [], "age_bucket": []})
    )

    def part(self, name: str) -> pd.DataFrame:
        """Rows of one split."""
        return self.frame[self.frame["split"] == name].reset_index(drop=True)


def split_of(row_id: str, validation_percent: int, test_percent: int) -> str:
    """Assign a split from a hash of the id: stable when rows are added or reordered."""
    bucket = int(hashlib.sha256(row_id.encode("utf-8")).hexdigest(), 16) % 100
    if bucket < test_percent:
        return "test"
    if bucket < test_percent + validation_percent:
        return "validation"
    return "train"


def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise DataValidationError(f"{path}: file not found")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataValidationError(f"{path}: missing columns {missing}; has {list(frame.columns)}")
    return frame


def validate_rows(frame: pd.DataFrame, path: Path, departments: set[str]) -> None:
    """Raise DataValidationError listing empty texts, unknown labels and duplicate ids.

    Line numbers count the header as line 1, as an editor shows them.
    """
    problems: list[str] = []
    seen: dict[str, int] = {}
    # Line numbers come from the frame's index, so a filtered frame still points at file lines.
    for index, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        line = int(index) + 2
        row_id = str(row.id).strip()
        if not row_id:
            problems.append(f"line {line}: empty id")
        elif row_id in seen:
            problems.append(f"line {line} id {row_id!r}: duplicate of line {seen[row_id]}")
        else:
            seen[row_id] = line
        if not normalise(str(row.text)).replace(";", "").strip():
            problems.append(f"line {line} id {row_id!r}: empty text")
        if row.department not in departments:
            problems.append(f"line {line} id {row_id!r}: unknown department {row.department!r}")
    if problems:
        shown = "\n  ".join(problems[:_MAX_REPORTED])
        more = (
            f"\n  ... and {len(problems) - _MAX_REPORTED} more"
            if len(problems) > _MAX_REPORTED
            else ""
        )
        raise DataValidationError(f"{path}: {len(problems)} bad rows:\n  {shown}{more}")


def _years_to_bucket(value: str) -> str:
    value = value.strip()
    if not value:
        return "unknown"
    try:
        return age_bucket(int(float(value)))
    except ValueError:
        return "unknown"


def load_departments(config: TriageDataConfig, data_dir: Path | None) -> list[dict[str, str]]:
    """The department taxonomy: haodf's labels.json when present, else the project's copy."""
    real = data_dir / "triage/haodf20/labels.json" if data_dir else None
    path = real if real and real.is_file() else Path(config.departments_path)
    return list(json.loads(path.read_text(encoding="utf-8"))["departments"])


def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return "sha256:" + digest.hexdigest()


def triage_source(config: TriageDataConfig) -> tuple[str, Path | None]:
    """The source `config` resolves to ('haodf20' or 'demo') and the haodf20 folder, if any.

    Raises:
        DataError: an explicitly named data directory is missing or has no haodf20.
    """
    data_dir = resolve_data_dir(config.data_dir)
    haodf = data_dir / "triage/haodf20" if data_dir else None
    if config.source != "auto":
        return config.source, haodf
    present = bool(haodf and (haodf / "train.csv").is_file())
    return auto_source(config.data_dir, present, "haodf20", "triage/haodf20/train.csv"), haodf


def describe_triage_data(config: TriageConfig) -> str:
    """Which data a run of `config` trains on, in words (the training CLI's first line)."""
    source, haodf = triage_source(config.data)
    if source == "haodf20":
        return f"haodf20 from {haodf}"
    return f"the hand-written demo set {config.data.demo_path}"


def load_triage_data(config: TriageDataConfig) -> TriageData:
    """Load the configured source, validate it, add feedback rows and split.

    Feedback rows (doctors' corrections) only ever join the training split, so the fixed
    validation and test splits stay comparable across retrains.

    Raises:
        DataValidationError: the data breaks its contract.
    """
    source, haodf = triage_source(config)
    data_dir = resolve_data_dir(config.data_dir)
    logger.info("triage data: %s%s", source, f" from {haodf}" if source == "haodf20" else "")
    departments = {d["name"] for d in load_departments(config, data_dir)}
    frame, path = _labelled_frame(config, source, haodf, departments)
    files: list[Path] = [path]
    for feedback_path in map(Path, config.feedback):
        feedback = _feedback_frame(feedback_path, departments)
        files.append(feedback_path)
        frame = pd.concat([frame, feedback], ignore_index=True)
    for vignette_path in map(Path, config.vignette_training):
        vignettes = _vignette_frame(vignette_path, departments, config.vignette_repeat)
        files.append(vignette_path)
        frame = pd.concat([frame, vignettes], ignore_index=True)
    frame = _cap_train_rows(frame, config.max_train_rows)
    unlabeled = pd.DataFrame({"text": [], "age_bucket": []})
    if source == "haodf20" and config.unlabeled and haodf and (haodf / "unlabeled.csv").is_file():
        unlabeled = _unlabeled_frame(haodf / "unlabeled.csv")
        files.append(haodf / "unlabeled.csv")
    labels = sorted(set(frame["department"]))
    missing_in_train = sorted(set(labels) - set(frame.loc[frame["split"] == "train", "department"]))
    if missing_in_train:
        logger.warning("departments with no training rows: %s", missing_in_train)
    logger.info(
        "triage data %s: %s rows by split, %d labels",
        source,
        frame["split"].value_counts().to_dict(),
        len(labels),
    )
    return TriageData(
        frame=frame,
        labels=labels,
        diseases=sorted({d for d in frame["disease"] if d}),
        source=source,
        sha256=_hash_files(files),
        files=[str(f) for f in files],
        unlabeled=unlabeled,
    )


def _labelled_frame(
    config: TriageDataConfig, source: str, haodf: Path | None, departments: set[str]
) -> tuple[pd.DataFrame, Path]:
    """The source's validated, normalised and split rows, and the file they came from."""
    if source == "haodf20":
        if haodf is None:
            raise DataValidationError("source haodf20 asked for but no data directory was found")
        path = haodf / "train.csv"
        raw = _read_csv(path, HAODF_REQUIRED)
        validate_rows(raw, path, departments)
        buckets = raw["age_group"].map(age_bucket_from_group)
        diseases = raw["disease"] if "disease" in raw.columns else pd.Series([""] * len(raw))
    else:
        path = Path(config.demo_path)
        raw = _read_csv(path, DEMO_REQUIRED)
        validate_rows(raw, path, departments)
        buckets = raw["age"].map(_years_to_bucket)
        diseases = pd.Series([""] * len(raw))
    frame = pd.DataFrame(
        {
            "id": raw["id"].str.strip(),
            "raw_text": raw["text"],
            "text": raw["text"].map(normalise),
            "age_bucket": buckets.values,
            "department": raw["department"],
            "disease": diseases.values,
            "origin": source,
        }
    )
    frame["split"] = [
        split_of(i, config.split.validation_percent, config.split.test_percent) for i in frame["id"]
    ]
    return frame, path


def _feedback_frame(path: Path, departments: set[str]) -> pd.DataFrame:
    """A feedback file's rows with a department decision, validated, as training rows."""
    feedback = _read_csv(path, FEEDBACK_REQUIRED)
    # Rows with only an urgency correction carry no department: not department labels.
    decided = feedback["department"].fillna("").astype(str).str.strip() != ""
    if not decided.all():
        logger.info(
            "%s: skipped %d rows without a department decision (urgency only)",
            path,
            int((~decided).sum()),
        )
    feedback = feedback[decided]
    validate_rows(feedback, path, departments)
    feedback = feedback.reset_index(drop=True)
    extra = pd.DataFrame(
        {
            "id": "feedback-" + feedback["id"].str.strip(),
            "raw_text": feedback["text"],
            "text": feedback["text"].map(normalise),
            "age_bucket": feedback["age"].map(_years_to_bucket).values,
            "department": feedback["department"],
            "disease": "",
            "origin": f"feedback:{path.name}",
            "split": "train",
        }
    )
    logger.info("added %d feedback rows from %s", len(extra), path)
    return extra


def _vignette_frame(path: Path, departments: set[str], repeat: int) -> pd.DataFrame:
    """A hand-written department vignette file as training rows, each `repeat` times (the ids
    stay distinct so the repeats never collide with each other or with haodf ids)."""
    rows = load_department_vignettes(path, sorted(departments))
    extra = pd.DataFrame(
        {
            "id": [f"vignette-{row.id}-{k}" for k in range(repeat) for row in rows],
            "raw_text": [row.text for _ in range(repeat) for row in rows],
            "text": [normalise(row.text) for _ in range(repeat) for row in rows],
            "age_bucket": [age_bucket(row.age) for _ in range(repeat) for row in rows],
            "department": [row.department for _ in range(repeat) for row in rows],
            "disease": "",
            "origin": f"vignette:{path.name}",
            "split": "train",
        }
    )
    logger.info("added %d vignette rows (%d x %d) from %s", len(extra), len(rows), repeat, path)
    return extra


def _cap_train_rows(frame: pd.DataFrame, max_train_rows: int | None) -> pd.DataFrame:
    """Drop a fixed random sample of training rows beyond `max_train_rows` (quick runs)."""
    if max_train_rows is None:
        return frame
    train = frame[frame["split"] == "train"]
    if len(train) <= max_train_rows:
        return frame
    drop = train.sample(n=len(train) - max_train_rows, random_state=0).index
    return frame.drop(index=drop).reset_index(drop=True)


def _unlabeled_frame(path: Path) -> pd.DataFrame:
    """haodf's unlabelled requests with a text: normalised text and age bucket."""
    raw = _read_csv(path, ("id", "age_group", "text"))
    raw = raw[raw["text"].str.strip() != ""]
    return pd.DataFrame(
        {
            "text": raw["text"].map(normalise).values,
            "age_bucket": raw["age_group"].map(age_bucket_from_group).values,
        }
    )


class DepartmentVignette(BaseModel):
    """One hand-written complaint of an evaluation set (data/vignettes/departments/*.jsonl)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    text: str = Field(min_length=1)
    age: int | None = Field(default=None, ge=0, le=130)
    sex: Literal["F", "M"] | None = None
    department: str
    language: str
    style: str
    rationale: str = Field(min_length=1)


def load_department_vignettes(path: Path, labels: Sequence[str]) -> list[DepartmentVignette]:
    """Read and validate a department vignette set against the model's labels.

    Raises:
        DataValidationError: a line is not a valid vignette or names an unknown department.
    """
    known = set(labels)
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = DepartmentVignette.model_validate_json(line)
        except ValidationError as exc:
            raise DataValidationError(f"{path}:{number}: {exc}") from exc
        if row.department not in known:
            raise DataValidationError(f"{path}:{number}: unknown department {row.department!r}")
        rows.append(row)
    return rows
