"""Judge an urgency round: the old builds against the new ones on the untouched vignette files,
by the rule written before the round (README, urgency round 53).

    python bench/urgency.py --split S --bundle B --rules bundle --no-haodf --no-invariance --out F
        (once per build and untouched file S)
    python bench/urgency_round.py --old F... --new F... --judged holdout_r54 holdout_r54b

Counted over every build of a side and every judged file: E emergencies missed, A
`emergency_ambulance` cases missed, F look-alike false alarms, N emergency lines; H is the mean
over a side's builds of the haodf test rate in each bundle's manifest
(`metrics.urgency_backstop.test_emergency_rate_with_backstop`), or, when a build's reports were
run without `--no-haodf`, the test rate they measured (`haodf.test.emergency_rate`: the rate of
the rules actually run, e.g. a changed packaged table beside the bundle's backstop with `--rules
packaged`, which the manifest cannot know).

Round 29's rule: accepted when E and A do not rise, F rises by at most 3, at least one of E, A
and F falls, and H rises by at most 0.1 point. Round 53 weighs the H clause: H may rise by
max(0.1 point, W x p x (E_old - E_new) / N), never by more than 0.3 point, where p is the share
of real consultations that are emergencies and W the false alarms accepted per emergency caught.
Files named with ``--beside`` are counted and printed but never judged.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Rule:
    """The acceptance rule's settings (round 53's by default; ``weight=0`` is round 29's)."""

    prevalence: float = 0.01
    weight: float = 10.0
    free_rise: float = 0.001
    max_rise: float = 0.003
    max_false_alarm_rise: int = 3


@dataclass(frozen=True)
class Side:
    """E / A / F / N summed over a side's builds and files, and H over its builds."""

    missed: int
    ambulance_missed: int
    false_alarms: int
    emergencies: int
    haodf_rate: float | None
    builds: int
    haodf_source: str = "manifest"


def count(reports: list[dict[str, Any]], splits: list[str]) -> Side:
    """Sum one side's `bench/urgency.py --out` reports over ``splits``; each report may hold one
    split or several, and a build is named by its report's ``bundle``."""
    missed = ambulance = alarms = emergencies = 0
    seen: set[tuple[str, str]] = set()
    bundles = list(dict.fromkeys(str(report.get("bundle")) for report in reports))
    for report in reports:
        bundle = str(report.get("bundle"))
        for split in splits:
            part = report.get(f"vignettes_{split}")
            if part is None:
                continue
            if (bundle, split) in seen:
                raise ValueError(f"{split} is counted twice for {bundle}")
            seen.add((bundle, split))
            n = int(part["emergencies"])
            emergencies += n
            ambulance += len(part["ambulance_missed"])
            # reports written after round 55's verdict carry the counts; older ones only the
            # rates, rounded to four decimals, which give them back exactly below 10,000 lines
            if "missed" in part:
                missed += int(part["missed"])
            else:
                missed += round((1 - float(part["recall"])) * n)
            if "false_alarm_count" in part:
                alarms += int(part["false_alarm_count"])
            else:
                alarms += round(float(part["false_alarm_rate"]) * int(part["lookalikes"]))
    for bundle in bundles:
        for split in splits:
            if (bundle, split) not in seen:
                raise ValueError(f"no report of {split} for {bundle}")
    measured = {
        str(r.get("bundle")): float(r["haodf"]["test"]["emergency_rate"])
        for r in reports
        if "test" in (r.get("haodf") or {})
    }
    source = "bench" if measured and all(b in measured for b in bundles) else "manifest"
    found = [measured[b] if source == "bench" else _haodf_rate(b) for b in bundles]
    rates = [rate for rate in found if rate is not None]
    haodf = sum(rates) / len(rates) if rates and len(rates) == len(bundles) else None
    return Side(missed, ambulance, alarms, emergencies, haodf, len(bundles), source)


def _haodf_rate(bundle: str) -> float | None:
    manifest = Path(bundle) / "manifest.json"
    if not manifest.is_file():
        return None
    metrics = json.loads(manifest.read_text(encoding="utf-8")).get("metrics", {})
    backstop = metrics.get("urgency_backstop") or {}
    rate = backstop.get("test_emergency_rate_with_backstop")
    return None if rate is None else float(rate)


def allowed_rise(old: Side, new: Side, rule: Rule) -> float:
    """How far H may rise: the free 0.1 point, or the emergencies caught x p x W, capped."""
    caught = (old.missed - new.missed) / max(1, new.emergencies)
    return min(rule.max_rise, max(rule.free_rise, rule.weight * rule.prevalence * caught))


def judge(old: Side, new: Side, rule: Rule) -> dict[str, Any]:
    """Every clause of the rule, and the verdict."""
    if old.emergencies != new.emergencies:
        raise ValueError(f"the sides count different lines: {old.emergencies} vs {new.emergencies}")
    if old.haodf_rate is None or new.haodf_rate is None:
        raise ValueError("a build's manifest has no haodf test rate")
    if old.haodf_source != new.haodf_source:
        raise ValueError(
            f"H comes from the {old.haodf_source} on one side and the {new.haodf_source} on "
            "the other: run both sides' reports the same way"
        )
    rise = new.haodf_rate - old.haodf_rate
    allowed = allowed_rise(old, new, rule)
    clauses = {
        "E does not rise": new.missed <= old.missed,
        "A does not rise": new.ambulance_missed <= old.ambulance_missed,
        f"F rises by at most {rule.max_false_alarm_rise}": new.false_alarms
        <= old.false_alarms + rule.max_false_alarm_rise,
        "one of E, A, F falls": new.missed < old.missed
        or new.ambulance_missed < old.ambulance_missed
        or new.false_alarms < old.false_alarms,
        "H rises by at most the allowed": rise <= allowed + 1e-12,
    }
    return {
        "clauses": clauses,
        "haodf_rise_points": round(rise * 100, 4),
        "haodf_allowed_points": round(allowed * 100, 4),
        "accepted": all(clauses.values()),
    }


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", nargs="+", required=True, help="the old builds' reports")
    parser.add_argument("--new", nargs="+", required=True, help="the new builds' reports")
    parser.add_argument("--judged", nargs="+", required=True, help="the untouched files judged")
    parser.add_argument("--beside", nargs="*", default=["holdout"], help="counted, not judged")
    parser.add_argument("--weight", type=float, default=Rule.weight)
    parser.add_argument("--prevalence", type=float, default=Rule.prevalence)
    parser.add_argument("--out", default=None)
    return parser.parse_args()


def _load(paths: list[str]) -> list[dict[str, Any]]:
    return [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths]


def main() -> None:
    args = _arguments()
    old_reports, new_reports = _load(args.old), _load(args.new)
    old, new = count(old_reports, args.judged), count(new_reports, args.judged)
    rule = Rule(prevalence=args.prevalence, weight=args.weight)
    result: dict[str, Any] = {
        "rule": asdict(rule),
        "judged": args.judged,
        "old": asdict(old),
        "new": asdict(new),
        "verdict": judge(old, new, rule),
        "not_judged": {
            f"weight {w:g}": judge(old, new, Rule(prevalence=rule.prevalence, weight=w))
            for w in (0.0, 5.0, 20.0)
            if w != rule.weight
        },
    }
    for split in args.beside:
        try:
            result[f"beside_{split}"] = {
                "old": asdict(count(old_reports, [split])),
                "new": asdict(count(new_reports, [split])),
            }
        except ValueError as error:
            result[f"beside_{split}"] = {"error": str(error)}
    text = json.dumps(result, ensure_ascii=False, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    verdict = result["verdict"]
    print("\n| | E | A | F | N | H |\n|---|---|---|---|---|---|")
    for name, side in (("old", old), ("new", new)):
        rate = "n/a" if side.haodf_rate is None else f"{side.haodf_rate:.3%}"
        print(
            f"| {name} | {side.missed} | {side.ambulance_missed} | {side.false_alarms} "
            f"| {side.emergencies} | {rate} |"
        )
    print(
        f"\nH {verdict['haodf_rise_points']:+.3f} point, allowed "
        f"{verdict['haodf_allowed_points']:.3f}: "
        f"{'ACCEPTED' if verdict['accepted'] else 'REFUSED'}"
    )


if __name__ == "__main__":
    main()
