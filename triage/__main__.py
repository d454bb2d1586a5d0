"""Batch CLI: python -m triage predict --bundle DIR --input IN.jsonl --output OUT.jsonl"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from runtime.batch import batch_parser, run_batch_cli
from triage.predictor import TriagePredictor
from triage.schema import TriageRequest

INPUT_HELP = (
    '{"id": "c1", "text": "胸痛两小时，出冷汗", "age": 58, "sex": "M"}  (age, sex optional)'
)
OUTPUT_HELP = (
    '{"id", "departments": [{"name", "probability", "model_labels"}] (top 5), "abstain",\n'
    '   "triage_level", "urgency", "red_flags", "reasons", "model": {"name", "version"}, ...}'
)


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
        "triage",
        "predict",
        "score consultations with a triage bundle",
        input_help=INPUT_HELP,
        output_help=OUTPUT_HELP,
        extra=department_map_option,
    ).parse_args(argv)

    def load() -> Callable[[Sequence[TriageRequest]], list[dict[str, Any]]]:
        predictor = TriagePredictor.from_bundle(
            args.bundle, threads=args.threads, department_map=args.department_map
        )

        def predict(requests: Sequence[TriageRequest]) -> list[dict[str, Any]]:
            results = predictor.predict(requests, evidence=args.evidence)
            return [r.model_dump() for r in results]

        return predict

    return run_batch_cli(
        args, TriageRequest, load, files=[(args.department_map, "--department-map")]
    )


if __name__ == "__main__":
    sys.exit(main())
