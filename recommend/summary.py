"""A one-screen view of a recommendation output file.

    python -m recommend.summary OUT.jsonl

One block per cart: each recommendation with its reason, then what the safety filter removed
and why, and the unknown item ids. Error lines are shown as errors.
"""

from __future__ import annotations

import sys
from typing import Any

from runtime.batch import summary_main

_REASON_CHARS = 110


def summarise(answer: dict[str, Any]) -> list[str]:
    """Lines describing one output line of `python -m recommend score`."""
    if "error" in answer:
        return [f"{answer.get('id')}: ERROR {answer['error']}"]
    lines = [f"{answer['id']}: [{answer['model']['name']} {answer['model']['version']}]"]
    for r in answer["recommendations"]:
        lines.append(f"  + {r['item_id']:<10} {r['score']:>9.4f}  {r['reason'][:_REASON_CHARS]}")
    for s in answer["suppressed"]:
        lines.append(f"  x {s['item_id']:<10} suppressed: {s['reason'][:_REASON_CHARS]}")
    if answer["unknown_items"]:
        lines.append(f"  unknown items: {', '.join(answer['unknown_items'])}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the summary of each line of the file named on the command line."""
    return summary_main(argv, "recommend.summary", __doc__ or "", summarise)


if __name__ == "__main__":
    sys.exit(main())
