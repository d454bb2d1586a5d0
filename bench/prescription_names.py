"""Which drug names does a prescription bundle's resolver fail on, and how often?

    python bench/prescription_names.py [--bundle models/prescription/current]
        [--data-dir ../shared/data] [--top 30] [--out FILE]

Resolves, with the bundle's `DrugResolver` (aliases.csv plus the curated abbreviations the
resolver loads itself):

- `ddinter`: every distinct drug name (`drug_a`, `drug_b`) of the real DDInter interaction table,
  `<data-dir>/safety/ddinter/interactions.csv` (skipped when absent);
- `scenarios`: every drug name of data/scenarios/prescription/scenarios.jsonl: the requests'
  `drugs` and `current_medications`, counted per occurrence;
- `allergies`: the scenarios' patient allergies, counted per occurrence. An allergy counts as
  resolved when it is a curated allergy class term (the bundle's `curated_allergy_terms.csv`, as
  the checker reads it) or resolves as a drug.

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

from prescription.names import name_key  # noqa: E402
from prescription.resolver import DrugResolver  # noqa: E402

SCENARIOS = ROOT / "data/scenarios/prescription/scenarios.jsonl"
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
        if name_key(name) in term_keys:
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
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--out", help="also write the JSON here (keep it outside the repo)")
    args = parser.parse_args()

    bundle = Path(args.bundle).resolve()
    resolver = DrugResolver.from_table(bundle / "aliases.csv")
    drugs, allergies = scenario_names(Path(args.scenarios))
    sources: dict[str, Any] = {}
    real = ddinter_names(Path(args.data_dir))
    if real is not None:
        sources["ddinter"] = measure(resolver, real, args.top)
    sources["scenarios"] = measure(resolver, drugs, args.top)
    sources["allergies"] = measure(resolver, allergies, args.top, allergy_terms(bundle))
    results = {"bundle": str(bundle), "aliases": len(resolver.aliases), "sources": sources}
    text = json.dumps(results, ensure_ascii=False, indent=2)
    print(text)
    print()
    print(markdown(results))
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
