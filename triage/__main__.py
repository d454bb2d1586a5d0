"""Batch CLI: python -m triage predict --bundle DIR --input IN.jsonl --output OUT.jsonl"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from runtime.batch import BatchReport, run_jsonl
from runtime.cli import batch_parser, run_batch_cli
from triage.predictor import TriagePredictor
from triage.schema import TriageRequest


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = batch_parser("triage", "predict", "score consultations with a triage bundle").parse_args(
        argv
    )

    def run() -> BatchReport:
        predictor = TriagePredictor.from_bundle(args.bundle, threads=args.threads)

        def predict(requests: Sequence[TriageRequest]) -> list[dict[str, Any]]:
            return [r.model_dump() for r in predictor.predict(requests)]

        return run_jsonl(
            args.input, args.output, TriageRequest, predict, batch_size=args.batch_size
        )

    return run_batch_cli(args, run)


if __name__ == "__main__":
    sys.exit(main())
