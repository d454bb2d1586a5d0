"""Every bad invocation of a CLI is one `error: ...` line on stderr and a documented exit code.

The batch CLIs (`python -m triage predict`, `python -m prescription check`, `python -m recommend
score`) check their arguments and paths before the bundle loads, so none of these cases needs a
bundle: a nonexistent bundle path proves the order (exit 3, not 2), a plain folder is the
unusable bundle (exit 2). Exit codes: 0 ok, 1 some lines were errors, 2 unusable bundle, 3 bad
invocation (see `--help` and the README).
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[2]
NO_BUNDLE = "/nonexistent/bundle"


class Case(NamedTuple):
    name: str
    argv: tuple[str, ...]  # after `python -m`; {tmp} is the case folder
    code: int
    says: str  # a fragment of the error line
    stdin: str = ""


BATCH = {
    "triage": ("triage", "predict"),
    "prescription": ("prescription", "check"),
    "recommend": ("recommend", "score"),
}


def _batch_cases(task: str) -> list[Case]:
    module, command = BATCH[task]
    base = (module, command, "--bundle", NO_BUNDLE)
    io = ("--input", "{tmp}/in.jsonl", "--output", "{tmp}/out.jsonl")
    return [
        Case(f"{task}-no-command", (module,), 3, "required"),
        Case(f"{task}-unknown-command", (module, "bogus"), 3, "invalid choice"),
        Case(f"{task}-no-bundle", (module, command, *io), 3, "--bundle"),
        Case(f"{task}-no-input", (*base, "--output", "-"), 3, "--input"),
        Case(
            f"{task}-missing-input",
            (*base, "--input", "{tmp}/nope.jsonl", "--output", "-"),
            3,
            "does not exist",
        ),
        Case(
            f"{task}-input-is-dir",
            (*base, "--input", "{tmp}", "--output", "-"),
            3,
            "is a directory",
        ),
        Case(
            f"{task}-empty-input",
            (*base, "--input", "{tmp}/empty.jsonl", "--output", "-"),
            3,
            "is empty",
        ),
        Case(
            f"{task}-output-is-dir",
            (*base, "--input", "{tmp}/in.jsonl", "--output", "{tmp}"),
            3,
            "is a directory",
        ),
        Case(
            f"{task}-output-folder-missing",
            (*base, "--input", "{tmp}/in.jsonl", "--output", "{tmp}/no/such/out.jsonl"),
            3,
            "does not exist",
        ),
        Case(f"{task}-threads-0", (*base, *io, "--threads", "0"), 3, ">= 1"),
        Case(f"{task}-batch-size-0", (*base, *io, "--batch-size", "0"), 3, ">= 1"),
        Case(f"{task}-batch-size-text", (*base, *io, "--batch-size", "many"), 3, "integer"),
        Case(f"{task}-bad-log-level", (*base, *io, "--log-level", "LOUD"), 3, "--log-level"),
        Case(f"{task}-unknown-option", (*base, *io, "--frobnicate"), 3, "unrecognized"),
        Case(f"{task}-completion-bad-shell", (module, "--print-completion", "fish"), 3, "invalid"),
        Case(f"{task}-completion-no-shell", (module, "--print-completion"), 3, "expected one"),
        Case(
            f"{task}-unusable-bundle",
            (module, command, "--bundle", "{tmp}", *io),
            2,
            "not a bundle",
        ),
        Case(
            f"{task}-unusable-bundle-stdin",
            (module, command, "--bundle", "{tmp}", "--input", "-", "--output", "-"),
            2,
            "not a bundle",
        ),
    ]


CASES = [
    *_batch_cases("triage"),
    *_batch_cases("prescription"),
    *_batch_cases("recommend"),
    Case(
        "triage-missing-department-map",
        (
            "triage",
            "predict",
            "--bundle",
            NO_BUNDLE,
            "--input",
            "-",
            "--output",
            "-",
            "--department-map",
            "{tmp}/nope.yaml",
        ),
        3,
        "--department-map",
    ),
    Case(
        "triage-bad-evidence",
        (
            "triage",
            "predict",
            "--bundle",
            NO_BUNDLE,
            "--input",
            "-",
            "--output",
            "-",
            "--evidence",
            "all",
        ),
        3,
        "invalid choice",
    ),
    Case(
        "prescription-suppress-is-dir",
        (
            "prescription",
            "check",
            "--bundle",
            NO_BUNDLE,
            "--input",
            "-",
            "--output",
            "-",
            "--suppress",
            "{tmp}",
        ),
        3,
        "is a directory",
    ),
    *[
        case
        for tool in ("prescription.summary", "recommend.summary")
        for case in (
            Case(f"{tool}-no-file", (tool,), 3, "required"),
            Case(
                f"{tool}-two-files", (tool, "{tmp}/in.jsonl", "{tmp}/in.jsonl"), 3, "unrecognized"
            ),
            Case(f"{tool}-missing-file", (tool, "{tmp}/nope.jsonl"), 3, "does not exist"),
            Case(f"{tool}-file-is-dir", (tool, "{tmp}"), 3, "is a directory"),
            Case(f"{tool}-unknown-option", (tool, "--bogus", "{tmp}/in.jsonl"), 3, "unrecognized"),
            Case(f"{tool}-not-output-lines", (tool, "{tmp}/garbage.jsonl"), 1, "not output lines"),
            Case(
                f"{tool}-completion-bad-shell",
                (tool, "--print-completion", "powershell"),
                3,
                "--print-completion",
            ),
        )
    ],
    Case("training-bad-log-level", ("training", "--log-level", "LOUD", "keygen"), 3, "--log-level"),
    Case("training-unknown-command", ("training", "bogus"), 3, "No such command"),
    Case("training-unknown-task", ("training", "promote", "nosuchtask"), 3, "task must be one of"),
    Case("training-missing-config", ("training", "train", "triage"), 3, "--config"),
    Case("training-unknown-option", ("training", "pull", "triage", "--bogus"), 3, "No such option"),
    Case(
        "training-bad-min-delta",
        ("training", "promote", "triage", "--min-delta", "abc"),
        3,
        "--min-delta",
    ),
    Case(
        "training-completion-bad-shell",
        ("training", "--print-completion", "tcsh"),
        3,
        "--print-completion",
    ),
    Case(
        "training-completion-no-shell",
        ("training", "--print-completion"),
        3,
        "requires an argument",
    ),
    Case(
        "training-config-not-found",
        ("training", "train", "triage", "--config", "{tmp}/nope.yaml"),
        2,
        "nope.yaml",
    ),
]


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every case once, four at a time (each is a fresh interpreter)."""

    def run(case: Case) -> subprocess.CompletedProcess[str]:
        folder = tmp_path_factory.mktemp(case.name)
        (folder / "in.jsonl").write_text('{"id": "a"}\n', encoding="utf-8")
        (folder / "empty.jsonl").write_text("", encoding="utf-8")
        (folder / "garbage.jsonl").write_text("not json\n", encoding="utf-8")
        argv = [part.replace("{tmp}", str(folder)) for part in case.argv]
        return subprocess.run(
            [sys.executable, "-m", *argv],
            cwd=REPO,
            input=case.stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    # the session's base folder is made lazily; made here, not by four threads racing to make it
    tmp_path_factory.getbasetemp()
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip([c.name for c in CASES], pool.map(run, CASES), strict=True))


def test_the_table_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_invocation_is_one_error_line_and_a_documented_code(
    case: Case, results: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    proc = results[case.name]
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and case.says in lines[0], lines[0]
    assert proc.returncode == case.code, (proc.returncode, proc.stderr)


@pytest.mark.parametrize("task", sorted(BATCH))
def test_batch_help_shows_line_formats_and_exit_codes(task: str) -> None:
    module, command = BATCH[task]
    for argv in ([module, command, "--help"], [module, "--help"]):
        proc = subprocess.run(
            [sys.executable, "-m", *argv], cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0 and proc.stderr == ""
        for words in (
            "one request object per line",
            "output: JSON lines",
            "exit codes:",
            "2  the bundle is unusable",
            "3  bad invocation",
        ):
            assert words in proc.stdout, (argv, words)


@pytest.mark.parametrize("tool", ["prescription.summary", "recommend.summary"])
def test_summary_help(tool: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", tool, "--help"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "exit codes:" in proc.stdout and "FILE" in proc.stdout


def test_help_examples_are_valid_requests() -> None:
    from prescription import __main__ as rx
    from prescription.schema import CheckRequest
    from recommend import __main__ as carts
    from recommend.schema import ScoreRequest
    from triage import __main__ as triage
    from triage.schema import TriageRequest

    for module, schema in ((triage, TriageRequest), (rx, CheckRequest), (carts, ScoreRequest)):
        example = module.INPUT_HELP.split("}  (")[0] + "}"
        schema.model_validate(json.loads(example))
