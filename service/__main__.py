"""python -m service: run the HTTP service with uvicorn, as the settings say (make serve)."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

import uvicorn
from uvicorn.supervisors import Multiprocess

from runtime.logs import configure_logging
from service.server import raise_open_file_limit, server_config
from service.settings import ServiceSettings


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """The socket the workers share, created with proto=IPPROTO_TCP.

    uvicorn's own multi-worker socket has proto 0, so asyncio does not set TCP_NODELAY on the
    connections it accepts, and a response's body (written after its headers) waited for the
    client's delayed ACK: 40 ms added to every keep-alive request with 2 workers.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def _fresh_metrics_dir(settings: ServiceSettings) -> None:
    """Point the workers' Prometheus values at one empty folder (service/metrics.py)."""
    folder = Path(
        os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.database.parent / "prometheus"
    )
    shutil.rmtree(folder, ignore_errors=True)  # values of a previous run are not this run's
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def main() -> int:
    """Start uvicorn with `workers` processes of `service.app:create_app`."""
    settings = ServiceSettings()
    configure_logging(settings.log_level, json_format=settings.json_logs)
    base = f"http://{settings.host}:{settings.port}"
    sys.stdout.write(
        f"doctor's page:  {base}/doctor\n"
        f"API docs:       {base}/docs  (OpenAPI: {base}/openapi.json)\n"
        f"health:         {base}/healthz  {base}/readyz  metrics: {base}/metrics\n"
        f"workers: {settings.workers}, onnx threads: {settings.onnx_threads}, "
        f"database: {settings.database}\n"
    )
    sys.stdout.flush()
    raise_open_file_limit()  # inherited by the workers
    # One prediction thread per worker (service/work.py): numpy's BLAS must not start its own
    # pool per worker on top (2 workers x 2 BLAS threads on 2 cores under load).
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    if settings.workers > 1:
        _fresh_metrics_dir(settings)
    config = server_config(
        settings,
        "service.app:create_app",
        factory=True,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
    )
    if settings.workers > 1:
        sock = listening_socket(settings.host, settings.port, settings.backlog)
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run()  # binds its own socket, with TCP_NODELAY
    return 0


if __name__ == "__main__":
    sys.exit(main())
