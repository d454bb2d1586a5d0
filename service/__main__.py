"""python -m service: run the HTTP service with uvicorn, as the settings say (make serve)."""

from __future__ import annotations

import sys

import uvicorn

from runtime.logs import configure_logging
from service.settings import ServiceSettings


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
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        access_log=False,  # the app writes its own JSON access log
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
