"""Batch CLI: python -m recommend score --bundle DIR --input IN.jsonl --output OUT.jsonl"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from recommend.predictor import RecommendPredictor
from recommend.schema import ScoreRequest
from runtime.batch import BatchReport, run_jsonl
from runtime.cli import batch_parser, run_batch_cli


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = batch_parser("recommend", "score", "complete carts with a recommend bundle").parse_args(
        argv
    )

    def run() -> BatchReport:
        predictor = RecommendPredictor.from_bundle(args.bundle, threads=args.threads)

        def predict(requests: Sequence[ScoreRequest]) -> list[dict[str, Any]]:
            return [r.model_dump() for r in predictor.predict(requests)]

        return run_jsonl(args.input, args.output, ScoreRequest, predict, batch_size=args.batch_size)

    return run_batch_cli(args, run)


if __name__ == "__main__":
    sys.exit(main())
