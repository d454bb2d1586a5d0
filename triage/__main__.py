"""Batch CLI: python -m triage predict --bundle DIR --input IN.jsonl --output OUT.jsonl"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from runtime.batch import BatchReport, run_jsonl
from runtime.cli import batch_parser, run_batch_cli
from triage.predictor import TriagePredictor
from triage.schema import TriageRequest


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""

    def department_map_option(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument(
            "--department-map",
            default=None,
            help="hospital department map (YAML, see configs/department_maps/): answer in the "
            "hospital's clinics",
        )
        cmd.add_argument(
            "--evidence",
            choices=["none", "ngram", "auto", "full"],
            default="none",
            help="add the phrases each top suggestion rests on: 'ngram' (cheap), 'full' (also "
            "what the sentence embedding rests on; one more embedding per clause) or 'auto' "
            "('full' only where the n-grams show nothing, e.g. English)",
        )

    args = batch_parser(
        "triage", "predict", "score consultations with a triage bundle", department_map_option
    ).parse_args(argv)

    def run() -> BatchReport:
        predictor = TriagePredictor.from_bundle(
            args.bundle, threads=args.threads, department_map=args.department_map
        )

        def predict(requests: Sequence[TriageRequest]) -> list[dict[str, Any]]:
            results = predictor.predict(requests, evidence=args.evidence)
            return [r.model_dump() for r in results]

        return run_jsonl(
            args.input, args.output, TriageRequest, predict, batch_size=args.batch_size
        )

    return run_batch_cli(args, run)


if __name__ == "__main__":
    sys.exit(main())
