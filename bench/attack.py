"""Slow-client attack on loopback: idle and slow-header connections while real traffic flows.

    python bench/attack.py [--idle 2000] [--slow 200] [--rate 200] [--seconds 40] [--workers 2]

Starts `python -m service` (as bench/load.py does, bundles from models/), then for `--seconds`:

- keeps, from a separate process, `--idle` connections open that never send a byte (each
  reopened when the server closes it, so the pressure stays), and `--slow` connections that
  send a request head one byte every second (a slowloris); with `--big N`, N connections that
  send 900 KB of a 1 MB body and stall;
- probes GET /healthz every 50 ms on a fresh connection;
- sends the mixed open-loop load of bench/load.py at `--rate` requests/s.

Reports how long the server kept idle and slow connections (target: closed within 30 s), the
/healthz p99 (target <= 100 ms), the mixed load's p99 per endpoint (<= 50 ms) and errors (0),
and each worker's resident memory before, at the end of the attack and 40 s after
(target: back within 50 MB of the start). Prints JSON, then a table; reports, never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from load import run_load, stage_models, start_server, summarise  # noqa: E402

SLOW_HEAD = b"POST /v1/triage HTTP/1.1\r\nHost: attack\r\nContent-Type: application/json\r\n"


def worker_rss_mb(server_pid: int) -> dict[int, float]:
    """Resident memory of each worker process (the server's children)."""
    rss: dict[int, float] = {}
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children")
    for pid in children.read_text().split() if children.exists() else []:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss[int(pid)] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return rss


async def _connections(
    host: str, port: int, stop: float
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """One connection at a time until `stop`, reopened whenever the last one ends (a refused
    connect is retried after 0.5 s); each is closed once the caller is done with it."""
    while time.perf_counter() < stop:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.5)
            continue
        try:
            yield reader, writer
        finally:
            writer.close()


async def hold_idle(
    host: str, port: int, stop: float, kept: list[float], opened: list[int]
) -> None:
    """One idle connection at a time, reopened when closed; records how long each was kept."""
    async for reader, _ in _connections(host, port, stop):
        opened[0] += 1
        started = time.perf_counter()
        try:
            await asyncio.wait_for(reader.read(1), timeout=max(0.1, stop - started))
            kept.append(time.perf_counter() - started)  # the server closed it
        except (TimeoutError, OSError):
            pass  # still open at the end of the attack: counted as kept for the whole attack


async def hold_slow(host: str, port: int, stop: float, kept: list[float]) -> None:
    """A slowloris: one byte of a request head every second, reopened when cut off."""
    async for reader, writer in _connections(host, port, stop):
        started = time.perf_counter()
        try:
            for i in range(10_000):
                if time.perf_counter() >= stop:
                    break
                writer.write(SLOW_HEAD[i % len(SLOW_HEAD) : i % len(SLOW_HEAD) + 1])
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1), timeout=1.0) == b"":
                        kept.append(time.perf_counter() - started)
                        break
                except TimeoutError:
                    continue
        except OSError:
            kept.append(time.perf_counter() - started)


async def hold_big_body(host: str, port: int, stop: float, kept: list[float]) -> None:
    """A 1 MB request whose body stops 100 KB short, reopened when cut off."""
    head = (
        b"POST /v1/triage HTTP/1.1\r\nHost: attack\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000000\r\n\r\n"
    )
    async for reader, writer in _connections(host, port, stop):
        started = time.perf_counter()
        try:
            writer.write(head + b"x" * 900_000)
            await writer.drain()
            await asyncio.wait_for(reader.read(), timeout=max(0.1, stop - started))
            kept.append(time.perf_counter() - started)
        except (TimeoutError, OSError):
            pass


async def probe_health(url: str, stop: float, samples: list[float], errors: list[str]) -> None:
    """GET /healthz every 50 ms, each on a new connection (as a load balancer's check)."""
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=10)
    while time.perf_counter() < stop:
        started = time.perf_counter()
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(f"{url}/healthz") as response,
            ):
                await response.read()
                if response.status != 200:
                    errors.append(str(response.status))
        except (aiohttp.ClientError, TimeoutError) as exc:
            errors.append(type(exc).__name__)
        samples.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(max(0.0, 0.05 - (time.perf_counter() - started)))


def _attacker(
    host: str, port: int, seconds: float, idle: int, slow: int, big: int, out: Any
) -> None:
    """The attacking connections, in their own process: their reconnect bursts must not stall
    the load generator's event loop, or the bench would measure itself."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)

    async def run() -> dict[str, Any]:
        stop = time.perf_counter() + seconds
        idle_kept: list[float] = []
        slow_kept: list[float] = []
        big_kept: list[float] = []
        opened = [0]
        await asyncio.gather(
            *(hold_idle(host, port, stop, idle_kept, opened) for _ in range(idle)),
            *(hold_slow(host, port, stop, slow_kept) for _ in range(slow)),
            *(hold_big_body(host, port, stop, big_kept) for _ in range(big)),
            return_exceptions=True,
        )
        return {
            "idle_kept": idle_kept,
            "slow_kept": slow_kept,
            "big_kept": big_kept,
            "opened": opened[0],
        }

    out.put(asyncio.run(run()))


async def attack(url: str, args: argparse.Namespace) -> dict[str, Any]:
    import multiprocessing

    host, port = url.removeprefix("http://").split(":")
    results: Any = multiprocessing.Queue()
    attacker = multiprocessing.Process(
        target=_attacker,
        args=(host, int(port), args.seconds, args.idle, args.slow, args.big, results),
    )
    attacker.start()
    stop = time.perf_counter() + args.seconds
    health: list[float] = []
    health_errors: list[str] = []
    await asyncio.sleep(3)  # let the connections pile up before measuring
    prober = asyncio.create_task(probe_health(url, stop, health, health_errors))
    load = await run_load(url, args.rate, max(1.0, args.seconds - 6), None)
    await prober
    held = await asyncio.to_thread(results.get)
    attacker.join()
    idle_kept, slow_kept = held["idle_kept"], held["slow_kept"]
    return {
        "idle_connections_opened": held["opened"],
        "idle_closed_by_server": len(idle_kept),
        "idle_kept_max_s": max(idle_kept) if idle_kept else None,
        "slow_closed_by_server": len(slow_kept),
        "slow_kept_max_s": max(slow_kept) if slow_kept else None,
        "big_body_closed_by_server": len(held["big_kept"]),
        "big_body_kept_max_s": max(held["big_kept"]) if held["big_kept"] else None,
        "healthz": {
            "probes": len(health),
            "errors": len(health_errors),
            "p50_ms": float(np.percentile(health, 50)) if health else None,
            "p99_ms": float(np.percentile(health, 99)) if health else None,
        },
        "load": summarise(load, args.rate, max(1.0, args.seconds - 6)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument(
        "--big",
        type=int,
        default=0,
        help="connections sending 900 KB of a 1 MB body, then stalling",
    )
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--settle", type=float, default=40.0, help="seconds before memory")
    parser.add_argument("--out", default=str(ROOT / "build/bench/attack.json"))
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this client holds ~2,300 sockets

    database = Path(tempfile.mkdtemp(prefix="attack-")) / "db.sqlite"
    links = stage_models(database.parent / "models")
    process, url = start_server(args.workers, database, links)
    try:
        before = worker_rss_mb(process.pid)
        result = asyncio.run(attack(url, args))
        during = worker_rss_mb(process.pid)
        time.sleep(args.settle)
        after = worker_rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    result.update(
        settings={k: v for k, v in vars(args).items() if k != "out"},
        worker_rss_mb={"before": before, "end_of_attack": during, "after_settle": after},
        targets=target_check(result, before, after),
        cores=os.cpu_count(),
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print("\n| target | met |\n|---|---|")
    for name, met in result["targets"].items():
        print(f"| {name} | {met} |")
    for path, e in result["load"]["endpoints"].items():
        print(f"| {path} p99 {e['p99_ms']:.1f} ms, errors {e['errors']} | |")


def target_check(
    result: dict[str, Any], before: dict[int, float], after: dict[int, float]
) -> dict[str, bool]:
    """The attack's targets: connections closed, /healthz and the load fast, memory back."""
    growth = {pid: after.get(pid, 0.0) - mb for pid, mb in before.items()}
    kept = [
        v
        for v in (
            result["idle_kept_max_s"],
            result["slow_kept_max_s"],
            result["big_body_kept_max_s"],
        )
        if v is not None
    ]
    return {
        "connections_closed_within_30s": bool(kept) and max(kept) <= 30.0,
        "healthz_p99_le_100ms": (result["healthz"]["p99_ms"] or 1e9) <= 100.0,
        "load_zero_errors": result["load"]["errors"] == 0,
        "load_p99_le_50ms": result["load"]["targets"]["p99_le_50ms_every_endpoint"],
        "memory_back_within_50mb": bool(growth) and max(growth.values()) <= 50.0,
    }


if __name__ == "__main__":
    main()
