"""Shared fixtures: tiny bundles BUILT by the real pipelines on the demo data (no network).

Options:
  --data-dir DIR   run the data-contract tests (tests/data) against the real shared data
  --bundle DIR     run the model-quality and behavioural tests (tests/model) against a bundle
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A run small enough for a CI core: every family, a few seconds each.
TINY_TRIAGE_OVERRIDES = [
    "data.source=demo",
    "families=null",
    "models.0.max_iter=200",
    "models.1.vocab_size=400",
    "models.1.hidden_size=32",
    "models.1.num_layers=1",
    "models.1.num_heads=2",
    "models.1.intermediate_size=64",
    "models.1.max_length=48",
    "models.1.epochs=1",
    "models.1.batch_size=32",
    "models.1.pretrain.epochs=1",
    "models.1.pretrain.max_texts=200",
    "models.2.hidden=32",
    "models.2.epochs=2",
    "models.3.hidden=32",
    "models.3.epochs=2",
    "deploy.latency_requests=20",
    "export.parity_examples=30",
    "urgency.cblue_max_texts=200",
    # the shared tiny bundle keeps the regression backstop: the network (the default since
    # urgency round 50) fits six times and pushed the fresh-clone CI past its 20 minutes; the
    # network's own path is tested in tests/training/test_urgency_backstop_models.py
    "urgency.model=logreg",
    # the backstop's gold: five files (about 3,000 lines) instead of the default 73 (43,000).
    # Embedding and fitting the whole gold took about 400 of the session triage build's 510
    # seconds on the CI worker that holds every trained-bundle test; the code path is the same,
    # and the README checklist's new-user run and `make run` still train on the whole gold
    "urgency.vignettes=["
    + ", ".join(
        f"data/vignettes/urgency/{name}.jsonl"
        for name in ("tune", "retired_test", "train", "train_r30", "train_r30b")
    )
    + "]",
]


# `make test` runs `pytest -n 2` (pytest-xdist) with the scheduler below: every test that shares
# the session's trained bundles stays on one worker (each worker would otherwise train its own
# copies), and the other worker takes the README's new-user run (a subprocess that trains
# everything again, ~4 min) first, then the unit tests, a file at a time. (xdist's own
# `--dist loadgroup` cannot do this under pytest 9: it regroups by rewriting node ids.)
FIRST = ("training/test_readme_checklist.py",)


def schedule_group(nodeid: str) -> str:
    """The scheduling unit of a test id: its file for unit tests and FIRST, else one shared
    group."""
    where = nodeid.split("::", 1)[0].removeprefix("tests/")
    return where if where.startswith("unit/") or where in FIRST else "trained-bundles"


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist; without it, nothing to do
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "load":  # what `-n N` uses; another --dist mode is obeyed
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return schedule_group(nodeid)

    return ByGroup(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # the longest single test starts first, so it does not run alone at the end
    items.sort(key=lambda item: schedule_group(item.nodeid) not in FIRST)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--data-dir", default=None, help="shared data folder for tests/data")
    parser.addoption("--bundle", default=None, help="bundle folder for tests/model")


@pytest.fixture(scope="session")
def data_dir(request: pytest.FixtureRequest) -> Path:
    value = request.config.getoption("--data-dir")
    if not value:
        pytest.skip("needs --data-dir")
    return Path(value)


@pytest.fixture(scope="session")
def bundle_dir(request: pytest.FixtureRequest) -> Path:
    value = request.config.getoption("--bundle")
    if not value:
        pytest.skip("needs --bundle")
    return Path(value)


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private MLflow store for the test session."""
    store = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{store / 'mlruns.db'}"
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    yield uri
    if previous is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = previous


@pytest.fixture(scope="session")
def triage_run(tmp_path_factory: pytest.TempPathFactory, tracking_uri: str) -> dict[str, Any]:
    """Train all triage families on the demo set with the real pipeline; return its summary."""
    from training.config import load_config
    from training.tracking import Tracker
    from training.triage.train import train_triage

    out = tmp_path_factory.mktemp("triage-run")
    config = load_config(
        ROOT / "configs/triage.yaml", [*TINY_TRIAGE_OVERRIDES, f"output_dir={out}"]
    )
    return train_triage(config, Tracker(tracking_uri), "configs/triage.yaml")  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def triage_bundle(triage_run: dict[str, Any]) -> Path:
    """The deployed tiny triage bundle."""
    return Path(triage_run["bundle"])


@pytest.fixture(scope="session", autouse=True)
def _run_from_project_root() -> Iterator[None]:
    # Configs name project-relative paths (data/demo/...), as `make` runs them.
    previous = Path.cwd()
    os.chdir(ROOT)
    yield
    os.chdir(previous)


TINY_PRESCRIPTION_OVERRIDES = [
    "data.source=demo",
    "model.epochs=3",
    "model.hidden=32",
    "model.embed_dim=16",
    "model.batch_size=256",
]


@pytest.fixture(scope="session")
def prescription_run(tmp_path_factory: pytest.TempPathFactory, tracking_uri: str) -> dict[str, Any]:
    """Build the demo prescription bundle with the real pipeline; return its summary."""
    from training.config import load_config
    from training.prescription.train import train_prescription
    from training.tracking import Tracker

    out = tmp_path_factory.mktemp("prescription-run")
    config = load_config(
        ROOT / "configs/prescription.yaml", [*TINY_PRESCRIPTION_OVERRIDES, f"output_dir={out}"]
    )
    return train_prescription(config, Tracker(tracking_uri), "configs/prescription.yaml")  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def prescription_bundle(prescription_run: dict[str, Any]) -> Path:
    """The demo prescription bundle."""
    return Path(prescription_run["bundle"])


@pytest.fixture(scope="session")
def recommend_run(
    tmp_path_factory: pytest.TempPathFactory, tracking_uri: str, prescription_bundle: Path
) -> dict[str, Any]:
    """Train the demo recommender (hand-written catalogue, demo prescription bundle embedded)."""
    from training.config import load_config
    from training.recommend.train import train_recommend
    from training.tracking import Tracker

    out = tmp_path_factory.mktemp("recommend-run")
    config = load_config(
        ROOT / "configs/recommend_demo.yaml",
        [
            "data.demo_users=300",
            f"safety.prescription_bundle={prescription_bundle}",
            f"output_dir={out}",
        ],
    )
    return train_recommend(config, Tracker(tracking_uri), "configs/recommend_demo.yaml")  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def recommend_bundle(recommend_run: dict[str, Any]) -> Path:
    """The demo recommend bundle."""
    return Path(recommend_run["bundle"])
