"""Run a task's batch CLI on request dicts, for the tests that compare another path with it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

CLI = {"triage": "predict", "prescription": "check", "recommend": "score"}
DEMO = {
    "triage": "data/demo/consultations.jsonl",
    "prescription": "data/demo/prescriptions.jsonl",
    "recommend": "data/demo/carts.jsonl",
}


def demo_records(task: str) -> list[dict[str, Any]]:
    """The task's demo requests (data/demo), bad ones included."""
    lines = Path(DEMO[task]).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def run_cli(task: str, bundle: Path, records: list[dict[str, Any]], folder: Path) -> list[dict]:
    """`python -m <task>` on `records`; its output lines, each error without its "line N: "
    (a table has no line numbers, so a frame's error is the CLI's without it)."""
    source, out = folder / f"{task}.cli.jsonl", folder / f"{task}.cli.out.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    command = [sys.executable, "-m", task, CLI[task], "--bundle", str(bundle)]
    command += ["--input", str(source), "--output", str(out)]
    subprocess.run(command, check=False, capture_output=True)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        if "error" in line:
            line["error"] = re.sub(r"^line \d+: ", "", line["error"])
    return lines
