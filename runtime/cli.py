"""Argument handling shared by the three batch CLIs (argparse: stdlib, nothing to install)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.batch import BatchReport
from runtime.errors import BundleError
from runtime.logs import configure_logging


def batch_parser(
    prog: str,
    command: str,
    description: str,
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.ArgumentParser:
    """A parser for `python -m <prog> <command> --bundle DIR --input IN --output OUT`.

    Args:
        extra: adds command-specific options to the subcommand's parser.
    """
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser(command, help=description)
    cmd.add_argument("--bundle", required=True, help="bundle folder, e.g. models/<task>/current")
    cmd.add_argument("--input", required=True, help="input JSON lines ('-' for stdin)")
    cmd.add_argument("--output", required=True, help="output JSON lines ('-' for stdout)")
    cmd.add_argument("--batch-size", type=int, default=256, help="requests per model call")
    cmd.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
    cmd.add_argument("--log-level", default="INFO")
    if extra is not None:
        extra(cmd)
    return parser


def run_batch_cli(args: argparse.Namespace, run: Callable[[], BatchReport]) -> int:
    """Run a batch job, print a one-line JSON summary on stderr, map failures to exit codes.

    Exit codes: 0 all lines answered, 1 some lines were errors, 2 the bundle could not be used.
    """
    configure_logging(args.log_level)
    try:
        report = run()
    except BundleError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except FileNotFoundError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    sys.stderr.write(json.dumps(report.__dict__) + "\n")
    return 1 if report.errors else 0


def summary_main(
    argv: list[str] | None, prog: str, summarise: Callable[[dict[str, Any]], list[str]]
) -> int:
    """`python -m <prog> OUT.jsonl`: print `summarise(line)` for every line of a batch output."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write(f"usage: python -m {prog} OUT.jsonl\n")
        return 2
    for raw in Path(args[0]).read_text(encoding="utf-8").splitlines():
        if raw.strip():
            sys.stdout.write("\n".join(summarise(json.loads(raw))) + "\n")
    return 0
