"""Structural check of scenarios.jsonl (does not run the checker).

Usage: /work/main/.venv/bin/python data/scenarios/prescription/validate.py
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

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


def main() -> int:
    errors, ids, cats = [], set(), Counter()
    renal_total = renal_text = 0
    names_all = []
    lines = (HERE / "scenarios.jsonl").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        try:
            s = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: not JSON ({exc})")
            continue
        if set(s) != TOP_KEYS:
            errors.append(f"{where}: keys {sorted(s)}")
            continue
        sid = s["id"]
        where = f"line {n} ({sid})"
        if not re.fullmatch(r"rx-s-\d{3}", sid):
            errors.append(f"{where}: bad id")
        if sid in ids:
            errors.append(f"{where}: duplicate id")
        ids.add(sid)
        cats[s["category"]] += 1
        if s["category"] not in MIN_COUNTS:
            errors.append(f"{where}: unknown category {s['category']}")
        if s["request"].get("id") != sid:
            errors.append(f"{where}: request.id differs from id")
        try:
            req = CheckRequest.model_validate(s["request"])
        except Exception as exc:  # pydantic.ValidationError
            errors.append(f"{where}: request invalid: {exc}")
            continue
        req_names = [d.name for d in req.drugs + req.current_medications]
        names_all += req_names
        px = s["patient_extra"]
        if not isinstance(px, dict) or (px and set(px) != EXTRA_KEYS):
            errors.append(f"{where}: patient_extra keys {sorted(px)}")
        elif px:
            if px["hepatic_impairment"] not in HEP:
                errors.append(f"{where}: hepatic_impairment {px['hepatic_impairment']}")
            for k in ("egfr", "creatinine_umol_l", "crcl_ml_min"):
                if px[k] is not None and not isinstance(px[k], (int, float)):
                    errors.append(f"{where}: {k} not a number")
        e = s["expect"]
        if set(e) != EXPECT_KEYS:
            errors.append(f"{where}: expect keys {sorted(e)}")
            continue
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
                errors.append(
                    f"{where}: expected drug names must be lower-case English: {a['drugs']}"
                )
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
        if s["category"] == "negative_control" and e["max_interruptive"] != 0:
            errors.append(f"{where}: negative control must set max_interruptive 0")
        if not s["rationale"].strip():
            errors.append(f"{where}: empty rationale")
        if s["category"] == "renal":
            renal_total += 1
            if any(RENAL_TEXT.search(c) for c in req.patient.conditions):
                renal_text += 1
    for cat, need in MIN_COUNTS.items():
        if cats[cat] < need:
            errors.append(f"category {cat}: {cats[cat]} < {need}")
    if len(ids) < 170:
        errors.append(f"only {len(ids)} scenarios")
    cjk = sum(1 for x in names_all if re.search(r"[\u4e00-\u9fff]", x))
    for msg in errors:
        print("ERROR", msg)
    print(f"{len(lines)} lines, {len(ids)} unique ids")
    for cat in MIN_COUNTS:
        print(f"  {cat:24s} {cats[cat]:3d} (min {MIN_COUNTS[cat]})")
    print(f"renal cases with renal facts in conditions: {renal_text}/{renal_total}")
    print(
        f"drug names written in Chinese: {cjk}/{len(names_all)} "
        f"({cjk / max(len(names_all), 1):.0%})"
    )
    print("OK" if not errors else f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
