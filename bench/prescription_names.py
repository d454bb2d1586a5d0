"""Which drug names does a prescription bundle's resolver fail on, and how often?

    python bench/prescription_names.py [--bundle models/prescription/current]
        [--data-dir ../shared/data] [--top 30] [--out FILE]

Resolves, with the bundle's `DrugResolver` (aliases.csv plus the curated abbreviations the
bundle ships, as the predictor loads them):

- `ddinter`: every distinct drug name (`drug_a`, `drug_b`) of the real DDInter interaction table,
  `<data-dir>/safety/ddinter/interactions.csv` (skipped when absent);
- `scenarios`: every drug name of data/scenarios/prescription/scenarios.jsonl: the requests'
  `drugs` and `current_medications`, counted per occurrence;
- `allergies`: the scenarios' patient allergies, counted per occurrence. An allergy counts as
  resolved when it is a curated allergy class term (the bundle's `curated_allergy_terms.csv`,
  looked up as the checker does: also without brackets, allergy words and a trailing "drugs")
  or resolves as a drug;
- `name_list`: data/bench/prescription_name_list.csv (name, expected, note), names written by
  hand for this benchmark (brands with strength, route and frequency words, Chinese brand and
  colloquial names, English salt variants, compound products), none taken from a scenario file.
  A name counts as correct only when it resolves to exactly the expected ingredients, so a wrong
  resolution shows up as `wrong`, not as resolved.

Prints JSON (per source: names, unresolved, unresolved rate, top unresolved names with counts),
then a markdown table. Names from the shared data go to stdout (or --out) only. Not a test: the
rates are reported, never asserted.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from prescription.clinical import allergy_keys  # noqa: E402
from prescription.names import name_key  # noqa: E402
from prescription.resolver import ABBREVIATIONS_FILE, DrugResolver, load_abbreviations  # noqa: E402

SCENARIOS = ROOT / "data/scenarios/prescription/scenarios.jsonl"
NAME_LIST = ROOT / "data/bench/prescription_name_list.csv"
DDINTER = Path("safety/ddinter/interactions.csv")


def ddinter_names(data_dir: Path) -> Counter[str] | None:
    """Distinct DDInter drug names (each counted once), or None without the table."""
    path = data_dir / DDINTER
    if not path.is_file():
        return None
    names: Counter[str] = Counter()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for column in ("drug_a", "drug_b"):
                names[row[column].strip()] = 1
    return names


def scenario_names(path: Path) -> tuple[Counter[str], Counter[str]]:
    """(drug names of drugs + current_medications, allergies), counted per occurrence."""
    drugs: Counter[str] = Counter()
    allergies: Counter[str] = Counter()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            request = json.loads(line)["request"]
            for field in ("drugs", "current_medications"):
                drugs.update(d["name"] for d in request.get(field) or [])
            allergies.update(request.get("patient", {}).get("allergies") or [])
    return drugs, allergies


def allergy_terms(bundle: Path) -> set[str]:
    """The curated allergy class terms, as the checker keys them."""
    path = bundle / "curated_allergy_terms.csv"
    if not path.is_file():
        path = ROOT / "prescription/curated/allergy_terms.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {name_key(row["term"]) for row in csv.DictReader(handle)}


def measure(
    resolver: DrugResolver, names: Counter[str], top: int, terms: Iterable[str] = ()
) -> dict[str, Any]:
    """Unresolved counts over `names` (weighted by their counts) and the most frequent misses."""
    term_keys = set(terms)
    missed: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for name, count in names.items():
        if term_keys and any(key in term_keys for key in allergy_keys(name)):
            kinds["allergy_term"] += count
            continue
        resolution = resolver.resolve(name)
        if resolution.resolved:
            kinds[resolution.kind] += count
        else:
            missed[name] += count
    total = sum(names.values())
    unresolved = sum(missed.values())
    return {
        "names": total,
        "distinct": len(names),
        "unresolved": unresolved,
        "unresolved_distinct": len(missed),
        "unresolved_rate": round(unresolved / total, 4) if total else 0.0,
        "resolved_by_kind": dict(kinds.most_common()),
        "top_unresolved": [
            {"name": n, "count": c, "suggestions": list(resolver.resolve(n).suggestions)}
            for n, c in missed.most_common(top)
        ],
    }


def name_list(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(name, expected ingredients sorted) rows of the hand-written name list."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            (row["name"], tuple(sorted(row["expected"].split("|"))))
            for row in csv.DictReader(handle)
        ]


def measure_list(resolver: DrugResolver, rows: list[tuple[str, tuple[str, ...]]]) -> dict[str, Any]:
    """Correct / wrong / unresolved counts over the name list, with every miss listed."""
    wrong: list[dict[str, Any]] = []
    unresolved: list[dict[str, Any]] = []
    for name, expected in rows:
        resolution = resolver.resolve(name)
        if not resolution.resolved:
            unresolved.append({"name": name, "suggestions": list(resolution.suggestions)})
        elif tuple(sorted(resolution.ingredients)) != expected:
            wrong.append(
                {"name": name, "got": list(resolution.ingredients), "want": list(expected)}
            )
    total = len(rows)
    correct = total - len(wrong) - len(unresolved)
    return {
        "names": total,
        "correct": correct,
        "correct_rate": round(correct / total, 4) if total else 0.0,
        "wrong": wrong,
        "unresolved": unresolved,
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"Unresolved drug names, bundle {results['bundle']}",
        "",
        "| source | names | distinct | unresolved | unresolved rate |",
        "|---|---:|---:|---:|---:|",
    ]
    for source, r in results["sources"].items():
        lines.append(
            f"| {source} | {r['names']} | {r['distinct']} | {r['unresolved']} "
            f"| {r['unresolved_rate']:.2%} |"
        )
    listed = results.get("name_list")
    if listed:
        lines += [
            "",
            f"Hand-written name list: {listed['correct']}/{listed['names']} resolve to the "
            f"expected ingredients ({listed['correct_rate']:.2%}); {len(listed['wrong'])} wrong, "
            f"{len(listed['unresolved'])} unresolved",
        ]
        for item in listed["unresolved"]:
            lines.append(f"- unresolved: {item['name']}")
        for item in listed["wrong"]:
            lines.append(f"- wrong: {item['name']} -> {'|'.join(item['got'])}")
    for source, r in results["sources"].items():
        if not r["top_unresolved"]:
            continue
        lines += ["", f"Top unresolved, {source}", "", "| name | count | suggestions |"]
        lines.append("|---|---:|---|")
        for item in r["top_unresolved"]:
            lines.append(f"| {item['name']} | {item['count']} | {', '.join(item['suggestions'])} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bundle", default=str(ROOT / "models/prescription/current"))
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared/data"))
    parser.add_argument("--scenarios", default=str(SCENARIOS))
    parser.add_argument("--name-list", default=str(NAME_LIST))
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--out", help="also write the JSON here (keep it outside the repo)")
    args = parser.parse_args()

    bundle = Path(args.bundle).resolve()
    # The bundle's own copy of the abbreviations, as the predictor loads them, so the figures are
    # the deployed resolver's; an older bundle without one falls back to the package's table.
    shipped = bundle / ABBREVIATIONS_FILE
    abbreviations = load_abbreviations(shipped) if shipped.is_file() else None
    resolver = DrugResolver.from_table(bundle / "aliases.csv", abbreviations)
    drugs, allergies = scenario_names(Path(args.scenarios))
    sources: dict[str, Any] = {}
    real = ddinter_names(Path(args.data_dir))
    if real is not None:
        sources["ddinter"] = measure(resolver, real, args.top)
    sources["scenarios"] = measure(resolver, drugs, args.top)
    sources["allergies"] = measure(resolver, allergies, args.top, allergy_terms(bundle))
    results = {
        "bundle": str(bundle),
        "aliases": len(resolver.aliases),
        "sources": sources,
        "name_list": measure_list(resolver, name_list(Path(args.name_list))),
    }
    text = json.dumps(results, ensure_ascii=False, indent=2)
    print(text)
    print()
    print(markdown(results))
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
