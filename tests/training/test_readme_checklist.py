"""The README's new user's checklist, run as written.

Every ```console block of the section is a step list: `$ command` lines, then the fragments its
output must contain (in that order), and `[exit code N]` when it must not exit 0. The whole
section runs as one bash session (an `export` or a `command &` carries on to later steps), in a
fresh folder that sees the project's code, configs and demo data but none of its state
(models/, var/, mlflow.db) and no shared data: what a new user on a fresh machine gets. MLflow
runs with its own defaults. The one change: the service's port is a free one, not 8000.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## New user's checklist"
ROLES = ("### Data scientist", "### Doctor", "### Operator")
# What a fresh clone does not have: the workspace must not see the developer's.
STATE = {"models", "var", "build", "mlflow.db", "mlruns.db", "mlartifacts", "mlruns", ".git"}
EXIT_CODE = re.compile(r"^\[exit code (\d+)\]$")
HEREDOC = re.compile(r"<<\s*'(\w+)'")


@dataclass
class Step:
    role: str
    command: str
    expected: list[str] = field(default_factory=list)
    exit_code: int = 0


def checklist_steps(readme: str) -> list[Step]:
    """The steps of the README's checklist section, in order, each with its role heading."""
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    section = readme[start : end if end != -1 else None]
    steps: list[Step] = []
    role = ""
    in_block = False
    continued = False  # a line ending in a backslash
    heredoc = ""  # the word that ends a `<<'WORD'` here-document
    for line in section.splitlines():
        if line.startswith("### "):
            role = line
        elif line.strip() == "```console":
            in_block = True
        elif line.strip() == "```" and in_block:
            in_block = False
        elif in_block and (continued or heredoc):
            steps[-1].command += "\n" + line
            continued = line.endswith("\\")
            if heredoc and line == heredoc:
                heredoc = ""
        elif in_block and line.startswith("$ "):
            steps.append(Step(role, line[2:]))
            continued = line.endswith("\\")
            match = HEREDOC.search(line)
            heredoc = match.group(1) if match else ""
        elif in_block and line.strip() and steps:
            match = EXIT_CODE.match(line.strip())
            if match:
                steps[-1].exit_code = int(match.group(1))
            else:
                steps[-1].expected.append(line.strip())
    return steps


def test_checklist_covers_every_user() -> None:
    steps = checklist_steps((ROOT / "README.md").read_text(encoding="utf-8"))
    for role in ROLES:
        mine = [s for s in steps if s.role.startswith(role)]
        assert len(mine) >= 3, f"{role}: {len(mine)} steps"
        assert any(s.expected for s in mine), f"{role}: no step says what to expect"


def test_checklist_parser_reads_fragments_and_exit_codes() -> None:
    readme = (
        "## New user's checklist\n### Doctor\n```console\n$ echo a \\\n  b\na b\n"
        "$ false\n[exit code 1]\n$ python - <<'EOF'\nprint(1)\nEOF\n1\n```\n"
        "## Next\n```console\n$ not me\n```\n"
    )
    steps = checklist_steps(readme)
    assert [(s.command, s.expected, s.exit_code) for s in steps] == [
        ("echo a \\\n  b", ["a b"], 0),
        ("false", [], 1),
        ("python - <<'EOF'\nprint(1)\nEOF", ["1"], 0),
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _workspace(tmp: Path) -> Path:
    """A folder with links to the project's files, but none of its state."""
    work = tmp / "hospital"
    work.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in STATE and not entry.name.startswith(".venv"):
            (work / entry.name).symlink_to(entry)
    return work


def _script(steps: list[Step], outputs: Path, port: int) -> str:
    lines = ["set +e"]
    for i, step in enumerate(steps):
        command = step.command.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        lines.append(f"{{ {command}\n}} >{outputs}/{i}.out 2>&1; echo $? >{outputs}/{i}.rc")
    lines.append("kill $(jobs -p) 2>/dev/null; wait")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_readme_checklist_runs_as_written(tmp_path: Path) -> None:
    steps = checklist_steps((ROOT / "README.md").read_text(encoding="utf-8"))
    work = _workspace(tmp_path)
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HOSPITAL_", "MLFLOW_", "PYTEST_", "VIRTUAL_ENV"))
    }
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    env["HOSPITAL_PORT"] = str(port)
    env["HOSPITAL_WORKERS"] = "1"  # one core's worth of service on a CI machine
    session = subprocess.Popen(
        ["bash", "-c", _script(steps, outputs, port)],
        cwd=work,
        env=env,
        start_new_session=True,  # the group holds the service started with `&`
    )
    try:
        session.wait(timeout=900)
    finally:
        if session.poll() is None:
            os.killpg(session.pid, 9)
        else:
            with contextlib.suppress(ProcessLookupError):  # nothing left to stop
                os.killpg(session.pid, 15)
    failures = []
    for i, step in enumerate(steps):
        rc_file = outputs / f"{i}.rc"
        output = (outputs / f"{i}.out").read_text(errors="replace") if rc_file.exists() else ""
        code = int(rc_file.read_text()) if rc_file.exists() else None
        problem = None
        if code != step.exit_code:
            problem = f"exit code {code}, expected {step.exit_code}"
        else:
            position = 0
            for fragment in step.expected:
                found = output.find(fragment, position)
                if found == -1:
                    problem = f"missing {fragment!r}"
                    break
                position = found + len(fragment)
        if problem is None and "Traceback (most recent call last)" in output:
            problem = "a traceback"
        if problem:
            tail = output[-1500:]
            failures.append(f"{step.role} | $ {step.command}\n  {problem}\n  output: {tail}")
    assert not failures, "\n\n".join(failures)
