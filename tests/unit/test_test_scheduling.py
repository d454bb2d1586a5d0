"""`make test`'s two workers: the trained-bundle fixtures are built on one worker only."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import FIRST, schedule_group

TESTS = Path(__file__).resolve().parents[1]
# session fixtures that train a model (tests/conftest.py, tests/service/conftest.py)
TRAINED = {
    "triage_run",
    "triage_bundle",
    "prescription_run",
    "prescription_bundle",
    "recommend_run",
    "recommend_bundle",
    "service_settings",
    "client",
    "live_server",
}


def _fixtures_asked_for(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names |= {arg.arg for arg in node.args.args}
    return names


def test_schedule_groups_unit_files_alone_and_everything_else_together() -> None:
    assert schedule_group("tests/unit/test_x.py::test_a[1]") == "unit/test_x.py"
    assert schedule_group("tests/service/test_a.py::test_b") == schedule_group(
        "tests/training/test_c.py::test_d"
    )
    assert schedule_group(f"tests/{FIRST[0]}::test_e") == FIRST[0]


def test_no_separately_scheduled_file_asks_for_a_trained_bundle() -> None:
    # such a file would train the session's bundles a second time on the other worker
    alone = [
        p
        for p in TESTS.rglob("test_*.py")
        if "/" in schedule_group(f"tests/{p.relative_to(TESTS).as_posix()}::t")
    ]
    assert len(alone) > 50
    asked = {p.relative_to(TESTS).as_posix(): _fixtures_asked_for(p) & TRAINED for p in alone}
    offenders = {name: sorted(fixtures) for name, fixtures in asked.items() if fixtures}
    assert not offenders, offenders


def test_the_check_sees_fixtures_where_they_are_asked_for() -> None:
    assert _fixtures_asked_for(TESTS / "service/test_service_api.py") & TRAINED
