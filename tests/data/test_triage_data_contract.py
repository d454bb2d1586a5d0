"""Data contract of the real triage data:  pytest tests/data --data-dir ../shared/data"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from training.config import TriageDataConfig
from training.triage.data import (
    HAODF_REQUIRED,
    DataValidationError,
    load_triage_data,
    validate_rows,
)


@pytest.fixture(scope="module")
def haodf(data_dir: Path) -> Path:
    path = data_dir / "triage/haodf20"
    if not (path / "train.csv").is_file():
        pytest.skip(f"no haodf20 under {data_dir}")
    return path


def test_triage_data_columns_labels_and_ids(haodf: Path) -> None:
    frame = pd.read_csv(haodf / "train.csv", dtype=str, keep_default_na=False)
    assert set(HAODF_REQUIRED) <= set(frame.columns)
    departments = {
        d["name"]
        for d in json.loads((haodf / "labels.json").read_text(encoding="utf-8"))["departments"]
    }
    assert len(departments) == 20
    validate_rows(frame, haodf / "train.csv", departments)  # raises naming rows on any violation
    counts = frame["department"].value_counts()
    assert set(counts.index) == departments
    assert counts.max() / counts.min() < 2.5, "departments should stay roughly balanced"


def test_triage_data_loader_splits_are_disjoint_and_stable(haodf: Path, data_dir: Path) -> None:
    config = TriageDataConfig(source="haodf20", data_dir=str(data_dir))
    first = load_triage_data(config)
    second = load_triage_data(config)
    assert first.frame["split"].tolist() == second.frame["split"].tolist()
    ids = {s: set(first.part(s)["id"]) for s in ("train", "validation", "test")}
    assert not (ids["train"] & ids["test"]) and not (ids["validation"] & ids["test"])
    assert 0.07 < len(ids["test"]) / len(first.frame) < 0.13
    assert first.labels == sorted(first.labels) and len(first.labels) == 20


def test_triage_data_validation_names_bad_rows(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    pd.DataFrame(
        {
            "id": ["a", "a", "c"],
            "age_group": ["20+"] * 3,
            "text": ["头痛", "咳嗽", "  "],
            "department": ["内科", "内科", "火星科"],
        }
    ).to_csv(bad, index=False)
    with pytest.raises(DataValidationError) as info:
        validate_rows(pd.read_csv(bad, dtype=str, keep_default_na=False), bad, {"内科"})
    message = str(info.value)
    assert "line 3 id 'a': duplicate of line 2" in message
    assert "line 4 id 'c': empty text" in message and "unknown department '火星科'" in message
