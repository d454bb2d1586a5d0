"""Load test on loopback: a mixed open-loop load at a fixed rate, with an optional reload.

    python bench/load.py [--rate 200] [--seconds 60] [--workers 2] [--reload-at 30]
                         [--url http://127.0.0.1:8000] [--out FILE]

Without --url it starts `uvicorn --factory service.app:create_app` itself on a free port with
the bundles in models/ (as `make serve` would) and stops it afterwards. Requests are sent at
fixed times (open loop: a slow answer does not slow the sender down, so latency is not hidden);
the mix is 40% triage, 30% prescription checks, 30% cart scoring, built from the demo inputs.
`--reload-at T` posts /admin/reload T seconds in; every request before, during and after must
still succeed. Reports achieved rate, errors and p50/p90/p99 per endpoint as JSON and a table.
Targets (200 req/s for 60 s, zero errors, p99 <= 50 ms per endpoint on 2 cores) are reported,
never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TARGET_P99_MS = 50.0


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


MIX = {"/v1/triage": 0.4, "/v1/prescriptions/check": 0.3, "/v1/carts/score": 0.3}


def request_bodies() -> dict[str, list[dict[str, Any]]]:
    """Valid demo inputs per endpoint (the demo files' deliberate bad lines left out)."""
    return {
        "/v1/triage": _jsonl(ROOT / "data/demo/consultations.jsonl"),
        "/v1/prescriptions/check": [
            r
            for r in _jsonl(ROOT / "data/demo/prescriptions.jsonl")
            if r.get("drugs") and all(d.get("dose_mg", 1) > 0 for d in r["drugs"])
        ],
        "/v1/carts/score": [
            r for r in _jsonl(ROOT / "data/demo/carts.jsonl") if r.get("k", 10) >= 1
        ],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(workers: int, database: Path) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn with `workers` processes on a free loopback port; waits for /readyz."""
    port = _free_port()
    env = {**os.environ, "HOSPITAL_DATABASE": str(database), "HOSPITAL_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "service.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                time.sleep(1.0)  # let every worker finish loading
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError("the server exited while starting; are the bundles in models/?")
        time.sleep(0.5)
    process.kill()
    raise RuntimeError("the server did not become ready within 120 s")


async def run_load(
    url: str, rate: float, seconds: float, reload_at: float | None
) -> dict[str, Any]:
    """Send `rate` requests per second for `seconds`; returns per-endpoint samples and errors."""
    bodies = request_bodies()
    paths, weights = list(MIX), list(MIX.values())
    rng = random.Random(0)
    samples: dict[str, list[float]] = {}
    errors: dict[str, list[str]] = {}
    reload_result: dict[str, Any] = {}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=url, timeout=10.0, limits=limits) as client:

        async def one(number: int, path: str, body: dict[str, Any]) -> None:
            payload = {**body, "id": f"load-{number}"}
            started = time.perf_counter()
            try:
                response = await client.post(path, json=payload)
                ok = response.status_code == 200
                detail = f"{response.status_code} {response.text[:120]}"
            except httpx.HTTPError as exc:
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            elapsed = (time.perf_counter() - started) * 1000
            samples.setdefault(path, []).append(elapsed)
            if not ok:
                errors.setdefault(path, []).append(detail)

        async def reload_later() -> None:
            assert reload_at is not None
            await asyncio.sleep(reload_at)
            started = time.perf_counter()
            response = await client.post("/admin/reload", timeout=60)
            reload_result.update(
                status=response.status_code,
                seconds=time.perf_counter() - started,
                tasks=response.json().get("tasks"),
                at_s=reload_at,
            )

        tasks = []
        reloader = asyncio.create_task(reload_later()) if reload_at is not None else None
        begin = time.perf_counter()
        total = int(rate * seconds)
        for number in range(total):
            due = begin + number / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            path = rng.choices(paths, weights)[0]
            body = rng.choice(bodies[path])
            tasks.append(asyncio.create_task(one(number, path, body)))
        sent_seconds = time.perf_counter() - begin
        await asyncio.gather(*tasks)
        if reloader is not None:
            await reloader
    return {
        "samples": samples,
        "errors": errors,
        "sent": total,
        "send_seconds": sent_seconds,
        "reload": reload_result or None,
    }


def summarise(result: dict[str, Any], rate: float, seconds: float) -> dict[str, Any]:
    """Percentiles per endpoint and the target checks."""
    endpoints = {}
    for path, values in sorted(result["samples"].items()):
        array = np.asarray(values)
        endpoints[path] = {
            "requests": len(values),
            "errors": len(result["errors"].get(path, [])),
            "p50_ms": float(np.percentile(array, 50)),
            "p90_ms": float(np.percentile(array, 90)),
            "p99_ms": float(np.percentile(array, 99)),
            "max_ms": float(array.max()),
            "error_examples": result["errors"].get(path, [])[:3],
        }
    errors = sum(e["errors"] for e in endpoints.values())
    return {
        "rate_requested": rate,
        "seconds_requested": seconds,
        "sent": result["sent"],
        "achieved_rate": result["sent"] / result["send_seconds"],
        "errors": errors,
        "endpoints": endpoints,
        "reload": result["reload"],
        "targets": {
            "zero_errors": errors == 0,
            "p99_le_50ms_every_endpoint": all(
                e["p99_ms"] <= TARGET_P99_MS for e in endpoints.values()
            ),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reload-at", type=float, default=None)
    parser.add_argument("--url", default=None, help="an already running server")
    parser.add_argument("--out", default=str(ROOT / "build/bench/load.json"))
    args = parser.parse_args()
    process = None
    url = args.url
    if url is None:
        database = ROOT / "build/bench/load.db"
        database.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        process, url = start_server(args.workers, database)
    try:
        raw = asyncio.run(run_load(url, args.rate, args.seconds, args.reload_at))
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    report = summarise(raw, args.rate, args.seconds)
    report["workers"] = args.workers
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    print(
        f"\n{report['sent']} requests at {report['achieved_rate']:.1f}/s for {args.seconds:.0f} s, "
        f"{args.workers} workers, errors: {report['errors']}"
        + (
            f", reload at {args.reload_at:.0f} s: {report['reload']['status']}"
            if report["reload"]
            else ""
        )
    )
    print("\n| endpoint | requests | errors | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    for path, e in report["endpoints"].items():
        print(
            f"| {path} | {e['requests']} | {e['errors']} | {e['p50_ms']:.1f} | {e['p90_ms']:.1f} "
            f"| {e['p99_ms']:.1f} | {e['max_ms']:.1f} |"
        )


if __name__ == "__main__":
    main()
