"""A pharmacist's one-screen view of a check output file.

    python -m prescription.summary OUT.jsonl

One block per prescription: each alert as `!` (interruptive) or `-` (passive), severity, type,
drugs and source; then the unresolved names. Error lines are shown as errors.
"""

from __future__ import annotations

import sys
from typing import Any

from runtime.batch import summary_main


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
    return summary_main(argv, "prescription.summary", __doc__ or "", summarise)


if __name__ == "__main__":
    sys.exit(main())
