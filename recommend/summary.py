"""A one-screen view of a recommendation output file.

    python -m recommend.summary OUT.jsonl

One block per cart: each recommendation with its reason, then what the safety filter removed
and why, and the unknown item ids. Error lines are shown as errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

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
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m recommend.summary OUT.jsonl\n")
        return 2
    for raw in Path(args[0]).read_text(encoding="utf-8").splitlines():
        if raw.strip():
            sys.stdout.write("\n".join(summarise(json.loads(raw))) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
