"""Shell completion of the console scripts, exercised in a real bash.

Each tool writes its script with `--print-completion bash`; the test sources it in bash, looks up
the function `complete -p TOOL` registered, sets COMP_WORDS/COMP_CWORD as bash does at a TAB and
reads COMPREPLY. The batch CLIs' scripts (shtab) answer in bash; hospital-train's (typer) runs
hospital-train again with _HOSPITAL_TRAIN_COMPLETE=complete_bash, so that path is tested too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash")

pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed: nothing to complete")

# console script -> the module it runs (pyproject [project.scripts])
TOOLS = {
    "hospital-triage": "triage",
    "hospital-prescription": "prescription",
    "hospital-recommend": "recommend",
    "hospital-train": "training",
}
# The summary tools have no console script of their own; their scripts register this name.
SUMMARIES = {
    "hospital-prescription-summary": "prescription.summary",
    "hospital-recommend-summary": "recommend.summary",
}
# --print-completion's shells: shtab's for the argparse CLIs, typer's for hospital-train
SHELLS = {tool: ("bash", "zsh", "tcsh") for tool in (*TOOLS, *SUMMARIES)}
SHELLS["hospital-train"] = ("bash", "zsh", "fish")
PRINTED = [(tool, shell) for tool, shells in SHELLS.items() for shell in shells]

# Source the script, find the function `complete -F` names for the tool, call it the way bash
# does at a TAB ($1 command, $2 word being completed, $3 the word before), print the
# registration and then one completion per line.
HARNESS = r"""
source "$1"
tool=$2
shift 2
spec=$(complete -p "$tool") || exit 7
read -ra parts <<< "$spec"
fn=
for i in "${!parts[@]}"; do [[ ${parts[i]} == -F ]] && fn=${parts[i+1]}; done
[[ -n $fn ]] || exit 8
COMP_WORDS=("$tool" "$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$fn" "$tool" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
echo "$spec"
printf '%s\n' "${COMPREPLY[@]}"
"""


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for PATH with every tool: the installed console script, else a `python -m` shim
    (hospital-train's script runs the tool by name at each TAB)."""
    folder = tmp_path_factory.mktemp("bin")
    installed = Path(sys.executable).parent
    for tool, module in {**TOOLS, **SUMMARIES}.items():
        target = folder / tool
        if (installed / tool).is_file():
            target.symlink_to(installed / tool)
        else:
            target.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {module} "$@"\n')
            target.chmod(0o755)
    return folder


def _env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BASH_ENV", "ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="module")
def printed(bin_dir: Path) -> dict[tuple[str, str], subprocess.CompletedProcess[str]]:
    """`TOOL --print-completion SHELL` for every tool and shell, run once, four at a time (each
    batch CLI takes about a second to start)."""

    def run(tool: str, shell: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bin_dir / tool), "--print-completion", shell],
            cwd=REPO,
            env=_env(bin_dir),
            capture_output=True,
            text=True,
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(PRINTED, pool.map(lambda key: run(*key), PRINTED), strict=True))


@pytest.fixture(scope="module")
def scripts(
    printed: dict[tuple[str, str], subprocess.CompletedProcess[str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    """The bash script of every tool, as a file to source."""
    folder = tmp_path_factory.mktemp("completion")
    written = {}
    for tool in SHELLS:
        proc = printed[tool, "bash"]
        assert proc.returncode == 0 and proc.stderr == "", (tool, proc.returncode, proc.stderr)
        written[tool] = folder / f"{tool}.bash"
        written[tool].write_text(proc.stdout, encoding="utf-8")
    return written


def complete(
    scripts: dict[str, Path], bin_dir: Path, tool: str, *words: str, cwd: Path = REPO
) -> tuple[str, list[str]]:
    """(the `complete -p TOOL` line, COMPREPLY) for `TOOL WORDS...<TAB>`; the last word is the
    one being completed ('' right after a space)."""
    assert BASH is not None
    proc = subprocess.run(
        [BASH, "--norc", "--noprofile", "-c", HARNESS, "harness", str(scripts[tool]), tool, *words],
        cwd=cwd,
        env=_env(bin_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    spec, *replies = proc.stdout.splitlines()
    return spec, [reply for reply in replies if reply]


@pytest.mark.parametrize("tool", [*TOOLS, *SUMMARIES])
def test_script_is_valid_bash_and_registers_the_console_script(
    tool: str, scripts: dict[str, Path], bin_dir: Path
) -> None:
    assert BASH is not None
    syntax = subprocess.run(
        [BASH, "-n", str(scripts[tool])], capture_output=True, text=True, timeout=30
    )
    assert syntax.returncode == 0, syntax.stderr
    spec, _ = complete(scripts, bin_dir, tool, "")
    # registered for the name a shell sees first, never for `python -m ...`
    assert spec.split()[-1] == tool and "python" not in spec, spec


def test_python_m_prints_the_same_script(scripts: dict[str, Path]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "triage", "--print-completion", "bash"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert proc.stdout == scripts["hospital-triage"].read_text(encoding="utf-8")


@pytest.mark.parametrize("key", PRINTED, ids=["-".join(key) for key in PRINTED])
def test_every_shell_gets_a_script_for_the_console_script(
    key: tuple[str, str], printed: dict[tuple[str, str], subprocess.CompletedProcess[str]]
) -> None:
    tool, _ = key
    proc = printed[key]
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert tool in proc.stdout and "python -m" not in proc.stdout


class Case(NamedTuple):
    tool: str
    words: tuple[str, ...]  # after the tool; the last one is being completed
    expected: frozenset[str]  # COMPREPLY, exactly


def case(tool: str, *words: str, expect: tuple[str, ...]) -> Case:
    return Case(tool, words, frozenset(expect))


TASKS = ("triage", "prescription", "recommend")
CASES = [
    # the batch CLIs (shtab, answered in bash)
    case("hospital-triage", "", expect=("predict",)),
    case("hospital-triage", "predict", "--b", expect=("--bundle", "--batch-size")),
    case("hospital-triage", "predict", "--dep", expect=("--department-map",)),
    case("hospital-triage", "predict", "--evidence", "", expect=("none", "ngram", "auto", "full")),
    case("hospital-triage", "--print-completion", "", expect=("bash", "zsh", "tcsh")),
    case("hospital-triage", "predict", "--nosuch", expect=()),
    case("hospital-prescription", "", expect=("check",)),
    case("hospital-prescription", "check", "--su", expect=("--suppress",)),
    case("hospital-recommend", "score", "--in", expect=("--input",)),
    case("hospital-recommend", "score", "--bundle", "x", "--ou", expect=("--output",)),
    # hospital-train (typer, answered by hospital-train itself)
    case("hospital-train", "tr", expect=("train",)),
    case("hospital-train", "p", expect=("promote", "pull")),
    case("hospital-train", "promote", "", expect=TASKS),
    case("hospital-train", "pull", "re", expect=("recommend",)),
    case("hospital-train", "pull", "triage", "--al", expect=("--alias",)),
    case("hospital-train", "--print-completion", "", expect=("bash", "zsh", "fish")),
    case("hospital-train", "--log-level", "DEBUG", "ke", expect=("keygen",)),
    case("hospital-train", "nosuch", expect=()),
]


@pytest.mark.parametrize("c", CASES, ids=[" ".join((c.tool, *c.words)) for c in CASES])
def test_bash_completes(c: Case, scripts: dict[str, Path], bin_dir: Path) -> None:
    _, replies = complete(scripts, bin_dir, c.tool, *c.words)
    assert set(replies) == c.expected


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "models_x").mkdir()
    (tmp_path / "models.txt").write_text("", encoding="utf-8")
    (tmp_path / "in.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text("", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("tool", "words", "expected"),
    [
        # --bundle offers folders only; the other path options offer files (and folders)
        ("hospital-triage", ("predict", "--bundle", "mod"), {"models_x"}),
        ("hospital-prescription", ("check", "--bundle", "mod"), {"models_x"}),
        ("hospital-triage", ("predict", "--input", "i"), {"in.jsonl"}),
        ("hospital-triage", ("predict", "--output", "models"), {"models_x", "models.txt"}),
        ("hospital-triage", ("predict", "--department-map", "ma"), {"map.yaml"}),
        ("hospital-prescription", ("check", "--suppress", "ma"), {"map.yaml"}),
        ("hospital-recommend", ("score", "--input", "i"), {"in.jsonl"}),
        ("hospital-prescription-summary", ("i",), {"in.jsonl"}),
        ("hospital-recommend-summary", ("i",), {"in.jsonl"}),
    ],
)
def test_path_options_complete_paths(
    tool: str,
    words: tuple[str, ...],
    expected: set[str],
    files: Path,
    scripts: dict[str, Path],
    bin_dir: Path,
) -> None:
    _, replies = complete(scripts, bin_dir, tool, *words, cwd=files)
    assert set(replies) == expected


def test_train_leaves_paths_to_bash(files: Path, scripts: dict[str, Path], bin_dir: Path) -> None:
    # typer answers nothing for a path; `complete -o default` makes bash offer file names then.
    spec, replies = complete(
        scripts, bin_dir, "hospital-train", "train", "triage", "--config", "ma", cwd=files
    )
    assert replies == [] and "-o default" in spec
