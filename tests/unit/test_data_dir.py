"""A data directory named explicitly must exist and hold the source; the demo set is used only
when asked for or when no directory was named (issue 16: a typo never trains on the demo set)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from training.config import DATA_DIR_ENV, DataError, auto_source, resolve_data_dir

ROOT = Path(__file__).resolve().parents[2]


def test_a_missing_explicit_data_dir_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    with pytest.raises(DataError, match="does not exist"):
        resolve_data_dir(str(tmp_path / "shraed"))
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "nope"))
    with pytest.raises(DataError, match=r"\$HOSPITAL_DATA_DIR"):
        resolve_data_dir(None)
    assert resolve_data_dir(str(tmp_path)) == tmp_path  # the config's wins over the environment


def test_auto_falls_back_to_demo_only_without_an_explicit_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    assert auto_source(None, False, "haodf20", "triage/haodf20/train.csv") == "demo"
    assert auto_source(str(tmp_path), True, "haodf20", "x") == "haodf20"
    with pytest.raises(DataError, match=r"has no triage/haodf20/train\.csv"):
        auto_source(str(tmp_path), False, "haodf20", "triage/haodf20/train.csv")


def test_training_cli_refuses_a_mistyped_data_dir(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "train",
            "triage",
            "--config",
            "configs/triage.yaml",
            "--data-dir",
            str(tmp_path / "shraed/data"),
            "--set",
            f"output_dir={tmp_path / 'run'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'm.db'}"},
    )
    assert out.returncode == 2
    assert "does not exist" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "run").exists()


def test_default_tracking_store_is_mlflows_own_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mlflow.pyfunc.load_model("models:/triage@champion")` with no settings, run from the
    project folder, reads the store the CLI wrote (issue 16)."""
    import os

    from training.tracking import TRACKING_ENV, default_tracking_uri

    env = {k: v for k, v in os.environ.items() if k != TRACKING_ENV}
    out = subprocess.run(
        [sys.executable, "-c", "import mlflow; print(mlflow.get_tracking_uri())"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    monkeypatch.delenv(TRACKING_ENV, raising=False)
    assert out.stdout.strip() == default_tracking_uri(tmp_path)
