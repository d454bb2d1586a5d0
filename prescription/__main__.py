"""Batch CLI: python -m prescription check --bundle DIR --input IN.jsonl --output OUT.jsonl"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from prescription.predictor import PrescriptionPredictor
from prescription.schema import CheckRequest
from runtime.batch import batch_parser, run_batch_cli

INPUT_HELP = (
    '{"id": "rx1", "patient": {"age": 70}, "drugs": [{"name": "阿司匹林"}, {"name": "ibuprofen"}]}'
    "  (patient optional)"
)
OUTPUT_HELP = (
    '{"id", "alerts": [{"type", "severity", "drugs", "source", "interruptive", "message", ...}],\n'
    '   "pairs": [...], "unresolved": [names], "model": {"name", "version"}, ...}'
)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""

    def suppress_option(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--suppress",
            default=None,
            help="file of alert keys to silence, one per line, "
            "e.g. interaction:acetylsalicylic acid+clopidogrel",
        )

    args = batch_parser(
        "prescription",
        "check",
        "audit prescriptions with a prescription bundle",
        input_help=INPUT_HELP,
        output_help=OUTPUT_HELP,
        extra=suppress_option,
    ).parse_args(argv)

    def load() -> Callable[[Sequence[CheckRequest]], list[dict[str, Any]]]:
        suppress = []
        if args.suppress:
            lines = Path(args.suppress).read_text(encoding="utf-8").splitlines()
            suppress = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        predictor = PrescriptionPredictor.from_bundle(
            args.bundle, threads=args.threads, suppress=suppress
        )

        def predict(requests: Sequence[CheckRequest]) -> list[dict[str, Any]]:
            return [r.model_dump() for r in predictor.predict(requests)]

        return predict

    return run_batch_cli(args, CheckRequest, load, files=[(args.suppress, "--suppress")])


if __name__ == "__main__":
    sys.exit(main())
