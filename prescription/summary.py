"""A pharmacist's one-screen view of a check output file.

    python -m prescription.summary OUT.jsonl

One block per prescription: each alert as `!` (interruptive) or `-` (passive), severity, type,
drugs and source; then the unresolved names. Error lines are shown as errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def summarise(answer: dict[str, Any]) -> list[str]:
    """Lines describing one output line of `python -m prescription check`."""
    if "error" in answer:
        return [f"{answer.get('id')}: ERROR {answer['error']}"]
    lines = [
        f"{answer['id']}: {len(answer['alerts'])} alert(s), {len(answer['pairs'])} pair(s) checked"
        f" [{answer['model']['name']} {answer['model']['version']}]"
    ]
    for alert in answer["alerts"]:
        mark = "!" if alert["interruptive"] else "-"
        drugs = " + ".join(alert["drugs"])
        lines.append(
            f"  {mark} {alert['severity']:<15} {alert['type']:<17} {drugs} ({alert['source']})"
        )
    if answer["unresolved"]:
        lines.append(f"  unresolved: {', '.join(answer['unresolved'])}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the summary of each line of the file named on the command line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m prescription.summary OUT.jsonl\n")
        return 2
    for raw in Path(args[0]).read_text(encoding="utf-8").splitlines():
        if raw.strip():
            sys.stdout.write("\n".join(summarise(json.loads(raw))) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
