"""Training CLI: python -m training train|promote|pull TASK ...

train   TASK --config configs/TASK.yaml [--set key=value ...] [--data-dir DIR]
promote TASK [--data-dir DIR] [--min-delta X] [--force --reason TEXT]
rollback TASK --to previous|N --reason TEXT   point @champion back at an earlier version
pull    TASK --alias champion --into models/TASK
keygen  [--out var/keys]          the Ed25519 pair promote signs bundles with
sign    TASK [--alias champion]   sign an already promoted version (then pull again)
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from runtime.logs import LOG_LEVELS, configure_logging, log_level_name

EXIT_CODES_HELP = (
    "Exit codes: 0 done; 2 a bad config, data folder, registry entry or key; 3 a bad invocation "
    "(unknown command or option, bad value such as --log-level or TASK), one 'error: ...' line."
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=__doc__,
    epilog=EXIT_CODES_HELP,
    pretty_exceptions_show_locals=False,
)
logger = logging.getLogger("training")

# Shell completion. `--print-completion SHELL` writes typer's script (the same option shape as the
# batch CLIs), registered for the console script; at each TAB the script runs hospital-train again
# with COMPLETE_VAR set, and typer answers from the app itself. Not typer's add_completion: its
# --show-completion guesses the shell with shellingham (wrong or failing when not run from an
# interactive shell) and would name the script after prog_name, "python -m training".
COMMAND = "hospital-train"
COMPLETE_VAR = "_HOSPITAL_TRAIN_COMPLETE"


class CompletionShell(StrEnum):
    """The shells typer writes a completion script for (powershell left out: not tested here)."""

    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def _print_completion(ctx: typer.Context, shell: CompletionShell | None) -> None:
    # resilient_parsing: a TAB after `--print-completion bash` must complete, not print the script
    if shell is None or ctx.resilient_parsing:
        return
    from typer.completion import get_completion_script

    typer.echo(get_completion_script(prog_name=COMMAND, complete_var=COMPLETE_VAR, shell=shell))
    raise typer.Exit(0)


def _complete_task(incomplete: str) -> list[str]:
    from runtime.tasks import task_names

    return [name for name in task_names() if name.startswith(incomplete)]


def _fail(message: str) -> NoReturn:
    """Exit 2: a bad config, data folder, registry entry or key (EXIT_CODES_HELP), one line."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def _exit_2_on(*errors: type[Exception]) -> Iterator[None]:
    """`errors` raised inside become `_fail` with their message (which names what is wrong)."""
    try:
        yield
    except errors as exc:
        _fail(str(exc))


def _check_task(task: str) -> str:
    from runtime.tasks import task_names

    if task not in task_names():
        raise typer.BadParameter(f"task must be one of {', '.join(task_names())}")
    return task


def _check_log_level(value: str) -> str:
    try:
        return log_level_name(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.callback()
def _root(
    log_level: Annotated[
        str, typer.Option(help=", ".join(LOG_LEVELS), callback=_check_log_level)
    ] = "INFO",
    print_completion: Annotated[
        CompletionShell | None,
        typer.Option(
            help=f"print the shell's completion script for {COMMAND} and exit",
            is_eager=True,
            callback=_print_completion,
        ),
    ] = None,
) -> None:
    """Train, promote and pull the hospital's models."""
    configure_logging(log_level)


def main(argv: list[str] | None = None) -> int:
    """Entry point (`hospital-train`): bad invocations are one `error: ...` line and exit 3."""
    # typer vendors click (typer._click): take its UsageError from a public subclass.
    usage_error: type[Exception] = next(
        c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
    )
    args = sys.argv[1:] if argv is None else argv
    if not args:
        args = ["--help"]
    # Typer registers its completion classes only with add_completion (off, see COMMAND); without
    # them a TAB would get click's own answer format, which typer's bash script cannot read.
    from typer.completion import completion_init

    completion_init()
    try:
        code = app(
            args=args,
            prog_name="python -m training",
            complete_var=COMPLETE_VAR,  # else derived from prog_name, spaces and all
            standalone_mode=False,
        )
    except usage_error as exc:
        message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
        sys.stderr.write(f"error: {message} (see python -m training --help)\n")
        return 3
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        return 130
    return code if isinstance(code, int) else 0


@app.command()
def train(
    task: Annotated[str, typer.Argument(callback=_check_task, autocompletion=_complete_task)],
    config: Annotated[Path, typer.Option(help="YAML run config")],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="override, e.g. 'models[triage.tfidf_mlp.v1].hidden=512' (a family the run "
            "trains: see families)",
        ),
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option(help="shared data folder (default ../shared/data)")
    ] = None,
) -> None:
    """Train TASK as CONFIG describes, log to MLflow and register the result as @candidate."""
    from training.config import ConfigError, DataError, load_config
    from training.pipeline import task_training
    from training.tracking import Tracker

    overrides = list(set_ or [])
    if data_dir:
        overrides.append(f"data.data_dir={data_dir}")
    with _exit_2_on(ConfigError):
        run_config = load_config(config, overrides)
    if run_config.task != task:  # type: ignore[attr-defined]
        _fail(f"{config} is a {run_config.task} config, not {task}")  # type: ignore[attr-defined]
    training = task_training(task)
    with _exit_2_on(DataError, ConfigError):  # validation errors name the bad rows or fields
        # the first line says which data this run trains on, before MLflow or the data load
        typer.echo(f"training {task} on {training.describe_data(run_config)}", err=True)
        summary = training.train(run_config, Tracker(), str(config))
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@app.command()
def promote(
    task: Annotated[str, typer.Argument(callback=_check_task, autocompletion=_complete_task)],
    data_dir: Annotated[
        str | None, typer.Option(help="shared data folder for the evaluation split")
    ] = None,
    min_delta: Annotated[
        float,
        typer.Option(
            help="margin: a metric counts as different only when the scores differ by more "
            "than this; the candidate wins if it is higher by more than this on the first "
            "metric that differs; a tie (none differs) keeps the champion"
        ),
    ] = 0.0,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="make the candidate champion without comparing (needs --reason)"
        ),
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option(help="why; kept as the promotion_reason tag of the version"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="registered model name (default: TASK)")] = None,
) -> None:
    """Move NAME@champion to NAME@candidate if the candidate is better on the fixed split.

    Metrics compare in the task's order; the first whose scores differ by
    more than --min-delta decides. A tie keeps the champion: use --force
    --reason to override. The decision, who and when are kept as tags on
    the version (promotion_reason, promotion_kind, promoted_at, promoted_by,
    promoted_from; a refused candidate gets promotion_refused). A new
    champion is signed with HOSPITAL_SIGNING_KEY when it is set."""
    from training.registry import promote as do_promote
    from training.tracking import Tracker

    if force and not (reason or "").strip():  # a bad invocation: exit 3 through main()
        raise typer.BadParameter("--force needs a --reason TEXT", param_hint="--reason")
    with _exit_2_on(FileNotFoundError, ValueError):
        decision = do_promote(
            Tracker(), task, name or task, data_dir, min_delta, force=force, reason=reason
        )
    typer.echo(decision.reason)


@app.command()
def rollback(
    task: Annotated[str, typer.Argument(callback=_check_task, autocompletion=_complete_task)],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            "--to-version",
            help="a version number, or 'previous': the version that was champion before the "
            "current one (its promoted_from tag; 'previous' twice undoes a rollback)",
        ),
    ] = "previous",
    reason: Annotated[
        str | None, typer.Option(help="why (required); kept as the promotion_reason tag")
    ] = None,
    name: Annotated[str | None, typer.Option(help="registered model name (default: TASK)")] = None,
) -> None:
    """Point NAME@champion back at an earlier version; then pull it.

    Signed and tagged like a promotion (promotion_kind=rollback,
    promotion_reason, promoted_at, promoted_by, promoted_from)."""
    from training.registry import rollback as do_rollback
    from training.tracking import Tracker

    if not (reason or "").strip():
        raise typer.BadParameter("rollback needs a --reason TEXT", param_hint="--reason")
    with _exit_2_on(FileNotFoundError, ValueError, LookupError):
        decision = do_rollback(Tracker(), name or task, to, reason)
    typer.echo(decision.reason)


@app.command()
def pull(
    task: Annotated[str, typer.Argument(callback=_check_task, autocompletion=_complete_task)],
    alias: Annotated[str, typer.Option(help="registry alias to pull")] = "champion",
    into: Annotated[
        Path | None, typer.Option(help="bundle store folder (default models/TASK)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="registered model name (default: TASK)")] = None,
) -> None:
    """Copy NAME@ALIAS out of MLflow into INTO/<version> and point INTO/current at it."""
    from training.registry import pull as do_pull
    from training.tracking import Tracker

    with _exit_2_on(LookupError):
        target = do_pull(Tracker(), name or task, alias, into or Path("models") / task)
    typer.echo(str(target))


@app.command()
def sign(
    task: Annotated[str, typer.Argument(callback=_check_task, autocompletion=_complete_task)],
    alias: Annotated[str, typer.Option(help="registry alias whose version to sign")] = "champion",
    name: Annotated[str | None, typer.Option(help="registered model name (default: TASK)")] = None,
) -> None:
    """Sign NAME@ALIAS with HOSPITAL_SIGNING_KEY (a champion promoted before signing existed);
    pull it again to write manifest.sig."""
    from training.registry import sign_version, signing_key
    from training.tracking import Tracker

    tracker = Tracker()
    with _exit_2_on(FileNotFoundError):
        key = signing_key()
    if key is None:
        _fail("set HOSPITAL_SIGNING_KEY to the private key file")
    version = tracker.alias_version(name or task, alias)
    if version is None:
        _fail(f"no {name or task}@{alias} in the registry")
    sign_version(tracker, name or task, version.version, key)
    typer.echo(f"signed {name or task} v{version.version}; now pull it")


@app.command()
def keygen(
    out: Annotated[Path, typer.Option(help="folder for bundle_signing.key and .pub")] = Path(
        "var/keys"
    ),
    force: Annotated[bool, typer.Option(help="replace an existing pair")] = False,
) -> None:
    """Write an Ed25519 key pair for signing bundles at promotion (keep the .key private; give
    the .pub to the service as HOSPITAL_BUNDLE_PUBLIC_KEY)."""
    from runtime.signing import generate_key_pair

    if (out / "bundle_signing.key").exists() and not force:
        typer.echo(f"{out / 'bundle_signing.key'} exists; kept (use --force to replace it)")
        return
    private, public = generate_key_pair(out)
    typer.echo(f"private key: {private}\npublic key:  {public}")


@app.command("export-feedback")
def export_feedback(
    database: Annotated[Path, typer.Option(help="the service's SQLite file")] = Path(
        "var/consultations.db"
    ),
    output: Annotated[
        Path | None, typer.Option(help="CSV to write (default data/feedback/feedback-<date>.csv)")
    ] = None,
) -> None:
    """Write the doctors' decisions as a labelled triage CSV.

    One row per consultation with a decision, combining its latest department decision and its
    latest urgency decision: id, text, age, sex, department (the doctor's), action (confirm |
    correct), suggested (the model's top department), doctor, decided_at (of the department
    decision), model_version, triage_level (the level the model predicted), urgency_feedback
    (right | too_high | too_low), corrected_level (the doctor's level), urgency_doctor,
    urgency_decided_at. A consultation only judged on urgency has empty department and action;
    one only judged on department has empty urgency columns. Add the file to `data.feedback` in
    configs/triage.yaml to train on it; the run logs it in MLflow as a data source.
    """
    from datetime import UTC, datetime

    from consultations.export import latest_decisions, write_feedback_csv
    from consultations.store import ConsultationStore

    if not database.is_file():
        _fail(f"no database at {database}")
    decisions = latest_decisions(ConsultationStore(database).feedback_rows())
    target = output or Path("data/feedback") / f"feedback-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv"
    write_feedback_csv(decisions, target)
    typer.echo(f"{target}: {decisions.summary()}")


if __name__ == "__main__":
    sys.exit(main())
