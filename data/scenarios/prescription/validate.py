"""Structural check of scenarios.jsonl (does not run the checker).

Usage: /work/main/.venv/bin/python data/scenarios/prescription/validate.py
"""

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from prescription.schema import CheckRequest

HERE = Path(__file__).resolve().parent
TOP_KEYS = {"id", "category", "request", "patient_extra", "expect", "rationale"}
EXPECT_KEYS = {"must_alert", "must_not_alert", "must_resolve", "max_interruptive"}
MUST_KEYS = {"type", "drugs", "min_severity", "interruptive"}
MUSTNOT_KEYS = {"type", "drugs", "max_severity", "note"}
EXTRA_KEYS = {"egfr", "creatinine_umol_l", "crcl_ml_min", "hepatic_impairment", "schedule"}
TYPES = {"interaction", "duplicate_therapy", "dose", "contraindication", "allergy"}
SEV = {"contraindicated", "major", "moderate", "minor"}
HEP = {"none", "mild", "moderate", "severe", None}
MIN_COUNTS = {
    "contraindicated_pair": 25,
    "major_pair": 30,
    "names": 25,
    "renal": 25,
    "hepatic": 10,
    "schedule": 15,
    "intended_combination": 15,
    "duplicate": 10,
    "negative_control": 15,
    "pregnancy_allergy_age": 10,
}
RENAL_TEXT = re.compile(r"egfr|crcl|renal|肾", re.I)


@dataclass
class Tally:
    """What the whole file is checked against, gathered line by line."""

    ids: set[str] = field(default_factory=set)
    cats: Counter[str] = field(default_factory=Counter)
    renal_total: int = 0
    renal_text: int = 0
    names_all: list[str] = field(default_factory=list)


def main() -> int:
    errors: list[str] = []
    tally = Tally()
    lines = (HERE / "scenarios.jsonl").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        check_scenario(n, line, tally, errors)
    for cat, need in MIN_COUNTS.items():
        if tally.cats[cat] < need:
            errors.append(f"category {cat}: {tally.cats[cat]} < {need}")
    if len(tally.ids) < 170:
        errors.append(f"only {len(tally.ids)} scenarios")
    print_report(len(lines), tally, errors)
    return 1 if errors else 0


def check_scenario(n: int, line: str, tally: Tally, errors: list[str]) -> None:
    """One line's errors, in checking order (a broken line, request or expect ends its checks)."""
    where = f"line {n}"
    try:
        s = json.loads(line)
    except json.JSONDecodeError as exc:
        errors.append(f"{where}: not JSON ({exc})")
        return
    if set(s) != TOP_KEYS:
        errors.append(f"{where}: keys {sorted(s)}")
        return
    sid = s["id"]
    where = f"line {n} ({sid})"
    if not re.fullmatch(r"rx-s-\d{3}", sid):
        errors.append(f"{where}: bad id")
    if sid in tally.ids:
        errors.append(f"{where}: duplicate id")
    tally.ids.add(sid)
    tally.cats[s["category"]] += 1
    if s["category"] not in MIN_COUNTS:
        errors.append(f"{where}: unknown category {s['category']}")
    if s["request"].get("id") != sid:
        errors.append(f"{where}: request.id differs from id")
    try:
        req = CheckRequest.model_validate(s["request"])
    except Exception as exc:  # pydantic.ValidationError
        errors.append(f"{where}: request invalid: {exc}")
        return
    req_names = [d.name for d in req.drugs + req.current_medications]
    tally.names_all += req_names
    check_patient_extra(where, s["patient_extra"], errors)
    e = s["expect"]
    if set(e) != EXPECT_KEYS:
        errors.append(f"{where}: expect keys {sorted(e)}")
        return
    check_expect(where, s["category"], e, req_names, errors)
    if not s["rationale"].strip():
        errors.append(f"{where}: empty rationale")
    if s["category"] == "renal":
        tally.renal_total += 1
        if any(RENAL_TEXT.search(c) for c in req.patient.conditions):
            tally.renal_text += 1


def check_patient_extra(where: str, px: Any, errors: list[str]) -> None:
    if not isinstance(px, dict) or (px and set(px) != EXTRA_KEYS):
        errors.append(f"{where}: patient_extra keys {sorted(px)}")
    elif px:
        if px["hepatic_impairment"] not in HEP:
            errors.append(f"{where}: hepatic_impairment {px['hepatic_impairment']}")
        for k in ("egfr", "creatinine_umol_l", "crcl_ml_min"):
            if px[k] is not None and not isinstance(px[k], (int, float)):
                errors.append(f"{where}: {k} not a number")


def check_expect(
    where: str, category: str, e: dict[str, Any], req_names: list[str], errors: list[str]
) -> None:
    for a in e["must_alert"]:
        if (
            set(a) != MUST_KEYS
            or a["type"] not in TYPES
            or a["min_severity"] not in SEV
            or a["interruptive"] not in (True, False, None)
            or not a["drugs"]
        ):
            errors.append(f"{where}: bad must_alert {a}")
    for a in e["must_not_alert"]:
        if (
            set(a) != MUSTNOT_KEYS
            or a["type"] not in TYPES
            or a["max_severity"] not in SEV | {"none"}
            or not a["drugs"]
            or not a["note"]
        ):
            errors.append(f"{where}: bad must_not_alert {a}")
    for a in e["must_alert"] + e["must_not_alert"]:
        if any(d != d.lower() or not d.isascii() for d in a["drugs"]):
            errors.append(f"{where}: expected drug names must be lower-case English: {a['drugs']}")
    if not set(e["must_resolve"]) <= set(req_names):
        errors.append(
            f"{where}: must_resolve not in request: {set(e['must_resolve']) - set(req_names)}"
        )
    if e["max_interruptive"] is not None and (
        not isinstance(e["max_interruptive"], int) or e["max_interruptive"] < 0
    ):
        errors.append(f"{where}: bad max_interruptive")
    if not e["must_alert"] and not e["must_not_alert"] and e["max_interruptive"] is None:
        errors.append(f"{where}: scenario asserts nothing")
    if category == "negative_control" and e["max_interruptive"] != 0:
        errors.append(f"{where}: negative control must set max_interruptive 0")


def print_report(n_lines: int, tally: Tally, errors: list[str]) -> None:
    names_all = tally.names_all
    cjk = sum(1 for x in names_all if re.search(r"[\u4e00-\u9fff]", x))
    for msg in errors:
        print("ERROR", msg)
    print(f"{n_lines} lines, {len(tally.ids)} unique ids")
    for cat in MIN_COUNTS:
        print(f"  {cat:24s} {tally.cats[cat]:3d} (min {MIN_COUNTS[cat]})")
    print(f"renal cases with renal facts in conditions: {tally.renal_text}/{tally.renal_total}")
    print(
        f"drug names written in Chinese: {cjk}/{len(names_all)} "
        f"({cjk / max(len(names_all), 1):.0%})"
    )
    print("OK" if not errors else f"{len(errors)} errors")


if __name__ == "__main__":
    sys.exit(main())
