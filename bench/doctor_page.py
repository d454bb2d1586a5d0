"""Render time of the doctor's page for a queue of N rows (each with one urgency reason, 40
department choices): best of 5 runs of 20 renders. Prints JSON, then a markdown table.

    python bench/doctor_page.py [--rows 200]
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.routes.doctor import render_page  # noqa: E402

DEPARTMENTS = ["心血管内科", "呼吸与危重症医学科", "急诊医学科", "神经内科"] * 10


def queue(rows: int) -> list[dict[str, object]]:
    """Rows shaped as the consultation store's queue gives them."""
    return [
        {
            "id": f"c{n:05d}",
            "received_at": 1_700_000_000.0 + n,
            "text": f"胸痛{n % 9 + 1}小时，出冷汗，左臂发麻，既往高血压 <{n}>",
            "age": 30 + n % 50,
            "sex": "MF"[n % 2],
            "departments": [
                {"name": "心血管内科", "probability": 0.71},
                {"name": "急诊医学科", "probability": 0.2},
            ],
            "abstain": n % 7 == 0,
            "urgency": "emergency",
            "red_flags": ["acs_chest_pain_autonomic"],
            "model_version": "20261203-000000-demo",
            "triage_level": "emergency_ambulance",
            "reasons": [
                {
                    "start": 0,
                    "end": 2,
                    "level": "emergency_ambulance",
                    "label_zh": "急性胸痛",
                    "label_en": "acute chest pain",
                    "evidence": "胸痛",
                    "source": "rule",
                }
            ],
            "decided": None,
            "decision": None,
        }
        for n in range(rows)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args()
    rows = queue(args.rows)
    page = render_page(rows, DEPARTMENTS)  # warm: the template environment is built once
    best = min(timeit.repeat(lambda: render_page(rows, DEPARTMENTS), number=20, repeat=5)) / 20
    result = {"rows": args.rows, "render_ms": round(best * 1000, 2), "page_chars": len(page)}
    print(json.dumps(result))
    print("\n| rows | render ms (best of 5 x 20) | page characters |\n|---|---|---|")
    print(f"| {args.rows} | {result['render_ms']} | {result['page_chars']} |")


if __name__ == "__main__":
    main()
