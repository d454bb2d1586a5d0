"""bench/urgency_round.py: the urgency round's acceptance rule on hand-made reports whose answers
are known (round 51's counts, a rise in ambulance misses, the cap), and the counting itself."""

import json
from pathlib import Path

import pytest

from bench.urgency_round import Rule, Side, allowed_rise, count, judge

ROUND_29 = Rule(weight=0.0)


def _side(missed: int, ambulance: int, alarms: int, rate: float, n: int = 1794) -> Side:
    return Side(missed, ambulance, alarms, n, rate, 3)


def test_round_51_is_refused_by_round_29_and_accepted_when_weighed() -> None:
    old, new = _side(68, 12, 9, 0.01487), _side(29, 7, 10, 0.01604)
    assert not judge(old, new, ROUND_29)["accepted"]
    weighed = judge(old, new, Rule())
    assert weighed["accepted"]
    assert weighed["haodf_allowed_points"] == pytest.approx(0.2174, abs=1e-3)
    assert not judge(old, new, Rule(weight=5.0))["accepted"]


def test_a_rise_in_ambulance_misses_is_refused_whatever_the_gain() -> None:
    verdict = judge(_side(68, 12, 9, 0.0149), _side(20, 13, 9, 0.0149), Rule())
    assert not verdict["accepted"]
    assert verdict["clauses"]["A does not rise"] is False


def test_more_than_three_added_false_alarms_are_refused() -> None:
    verdict = judge(_side(68, 12, 9, 0.0149), _side(29, 7, 13, 0.0149), Rule())
    assert not verdict["accepted"]


def test_the_haodf_rise_is_capped() -> None:
    old, new = _side(300, 12, 9, 0.0149), _side(0, 0, 9, 0.0149 + 0.0031)
    assert allowed_rise(old, new, Rule()) == pytest.approx(0.003)
    assert not judge(old, new, Rule())["accepted"]


def test_a_change_with_no_gain_keeps_the_free_tenth_of_a_point() -> None:
    old = _side(24, 1, 12, 0.01487)
    assert allowed_rise(old, old, Rule()) == pytest.approx(0.001)
    assert not judge(old, old, Rule())["accepted"]  # nothing falls
    assert judge(old, _side(24, 1, 11, 0.01487 + 0.0009), Rule())["accepted"]
    assert not judge(old, _side(24, 1, 11, 0.01487 + 0.0011), Rule())["accepted"]


def _report(tmp_path: Path, name: str, rate: float, parts: dict) -> dict:
    bundle = tmp_path / name
    bundle.mkdir()
    manifest = {"metrics": {"urgency_backstop": {"test_emergency_rate_with_backstop": rate}}}
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    return {"bundle": str(bundle), **{f"vignettes_{k}": v for k, v in parts.items()}}


def _part(emergencies: int, recall: float, ambulance: int, lookalikes: int, rate: float) -> dict:
    return {
        "emergencies": emergencies,
        "recall": recall,
        "ambulance_missed": [f"a{i}" for i in range(ambulance)],
        "lookalikes": lookalikes,
        "false_alarm_rate": rate,
    }


def test_count_sums_builds_and_files_and_averages_the_manifests(tmp_path: Path) -> None:
    one = _report(tmp_path, "b1", 0.010, {"x": _part(300, 0.99, 1, 288, 0.0069)})
    two = {"bundle": one["bundle"], "vignettes_y": _part(300, 0.9667, 2, 288, 0.0347)}
    both = {"x": _part(300, 1.0, 0, 288, 0.0), "y": _part(300, 0.98, 0, 288, 0.0)}
    three = _report(tmp_path, "b2", 0.020, both)
    side = count([one, two, three], ["x", "y"])
    assert (side.missed, side.ambulance_missed, side.false_alarms) == (3 + 10 + 0 + 6, 3, 2 + 10)
    assert side.emergencies == 1200 and side.builds == 2
    assert side.haodf_rate == pytest.approx(0.015)


def test_a_missing_or_doubled_report_is_an_error(tmp_path: Path) -> None:
    one = _report(tmp_path, "b1", 0.010, {"x": _part(300, 0.99, 1, 288, 0.0069)})
    with pytest.raises(ValueError, match="no report of y"):
        count([one], ["x", "y"])
    with pytest.raises(ValueError, match="counted twice"):
        count([one, dict(one)], ["x"])


def test_a_measured_haodf_rate_replaces_the_manifests(tmp_path: Path) -> None:
    one = _report(tmp_path, "b1", 0.010, {"x": _part(300, 0.99, 1, 288, 0.0069)})
    two = _report(tmp_path, "b2", 0.020, {"x": _part(300, 0.99, 1, 288, 0.0069)})
    assert count([one, two], ["x"]).haodf_source == "manifest"
    one["haodf"] = {"test": {"emergency_rate": 0.012}}
    half = count([one, two], ["x"])  # one build measured, one not: the manifests, for both
    assert half.haodf_source == "manifest" and half.haodf_rate == pytest.approx(0.015)
    two["haodf"] = {"test": {"emergency_rate": 0.014}}
    both = count([one, two], ["x"])
    assert both.haodf_source == "bench" and both.haodf_rate == pytest.approx(0.013)
    with pytest.raises(ValueError, match="run both sides"):
        judge(half, both, Rule())


def test_the_reports_counts_are_used_where_the_rounded_rates_would_not_give_them_back(
    tmp_path: Path,
) -> None:
    # 19,998 of 20,001 caught is a recall of 0.99985, written 0.9999: the rate alone gives 2
    # misses, the count 3; 3 false alarms of 20,001 are 0.00015, written 0.0001 (or 0.0002)
    part = _part(20001, 0.9999, 0, 20001, 0.0001)
    rated = count([_report(tmp_path, "rated", 0.01, {"x": dict(part)})], ["x"])
    assert (rated.missed, rated.false_alarms) == (2, 2)
    counted = count(
        [_report(tmp_path, "counted", 0.01, {"x": {**part, "missed": 3, "false_alarm_count": 3}})],
        ["x"],
    )
    assert (counted.missed, counted.false_alarms) == (3, 3)


def test_the_bench_report_carries_the_counts_the_judge_reads() -> None:
    from bench.urgency import vignette_report

    def row(i: int, urgency: str, level: str = "emergency") -> dict:
        return {
            "id": f"v{i}",
            "text": f"t{i}",
            "expected_urgency": urgency,
            "expected_level": level if urgency == "emergency" else "consultation",
            "condition": "c",
            "style": "s",
        }

    rows = [row(0, "emergency"), row(1, "emergency", "emergency_ambulance"), row(2, "emergency")]
    rows += [row(3, "routine"), row(4, "routine")]
    # t1 (the ambulance case) and t2 are missed, t3 is a false alarm
    levels = {"t0": "emergency", "t3": "emergency"}
    report = vignette_report(
        rows, lambda text, age, sex: (levels.get(text, "consultation"), []), show=False
    )
    assert (report["missed"], report["false_alarm_count"]) == (2, 1)
    assert report["ambulance_missed"] == ["v1"]
    side = count([{"bundle": "b", "vignettes_x": report}], ["x"])
    assert (side.missed, side.ambulance_missed, side.false_alarms) == (2, 1, 1)
