"""bench/urgency_rules_diff.py: the per-line check of a rules change (no emergency lost, no
look-alike raised, fixes counted per file) on hand-made dumps whose answers are known, and the
file list that must never include an untouched holdout."""

from pathlib import Path

import pytest

from bench.urgency_rules_diff import compare, tuning_files


def _row(key: str, expected: str, emergency: bool, level: str = "emergency") -> dict:
    return {
        "key": key,
        "expected_urgency": expected,
        "expected_level": level,
        "style": "x",
        "emergency": emergency,
        "rules": ["r"] if emergency else [],
        "text": f"text {key}",
    }


def test_lost_raised_and_fixed_lines_are_named() -> None:
    old = {
        "a": [
            _row("0:a1", "emergency", True, "emergency_ambulance"),
            _row("1:a2", "routine", True, "consultation"),
        ],
        "b": [_row("0:b1", "routine", False, "consultation"), _row("1:b2", "emergency", False)],
    }
    new = {
        "a": [
            _row("0:a1", "emergency", False, "emergency_ambulance"),  # lost, an ambulance case
            _row("1:a2", "routine", False, "consultation"),  # fixed
        ],
        "b": [_row("0:b1", "routine", True, "consultation"), _row("1:b2", "emergency", False)],
    }
    report = compare(old, new)
    assert [line["key"] for line in report["lost"]] == ["0:a1"]
    assert [line["key"] for line in report["raised"]] == ["0:b1"]
    assert report["fixed_by_file"] == {"a": ["1:a2"]}
    assert report["files_with_fixes"] == 1
    assert report["misses"] == {"old": 1, "new": 2}
    assert report["ambulance_misses"] == {"old": 0, "new": 1}
    assert report["false_alarms"] == {"old": 1, "new": 1}


def test_dumps_of_different_lines_are_refused() -> None:
    old = {"a": [_row("0:a1", "emergency", True)]}
    with pytest.raises(ValueError, match="different files"):
        compare(old, {"b": old["a"]})
    with pytest.raises(ValueError, match="differs"):
        compare(old, {"a": [_row("0:a9", "emergency", True)]})


def test_untouched_holdouts_are_never_dumped(tmp_path: Path) -> None:
    for name in ("tune.jsonl", "retired_holdout_r40.jsonl", "holdout.jsonl", "holdout_r41.jsonl"):
        (tmp_path / name).write_text("", encoding="utf-8")
    assert [p.name for p in tuning_files(tmp_path)] == ["retired_holdout_r40.jsonl", "tune.jsonl"]
