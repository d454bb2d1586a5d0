"""Batch CLI: python -m recommend score --bundle DIR --input IN.jsonl --output OUT.jsonl"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from recommend.predictor import RecommendPredictor
from recommend.schema import ScoreRequest
from runtime.batch import batch_parser, run_batch_cli

INPUT_HELP = (
    '{"id": "cart1", "cart": ["1001", "2002"], "user_id": "u7", "k": 5}  (user_id, k optional)'
)
OUTPUT_HELP = (
    '{"id", "recommendations": [{"item_id", "score", "reason"}], "suppressed": [{"item_id",\n'
    '   "reason"}], "unknown_items": [ids], "model": {"name", "version"}, ...}'
)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = batch_parser(
        "recommend",
        "score",
        "complete carts with a recommend bundle",
        input_help=INPUT_HELP,
        output_help=OUTPUT_HELP,
    ).parse_args(argv)

    def load() -> Callable[[Sequence[ScoreRequest]], list[dict[str, Any]]]:
        predictor = RecommendPredictor.from_bundle(args.bundle, threads=args.threads)

        def predict(requests: Sequence[ScoreRequest]) -> list[dict[str, Any]]:
            return [r.model_dump() for r in predictor.predict(requests)]

        return predict

    return run_batch_cli(args, ScoreRequest, load)


if __name__ == "__main__":
    sys.exit(main())
