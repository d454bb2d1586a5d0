"""Hospital department maps: validated against the bundle's labels, age rules, summed
probabilities, and the predictor answering in clinics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from runtime.errors import BundleError
from triage.departments import DepartmentMap, load_department_map

ROOT = Path(__file__).resolve().parents[2]
LABELS = ["产前检查", "妇产科", "小儿呼吸系统疾病", "小儿消化疾病", "运动医学", "骨科", "眼科"]
EXAMPLE = ROOT / "configs/department_maps/example_hospital.yaml"


def _map(rules: list[dict[str, object]]) -> DepartmentMap:
    return DepartmentMap.model_validate({"version": "t", "rules": rules})


def test_map_sums_probabilities_per_clinic_and_keeps_unmapped_labels() -> None:
    mapping = _map(
        [
            {"labels": ["小儿*"], "clinic": "儿科", "max_age": 13},
            {"labels": ["运动医学", "骨科"], "clinic": "骨科"},
        ]
    )
    probabilities = np.array([0.05, 0.05, 0.3, 0.2, 0.15, 0.15, 0.1])
    clinics = mapping.clinic_probabilities(LABELS, probabilities, age=5)
    assert [c for c, _, _ in clinics][:2] == ["儿科", "骨科"]
    assert clinics[0][1] == pytest.approx(0.5) and clinics[0][2] == [
        "小儿呼吸系统疾病",
        "小儿消化疾病",
    ]
    assert sum(total for _, total, _ in clinics) == pytest.approx(1.0)
    assert ("眼科", pytest.approx(0.1), ["眼科"]) in clinics


def test_map_age_rules_apply_only_inside_their_bounds() -> None:
    mapping = _map(
        [
            {"labels": ["小儿*"], "clinic": "儿科", "max_age": 13},
            {"labels": ["小儿*"], "clinic": "内科", "min_age": 14},
        ]
    )
    assert mapping.clinic_for("小儿消化疾病", 13) == "儿科"
    assert mapping.clinic_for("小儿消化疾病", 14) == "内科"
    assert mapping.clinic_for("小儿消化疾病", None) == "儿科", "unknown age: first rule by order"
    assert mapping.clinic_for("眼科", 3) == "眼科"


def test_map_naming_an_unknown_label_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("version: x\nrules:\n  - {labels: [心血管科], clinic: 心内科}\n", "utf-8")
    with pytest.raises(BundleError, match="心血管科"):
        load_department_map(path, LABELS)
    path.write_text(
        "version: x\nrules:\n  - {labels: [眼科], clinic: 眼科, min_age: 9, max_age: 3}\n", "utf-8"
    )
    with pytest.raises(BundleError, match="min_age"):
        load_department_map(path, LABELS)
    with pytest.raises(BundleError, match=r"missing\.yaml"):
        load_department_map(tmp_path / "missing.yaml", LABELS)


def test_map_the_shipped_example_fits_the_haodf_labels() -> None:
    import json

    departments = json.loads((ROOT / "data/demo/departments.json").read_text(encoding="utf-8"))
    labels = sorted(d["name"] for d in departments["departments"])
    mapping = load_department_map(EXAMPLE, labels)
    assert mapping.clinic_for("小儿耳鼻喉", 4) == "儿科"
    assert mapping.clinic_for("运动医学", 30) == mapping.clinic_for("脊柱退行性变", 30) == "骨科"
