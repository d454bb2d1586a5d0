"""Batch CLI: python -m prescription check --bundle DIR --input IN.jsonl --output OUT.jsonl"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prescription.predictor import PrescriptionPredictor
from prescription.schema import CheckRequest
from runtime.batch import BatchReport, run_jsonl
from runtime.cli import batch_parser, run_batch_cli


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
        "prescription", "check", "audit prescriptions with a prescription bundle", suppress_option
    ).parse_args(argv)

    def run() -> BatchReport:
        suppress = []
        if args.suppress:
            lines = Path(args.suppress).read_text(encoding="utf-8").splitlines()
            suppress = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        predictor = PrescriptionPredictor.from_bundle(
            args.bundle, threads=args.threads, suppress=suppress
        )

        def predict(requests: Sequence[CheckRequest]) -> list[dict[str, Any]]:
            return [r.model_dump() for r in predictor.predict(requests)]

        return run_jsonl(args.input, args.output, CheckRequest, predict, batch_size=args.batch_size)

    return run_batch_cli(args, run)


if __name__ == "__main__":
    sys.exit(main())
