"""Per-line difference between two versions of the urgency rules on every tuning vignette file:
the check each urgency round's change must pass before it is judged (README, urgency rounds
37-40: no emergency lost, no look-alike raised, and the look-alikes it fixes counted per file,
since a change is kept only when they come from three or more files).

    python bench/urgency_rules_diff.py dump --out old.json        (in a checkout of the old rules)
    python bench/urgency_rules_diff.py dump --out new.json        (in the changed checkout)
    python bench/urgency_rules_diff.py compare old.json new.json [--out FILE]

``dump`` runs the packaged rule table alone (no learned backstop) on every vignette file in
``data/vignettes/urgency`` except the untouched ``holdout*`` files, which it never opens, and
writes one record per line. ``compare`` prints JSON (lost, raised, fixed lines per file, misses,
ambulance misses and false alarms before and after) and a table, and names each lost or raised
line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.urgency import VIGNETTES  # noqa: E402


def tuning_files(folder: Path = VIGNETTES) -> list[Path]:
    """Every vignette file rules may be tuned on: all but the untouched ``holdout*`` files."""
    return sorted(p for p in folder.glob("*.jsonl") if not p.name.startswith("holdout"))


def dump(files: list[Path]) -> dict[str, list[dict[str, Any]]]:
    """The packaged rules' decision on every line of ``files``, by file name (without
    ``.jsonl``); a line is keyed by its position and id, so two dumps of one file align."""
    from training.triage.urgency import load_vignettes
    from triage.urgency import EMERGENCY_LEVELS, UrgencyEngine

    engine = UrgencyEngine.default()
    decisions: dict[str, list[dict[str, Any]]] = {}
    for path in files:
        rows = []
        for index, row in enumerate(load_vignettes(path)):
            assessed = engine.assess(row["text"], row.get("age"), row.get("sex"))
            rows.append(
                {
                    "key": f"{index}:{row.get('id')}",
                    "expected_urgency": row.get("expected_urgency"),
                    "expected_level": row.get("expected_level"),
                    "style": row.get("style"),
                    "emergency": assessed.level in EMERGENCY_LEVELS,
                    "rules": assessed.rule_ids,
                    "text": row["text"],
                }
            )
        decisions[path.stem] = rows
    return decisions


def compare(
    old: dict[str, list[dict[str, Any]]], new: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """What changed from ``old`` to ``new`` (two dumps of the same files), line by line."""
    if sorted(old) != sorted(new):
        raise ValueError(f"the dumps cover different files: {sorted(set(old) ^ set(new))}")
    # [old, new] per measure
    totals = {name: [0, 0] for name in ("misses", "ambulance_misses", "false_alarms")}
    lost: list[dict[str, Any]] = []
    raised: list[dict[str, Any]] = []
    fixed: dict[str, list[str]] = defaultdict(list)
    for name in sorted(old):
        if len(old[name]) != len(new[name]):
            raise ValueError(f"{name}: {len(old[name])} lines before, {len(new[name])} after")
        for before, after in zip(old[name], new[name], strict=True):
            if before["key"] != after["key"] or before["text"] != after["text"]:
                raise ValueError(f"{name}: line {before['key']} differs between the dumps")
            if before["expected_urgency"] == "emergency":
                for side, row in enumerate((before, after)):
                    totals["misses"][side] += not row["emergency"]
                    if row["expected_level"] == "emergency_ambulance":
                        totals["ambulance_misses"][side] += not row["emergency"]
                if before["emergency"] and not after["emergency"]:
                    lost.append(_line(name, before))
            elif before["expected_urgency"] == "routine":
                for side, row in enumerate((before, after)):
                    totals["false_alarms"][side] += row["emergency"]
                if after["emergency"] and not before["emergency"]:
                    raised.append(_line(name, after))
                if before["emergency"] and not after["emergency"]:
                    fixed[name].append(before["key"])
    return {
        "files": len(old),
        "lines": sum(len(rows) for rows in old.values()),
        "lost": lost,
        "raised": raised,
        "fixed_by_file": dict(fixed),
        "files_with_fixes": len(fixed),
        **{name: {"old": pair[0], "new": pair[1]} for name, pair in totals.items()},
    }


def _line(name: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"file": name, "key": row["key"], "rules": row["rules"], "text": row["text"]}


def print_table(report: dict[str, Any]) -> None:
    print(f"\n{report['files']} files, {report['lines']} lines\n")
    print("| measure | old | new |\n|---|---|---|")
    for name in ("misses", "ambulance_misses", "false_alarms"):
        print(f"| {name} | {report[name]['old']} | {report[name]['new']} |")
    print(f"| lost (emergencies no longer flagged) | | {len(report['lost'])} |")
    print(f"| raised (look-alikes newly flagged) | | {len(report['raised'])} |")
    print(f"| files with fixed look-alikes | | {report['files_with_fixes']} |")
    for kind in ("lost", "raised"):
        for line in report[kind]:
            print(f"{kind.upper()} {line['file']} {line['key']} {line['rules']} {line['text']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump", help="the packaged rules on every tuning file")
    dumping.add_argument("--out", type=Path, required=True)
    comparing = commands.add_parser("compare", help="two dumps, line by line")
    comparing.add_argument("old", type=Path)
    comparing.add_argument("new", type=Path)
    comparing.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "dump":
        decisions = dump(tuning_files())
        args.out.write_text(json.dumps(decisions, ensure_ascii=False), encoding="utf-8")
        print(json.dumps({"files": len(decisions), "lines": sum(map(len, decisions.values()))}))
        return 0
    report = compare(
        json.loads(args.old.read_text(encoding="utf-8")),
        json.loads(args.new.read_text(encoding="utf-8")),
    )
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
