"""Training CLI: python -m training train|promote|pull TASK ...

train   TASK --config configs/TASK.yaml [--set key=value ...] [--data-dir DIR]
promote TASK [--data-dir DIR] [--min-delta X]
pull    TASK --alias champion --into models/TASK
keygen  [--out var/keys]          the Ed25519 pair promote signs bundles with
sign    TASK [--alias champion]   sign an already promoted version (then pull again)
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from runtime.logs import configure_logging

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_show_locals=False
)
logger = logging.getLogger("training")

TASKS = ("triage", "prescription", "recommend")


def _check_task(task: str) -> str:
    if task not in TASKS:
        raise typer.BadParameter(f"task must be one of {', '.join(TASKS)}")
    return task


@app.callback()
def main(log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING")] = "INFO") -> None:
    """Train, promote and pull the hospital's models."""
    configure_logging(log_level)


@app.command()
def train(
    task: Annotated[str, typer.Argument(callback=_check_task)],
    config: Annotated[Path, typer.Option(help="YAML run config")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="override, e.g. models.0.C=5")
    ] = None,
    data_dir: Annotated[
        str | None, typer.Option(help="shared data folder (default ../shared/data)")
    ] = None,
) -> None:
    """Train TASK as CONFIG describes, log to MLflow and register the result as @candidate."""
    from training.config import ConfigError, DataError, load_config
    from training.tracking import Tracker

    overrides = list(set_ or [])
    if data_dir:
        overrides.append(f"data.data_dir={data_dir}")
    try:
        run_config = load_config(config, overrides)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if run_config.task != task:  # type: ignore[attr-defined]
        typer.echo(f"error: {config} is a {run_config.task} config, not {task}", err=True)  # type: ignore[attr-defined]
        raise typer.Exit(2)
    tracker = Tracker()
    try:
        if task == "triage":
            from training.triage.train import train_triage

            summary = train_triage(run_config, tracker, str(config))  # type: ignore[arg-type]
        elif task == "prescription":
            from training.prescription.train import train_prescription

            summary = train_prescription(run_config, tracker, str(config))  # type: ignore[arg-type]
        else:
            from training.recommend.train import train_recommend

            summary = train_recommend(run_config, tracker, str(config))  # type: ignore[arg-type]
    except (DataError, ConfigError) as exc:  # validation errors name the bad rows or fields
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@app.command()
def promote(
    task: Annotated[str, typer.Argument(callback=_check_task)],
    data_dir: Annotated[
        str | None, typer.Option(help="shared data folder for the evaluation split")
    ] = None,
    min_delta: Annotated[
        float, typer.Option(help="required improvement of the primary metric")
    ] = 0.0,
    name: Annotated[str | None, typer.Option(help="registered model name (default: TASK)")] = None,
) -> None:
    """Move NAME@champion to NAME@candidate if the candidate is better on the fixed split."""
    from training.registry import promote as do_promote
    from training.tracking import Tracker

    try:
        decision = do_promote(Tracker(), task, name or task, data_dir, min_delta)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(decision.reason)


@app.command()
def pull(
    task: Annotated[str, typer.Argument(callback=_check_task)],
    alias: Annotated[str, typer.Option(help="registry alias to pull")] = "champion",
    into: Annotated[
        Path | None, typer.Option(help="bundle store folder (default models/TASK)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="registered model name (default: TASK)")] = None,
) -> None:
    """Copy NAME@ALIAS out of MLflow into INTO/<version> and point INTO/current at it."""
    from training.registry import pull as do_pull
    from training.tracking import Tracker

    try:
        target = do_pull(Tracker(), name or task, alias, into or Path("models") / task)
    except LookupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(str(target))


@app.command()
def sign(
    task: Annotated[str, typer.Argument(callback=_check_task)],
    alias: Annotated[str, typer.Option(help="registry alias whose version to sign")] = "champion",
    name: Annotated[str | None, typer.Option(help="registered model name (default: TASK)")] = None,
) -> None:
    """Sign NAME@ALIAS with HOSPITAL_SIGNING_KEY (a champion promoted before signing existed);
    pull it again to write manifest.sig."""
    from training.registry import sign_version, signing_key
    from training.tracking import Tracker

    tracker = Tracker()
    try:
        key = signing_key()
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if key is None:
        typer.echo("error: set HOSPITAL_SIGNING_KEY to the private key file", err=True)
        raise typer.Exit(2)
    version = tracker.alias_version(name or task, alias)
    if version is None:
        typer.echo(f"error: no {name or task}@{alias} in the registry", err=True)
        raise typer.Exit(2)
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
    import csv
    from datetime import UTC, datetime

    from service.store import ConsultationStore

    if not database.is_file():
        typer.echo(f"error: no database at {database}", err=True)
        raise typer.Exit(2)
    consultations: dict[str, dict[str, object]] = {}  # in order of each one's first decision
    by_department: dict[str, dict[str, object]] = {}
    by_urgency: dict[str, dict[str, object]] = {}
    for row in ConsultationStore(database).feedback_rows():  # commit order: the last one wins
        consultation_id = str(row["consultation_id"])
        consultations.setdefault(consultation_id, row)
        if row["department"] is not None:
            by_department[consultation_id] = row
        if row["urgency_feedback"] is not None:
            by_urgency[consultation_id] = row
    target = output or Path("data/feedback") / f"feedback-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    columns = [
        "id",
        "text",
        "age",
        "sex",
        "department",
        "action",
        "suggested",
        "doctor",
        "decided_at",
        "model_version",
        "triage_level",
        "urgency_feedback",
        "corrected_level",
        "urgency_doctor",
        "urgency_decided_at",
    ]

    def when(row: dict[str, object] | None) -> str:
        if row is None:
            return ""
        return datetime.fromtimestamp(float(row["created_at"]), UTC).isoformat()  # type: ignore[arg-type]

    def text(value: object) -> str:
        return "" if value is None else str(value)

    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for consultation_id, row in consultations.items():
            department = by_department.get(consultation_id)
            urgency = by_urgency.get(consultation_id)
            writer.writerow(
                {
                    "id": consultation_id,
                    "text": row["text"],
                    "age": text(row["age"]),
                    "sex": text(row["sex"]),
                    "department": text(department and department["department"]),
                    "action": text(department and department["action"]),
                    "suggested": text((department or row)["suggested"]),
                    "doctor": text(department and department["doctor"]),
                    "decided_at": when(department),
                    "model_version": row["model_version"],
                    # the level the urgency decision judged, else the consultation's
                    "triage_level": text((urgency or row)["triage_level"]),
                    "urgency_feedback": text(urgency and urgency["urgency_feedback"]),
                    "corrected_level": text(urgency and urgency["corrected_level"]),
                    "urgency_doctor": text(urgency and urgency["doctor"]),
                    "urgency_decided_at": when(urgency),
                }
            )
    corrected = sum(1 for r in by_department.values() if r["action"] == "correct")
    judged = [str(r["urgency_feedback"]) for r in by_urgency.values()]
    typer.echo(
        f"{target}: {len(consultations)} consultations ({corrected} corrected); urgency: "
        f"{judged.count('right')} right, {judged.count('too_high')} too high, "
        f"{judged.count('too_low')} too low"
    )


if __name__ == "__main__":
    sys.exit(app())
