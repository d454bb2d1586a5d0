"""JSON-lines batch plumbing shared by the three batch CLIs.

One output line per input line, in input order. A line that cannot be used (bad UTF-8, bad JSON,
a field of the wrong type, a failing prediction) becomes `{"id": ..., "error": "..."}` and the rest
of the file goes on: nothing is dropped silently.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError

from runtime.errors import BundleError
from runtime.logs import LOG_LEVELS, configure_logging, log_level_name

logger = logging.getLogger(__name__)

RequestT = TypeVar("RequestT", bound=BaseModel)


@dataclass(frozen=True)
class BatchReport:
    """Counts of one batch run."""

    lines: int
    ok: int
    errors: int


def describe_validation_error(exc: ValidationError) -> str:
    """Turn a pydantic error into one line that names each bad field and what is wrong."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "request"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "required field is missing"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def _echo_id(obj: Any) -> str | None:
    raw = obj.get("id") if isinstance(obj, dict) else None
    if isinstance(raw, str):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return str(raw)
    return None


@contextmanager
def _open_in(path: str | Path) -> Iterator[IO[bytes]]:
    if str(path) == "-":
        yield sys.stdin.buffer
    else:
        with open(path, "rb") as handle:
            yield handle


@contextmanager
def _open_out(path: str | Path) -> Iterator[IO[str]]:
    if str(path) == "-":
        yield sys.stdout
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            yield handle


def parse_line(
    number: int, raw: bytes, request_type: type[RequestT]
) -> tuple[RequestT | None, dict[str, Any] | None]:
    """Parse one input line into a request, or into the error line that replaces it.

    Returns:
        (request, None) when the line is usable, else (None, {"id", "error"}).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, {
            "id": None,
            "error": f"line {number}: not valid UTF-8 ({exc.reason} at byte {exc.start})",
        }
    if not text.strip():
        return None, {"id": None, "error": f"line {number}: empty line"}
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, {
            "id": None,
            "error": f"line {number}: invalid JSON ({exc.msg} at column {exc.colno})",
        }
    if not isinstance(obj, dict):
        return None, {
            "id": None,
            "error": f"line {number}: expected a JSON object, got {type(obj).__name__}",
        }
    try:
        return request_type.model_validate(obj), None
    except ValidationError as exc:
        return None, {
            "id": _echo_id(obj),
            "error": f"line {number}: {describe_validation_error(exc)}",
        }


def predict_isolated(
    requests: Sequence[RequestT],
    predict: Callable[[Sequence[RequestT]], list[dict[str, Any]]],
    id_of: Callable[[RequestT], str | None],
) -> list[dict[str, Any]]:
    """Predict a batch; if the batch fails, predict one by one so only the bad request errors."""
    try:
        return predict(requests)
    except Exception:
        logger.exception("batch of %d failed; retrying one by one", len(requests))
    results = []
    for request in requests:
        try:
            results.extend(predict([request]))
        except Exception as exc:
            logger.exception("prediction failed for id=%s", id_of(request))
            results.append({"id": id_of(request), "error": f"prediction failed: {exc}"})
    return results


def run_jsonl(
    input_path: str | Path,
    output_path: str | Path,
    request_type: type[RequestT],
    predict: Callable[[Sequence[RequestT]], list[dict[str, Any]]],
    *,
    batch_size: int = 256,
) -> BatchReport:
    """Score a JSON-lines file with `predict`, batch by batch, keeping input order.

    Args:
        input_path: input file, or '-' for stdin.
        output_path: output file, or '-' for stdout.
        request_type: the pydantic request model each line must validate against.
        predict: maps a list of requests to one output dict per request.
        batch_size: requests per `predict` call.

    Returns:
        How many lines were read, answered and turned into errors.
    """
    lines = ok = errors = 0
    # Each slot holds either a finished error line or the index of a pending request.
    pending: list[RequestT] = []
    slots: list[dict[str, Any] | int] = []

    def flush(out: IO[str]) -> None:
        nonlocal ok, errors
        results = predict_isolated(pending, predict, lambda r: getattr(r, "id", None))
        for slot in slots:
            line = results[slot] if isinstance(slot, int) else slot
            if "error" in line:
                errors += 1
            else:
                ok += 1
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        pending.clear()
        slots.clear()

    with _open_in(input_path) as source, _open_out(output_path) as out:
        for number, raw in enumerate(source, 1):
            if raw.endswith(b"\n"):
                raw = raw[:-1]
            lines += 1
            request, error = parse_line(number, raw.rstrip(b"\r"), request_type)
            if request is not None:
                slots.append(len(pending))
                pending.append(request)
            else:
                slots.append(error or {"id": None, "error": f"line {number}: unreadable"})
            if len(pending) >= batch_size:
                flush(out)
        flush(out)
    logger.info("batch done: %d lines, %d answered, %d errors", lines, ok, errors)
    return BatchReport(lines=lines, ok=ok, errors=errors)


# --- The command line shared by the batch CLIs and the summary tools --------------------------

EXIT_OK = 0
EXIT_LINE_ERRORS = 1
EXIT_BUNDLE = 2
EXIT_USAGE = 3

EXIT_CODES_HELP = """\
exit codes:
  0  every input line was answered
  1  some lines were errors (each has its {"id", "error"} output line; the rest were answered)
  2  the bundle is unusable (missing, not a bundle, a checksum or self-test failed)
  3  bad invocation: an unknown or missing option, a bad value (--threads/--batch-size < 1,
     --log-level), an input that is missing, a directory or empty, an output that is a
     directory or whose folder does not exist; checked before the bundle loads
errors are one line on stderr, starting with "error: "; on success stderr ends with a JSON
line of counts: {"lines", "ok", "errors"}"""


class UsageError(Exception):
    """A bad invocation: reported as one `error: ...` line and exit code 3."""


class CliParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one `error: ...` line on stderr and exit code 3."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {message} (see {self.prog} --help)\n")


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def log_level(text: str) -> str:
    """argparse type: a logging level name, any case."""
    try:
        return log_level_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# --- Shell completion (--print-completion), written by shtab ------------------------------------

# The shells shtab has completed since 1.7, the version pyproject asks for.
COMPLETION_SHELLS = ("bash", "zsh", "tcsh")
# Options whose value is a path, by what the shell should offer. Some are added by the task CLIs
# through `extra` (triage --department-map, prescription --suppress), so they are found by name.
_DIRECTORY_OPTIONS = frozenset({"--bundle"})
_FILE_OPTIONS = frozenset({"--input", "--output", "--department-map", "--suppress"})


def console_script(prog: str) -> str:
    """The command a shell completes for `python -m <prog>`: its [project.scripts] name.

    `triage` -> `hospital-triage`; a summary tool `prescription.summary` ->
    `hospital-prescription-summary`. A completion registered for `python -m ...` never fires:
    bash completes by the first word, which would be `python`.
    """
    return "hospital-" + prog.replace(".", "-")


class _PrintCompletion(argparse.Action):
    """`--print-completion SHELL`: write shtab's completion script for the parser, exit 0.

    Not shtab.add_argument_to: that names the script's command after `parser.prog`
    ("python -m triage"), which no shell ever completes; this one registers `command`.
    """

    def __init__(
        self, option_strings: Sequence[str], dest: str, *, command: str, **kwargs: Any
    ) -> None:
        super().__init__(option_strings, dest, default=argparse.SUPPRESS, **kwargs)
        self.command = command

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        import shtab  # not at the top: see _add_completion

        prog = parser.prog
        parser.prog = self.command  # the name in `complete -F ... NAME` and the function names
        try:
            script = shtab.complete(parser, str(values))
        finally:
            parser.prog = prog
        sys.stdout.write(script.rstrip("\n") + "\n")
        parser.exit(EXIT_OK)


def _add_completion(parser: argparse.ArgumentParser, command: str) -> None:
    """Give `parser` --print-completion and tell shtab which arguments are paths."""
    # Imported here, not at the top: runtime.frames imports this module, and it runs where only
    # the model's requirements are installed (MLflow pyfunc, Spark executors), never a CLI.
    import shtab

    parser.add_argument(
        "--print-completion",
        choices=COMPLETION_SHELLS,
        action=_PrintCompletion,
        command=command,
        help=f"print the shell's completion script for {command} and exit",
    )
    parsers = [parser]
    while parsers:
        current = parsers.pop()
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
            # shtab reads an action's `complete` attribute (argparse knows nothing of it).
            elif _DIRECTORY_OPTIONS.intersection(action.option_strings):
                setattr(action, "complete", shtab.DIRECTORY)  # noqa: B010
            elif _FILE_OPTIONS.intersection(action.option_strings) or action.dest == "file":
                setattr(action, "complete", shtab.FILE)  # noqa: B010


def batch_parser(
    prog: str,
    command: str,
    description: str,
    *,
    input_help: str,
    output_help: str,
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.ArgumentParser:
    """A parser for `python -m <prog> <command> --bundle DIR --input IN --output OUT`.

    Args:
        input_help: the input line format, with a one-line example (shown in --help).
        output_help: the output line format (shown in --help).
        extra: adds command-specific options to the subcommand's parser.
    """
    epilog = (
        "input: JSON lines, one request object per line ('-' for stdin), e.g.\n"
        f"  {input_help}\n"
        "output: JSON lines, one line per input line, in input order ('-' for stdout):\n"
        f"  {output_help}\n"
        '  a line that cannot be used becomes {"id": ..., "error": "line N: ..."} in its place\n\n'
        + EXIT_CODES_HELP
    )
    parser = CliParser(
        prog=f"python -m {prog}",
        description=description,
        epilog=f"run 'python -m {prog} {command} --help' for the options\n\n{epilog}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + command + "}")
    cmd = sub.add_parser(
        command,
        help=description,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("--bundle", required=True, help="bundle folder, e.g. models/<task>/current")
    cmd.add_argument("--input", required=True, help="input JSON lines file ('-' for stdin)")
    cmd.add_argument("--output", required=True, help="output JSON lines file ('-' for stdout)")
    cmd.add_argument(
        "--batch-size", type=positive_int, default=256, help="requests per model call (>= 1)"
    )
    cmd.add_argument(
        "--threads", type=positive_int, default=1, help="onnxruntime intra-op threads (>= 1)"
    )
    cmd.add_argument(
        "--log-level", type=log_level, default="INFO", help=f"one of {', '.join(LOG_LEVELS)}"
    )
    if extra is not None:
        extra(cmd)
    _add_completion(parser, console_script(prog))
    return parser


def require_file(path: str | Path | None, what: str) -> None:
    """Raise UsageError unless `path` (when given) names an existing regular file."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{what} {path} is a directory, not a file")
    if not target.is_file():
        raise UsageError(f"{what} {path} does not exist")


def check_paths(input_path: str | Path, output_path: str | Path) -> None:
    """Refuse unusable --input/--output before anything loads.

    Raises:
        UsageError: the input is missing, a directory or empty; the output is a directory or
            its folder does not exist.
    """
    if str(input_path) != "-":
        require_file(input_path, "input")
        if Path(input_path).stat().st_size == 0:
            raise UsageError(f"input {input_path} is empty: expected one JSON request per line")
    if str(output_path) != "-":
        target = Path(output_path)
        if target.is_dir():
            raise UsageError(f"output {output_path} is a directory, not a file")
        parent = target.parent
        if not parent.is_dir():
            raise UsageError(f"output folder {parent} does not exist")


def run_batch_cli(
    args: argparse.Namespace,
    request_type: type[RequestT],
    load: Callable[[], Callable[[Sequence[RequestT]], list[dict[str, Any]]]],
    *,
    files: Sequence[tuple[str | None, str]] = (),
) -> int:
    """Check the paths, load the bundle, run the batch; map each failure to its exit code.

    Args:
        args: parsed `batch_parser` arguments.
        request_type: the pydantic request model of one input line.
        load: loads the bundle and returns the `predict` function (BundleError/OSError: exit 2).
        files: (path, what) of other input files the command reads (checked first, exit 3).

    Returns:
        The exit code: see EXIT_CODES_HELP.
    """
    try:
        for path, what in files:
            require_file(path, what)
        check_paths(args.input, args.output)
    except UsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    configure_logging(args.log_level)
    try:
        predict = load()
    except (BundleError, OSError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_BUNDLE
    try:
        report = run_jsonl(
            args.input, args.output, request_type, predict, batch_size=args.batch_size
        )
    except OSError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    if report.lines == 0:
        sys.stderr.write(
            f"error: input {args.input} is empty: expected one JSON request per line\n"
        )
        return EXIT_USAGE
    sys.stderr.write(json.dumps(report.__dict__) + "\n")
    return EXIT_LINE_ERRORS if report.errors else EXIT_OK


SUMMARY_EXIT_CODES_HELP = """\
exit codes:
  0  every line was summarised
  1  some lines were not output lines of the batch CLI (shown in place as "line N: ...")
  3  bad invocation: a missing option or argument, FILE missing or a directory"""


def summary_main(
    argv: list[str] | None,
    prog: str,
    description: str,
    summarise: Callable[[dict[str, Any]], list[str]],
) -> int:
    """`python -m <prog> OUT.jsonl`: print `summarise(line)` for every line of a batch output."""
    parser = CliParser(
        prog=f"python -m {prog}",
        description=description,
        epilog=SUMMARY_EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file", metavar="FILE", help="output JSON lines of the batch CLI ('-': stdin)"
    )
    _add_completion(parser, console_script(prog))
    args = parser.parse_args(argv)
    try:
        if args.file != "-":
            require_file(args.file, "FILE")
    except UsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    bad = 0
    with _open_in(args.file) as source:
        for number, raw in enumerate(source, 1):
            text = raw.decode("utf-8", errors="replace")
            if not text.strip():
                continue
            try:
                answer = json.loads(text)
                if not isinstance(answer, dict):
                    raise TypeError(f"expected a JSON object, got {type(answer).__name__}")
                lines = summarise(answer)
            except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
                bad += 1
                detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                lines = [f"line {number}: not an output line ({detail})"]
            sys.stdout.write("\n".join(lines) + "\n")
    if bad:
        sys.stderr.write(f"error: {bad} line(s) of {args.file} are not output lines\n")
        return EXIT_LINE_ERRORS
    return EXIT_OK
