"""The service image (Dockerfile) is linted: it copies only what serving needs (never the
training stack, data or bundles), runs as a non-root user and checks a route that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVING = {"runtime", "triage", "prescription", "recommend", "consultations", "service"}


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_image_copies_the_serving_packages_only() -> None:
    copied = [args.split()[0] for op, args in _instructions() if op == "COPY"]
    assert all((ROOT / source).exists() for source in copied)
    packages = {source for source in copied if (ROOT / source).is_dir()}
    assert packages == SERVING
    installs = [args for op, args in _instructions() if op == "RUN" and "pip install" in args]
    assert installs and all("[service]" in a and "train" not in a for a in installs)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"training", "data", "models", ".venv"} <= set(ignored)


def test_image_runs_as_non_root_with_a_healthcheck_on_a_real_route() -> None:
    ops = dict(_instructions())
    assert ops["USER"] not in ("root", "0")
    assert ops["CMD"] == '["python", "-m", "service"]'
    route = re.search(r"127\.0\.0\.1:8000(/\w+)", ops["HEALTHCHECK"])
    assert route is not None
    health = (ROOT / "service/routes/health.py").read_text(encoding="utf-8")
    assert f'@router.get("{route.group(1)}")' in health
    assert "HOSPITAL_HOST=0.0.0.0" in ops["ENV"]  # reachable from outside the container
