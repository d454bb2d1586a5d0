"""create_app: the FastAPI app over the three bundles.

    uvicorn --factory service.app:create_app      (make serve)

Models load in the lifespan, from disk, and are self-tested before /readyz says ready. Two
pure-ASGI middlewares wrap every request: a body-size limit (413 before the body is parsed) and
observability (Prometheus counters and latency per endpoint, one JSON log line per request that
never holds complaint text or patient fields unless `debug_payloads` is set).
"""

from __future__ import annotations

import json
import logging
import re
import signal
import sqlite3
import threading
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from consultations.store import ConsultationStore
from runtime.logs import configure_logging
from service.metrics import ServiceMetrics, method_label
from service.models import Poller, ServingModels
from service.routes import admin, carts, doctor, feedback, health, prescriptions, triage
from service.server import limit_noisy_logs, return_large_blocks_to_the_os
from service.settings import ServiceSettings
from service.work import PredictionGate

logger = logging.getLogger("service")
access_log = logging.getLogger("service.access")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DESCRIPTION = """
Triage at intake, prescription safety checks and cart recommendations for the internet hospital
and its pharmacy. Request and response shapes are the batch CLIs' (`python -m triage predict`,
`python -m prescription check`, `python -m recommend score`); a list of requests is answered
with a list. Every answer names the bundle version that made it. Errors are
`{"error": "<field>: <problem>", "detail": ...}`.
"""


# A body that may be one request or a list of them is validated against both shapes; pydantic
# then reports each branch (loc "TriageRequest" / "list[TriageRequest]"), one of which only
# says the body has the other shape.
_UNION_BRANCH = re.compile(r"^(list\[)?[A-Z]\w*\]?$")
_WRONG_SHAPE = {"list_type", "model_attributes_type", "model_type", "dict_type"}


def _is_branch(error: dict[str, Any]) -> bool:
    loc = list(error.get("loc", ()))
    return len(loc) > 1 and loc[0] == "body" and bool(_UNION_BRANCH.match(str(loc[1])))


def relevant_errors(errors: list[Any]) -> list[Any]:
    """The errors of the body shape the client sent (one object or a list): a union's other
    branch ("Input should be a valid list") is dropped, and the branch name leaves `loc`."""
    if len({str(e["loc"][1]) for e in errors if _is_branch(e)}) > 1:
        shaped = [e for e in errors if not (_is_branch(e) and e.get("type") in _WRONG_SHAPE)]
        errors = shaped or errors
    relevant = []
    for error in errors:
        if _is_branch(error):
            loc = list(error["loc"])
            error = {**error, "loc": [loc[0], *loc[2:]]}
        relevant.append(error)
    return relevant


def describe_errors(errors: list[Any]) -> str:
    """Pydantic/FastAPI validation errors (as `relevant_errors` gives them) as one line naming
    each field and problem once."""
    parts = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            position = next((p for p in loc if isinstance(p, int)), None)
            where = f" at character {position}" if position is not None else ""
            parts.append(f"body: not valid JSON{where}")
            continue
        location = ".".join(str(p) for p in loc if p != "body") or "body"
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "unknown field"
        elif error.get("type") == "missing":
            message = "required field is missing"
        parts.append(f"{location}: {message}")
    return "; ".join(dict.fromkeys(parts))


class BodyLimit:
    """Reads the whole body before the app runs: 413 for bodies over `limit` bytes, by
    Content-Length or while streaming, and the app never sees a body that did not arrive.

    The body is gathered here, into one growing buffer with a running size check, and handed to
    the app as one message. A client that goes away mid-body (or is cut off at the body
    deadline, service/server.py) ends the request here, without an exception: when the app read
    the body itself, Starlette raised ClientDisconnect inside it, and the exception's traceback
    kept the frame holding every chunk read so far alive in a reference cycle until a full
    garbage collection, which a worker with a large model heap seldom runs (200 stalled 1 MB
    bodies left the workers 90-146 MB larger; issue 12).
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _too_large(send, self.limit)
                return
        message = await self._whole_body(receive)
        if message is None:
            return  # the client is gone: nobody to answer
        if message is TOO_LARGE:  # over the limit, while streaming
            await _too_large(send, self.limit)
            return
        pending = [message]

        async def replay() -> Message:
            # the body once, then the connection's own messages (a disconnect, for the app)
            return pending.pop() if pending else await receive()

        del message  # once the app has it, this frame must not keep the body alive
        await self.app(scope, replay, send)

    async def _whole_body(self, receive: Receive) -> Message | None:
        """The body as one `http.request` message; None when the client went away first;
        `TOO_LARGE` once it grows over the limit (the rest is never read)."""
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            more = message.get("more_body", False)
            if not body and not more:  # the usual case: the whole body in one message, no copy
                return message if len(chunk) <= self.limit else TOO_LARGE
            body += chunk
            if len(body) > self.limit:
                return TOO_LARGE
            if not more:
                return {"type": "http.request", "body": bytes(body), "more_body": False}


TOO_LARGE: Message = {"type": "service.too_large"}


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"error": f"request body is larger than {limit} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# Pages and answers hold patient data: never cached, never framed, no sniffing, no referrer, and
# the page may run only its own inline script and styles (it loads nothing from elsewhere).
SECURITY_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        b"connect-src 'self'; img-src 'self' data:; form-action 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
]


class SecurityHeaders:
    """The headers above on every answer (the app's and the middlewares' own 413s)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
            await send(message)

        await self.app(scope, receive, with_headers)


# nginx's status for a request whose client went away before it was answered: logged and
# counted, never sent
CLIENT_CLOSED = 499


class Observability:
    """Metrics and one JSON access-log line per request (no bodies unless debug)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, debug_payloads: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.debug_payloads = debug_payloads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500, "answered": False}
        request_id = uuid.uuid4().hex[:16]
        body = bytearray()

        async def watched_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.update(code=message["status"], answered=True)
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        async def watched_receive() -> Message:
            message = await receive()
            if self.debug_payloads and message["type"] == "http.request":
                body.extend(message.get("body", b"")[:10_000])
            elif message["type"] == "http.disconnect" and not status["answered"]:
                status["code"] = CLIENT_CLOSED  # gone before its answer (e.g. mid-body)
            return message

        try:
            await self.app(scope, watched_receive, watched_send)
        except Exception as exc:
            self.metrics.errors.labels(_endpoint(scope)).inc()
            logger.error(
                "unhandled error on %s %s: %s",
                scope["method"],
                _endpoint(scope),
                _redacted_traceback(exc),
            )
            raise
        finally:
            self._record(scope, request_id, status["code"], time.perf_counter() - started, body)

    def _record(
        self, scope: Scope, request_id: str, status: int, seconds: float, body: bytearray
    ) -> None:
        """Count the finished request in the metrics and write its access-log line."""
        endpoint = _endpoint(scope)
        self.metrics.requests.labels(endpoint, method_label(scope["method"]), str(status)).inc()
        self.metrics.latency.labels(endpoint).observe(seconds)
        if status >= 500:
            self.metrics.errors.labels(endpoint).inc()
        line: dict[str, Any] = {
            "request_id": request_id,
            "method": method_label(scope["method"]),
            # the route template, not the raw path: ids in a path are the client's words
            "path": endpoint,
            "status": status,
            "ms": round(seconds * 1000, 2),
        }
        if self.debug_payloads and body:
            line["body"] = body.decode("utf-8", errors="replace")
        # the fields go into the JSON line as they are (not a JSON string inside it); the
        # message is the same line for plain-text logs
        access_log.info(
            "%s %s %s %.2f ms",
            line["method"],
            endpoint,
            line["status"],
            line["ms"],
            extra={"fields": line},
        )


def _endpoint(scope: Scope) -> str:
    """The route template ("/v1/consultations/{consultation_id}"), not the raw path: bounded
    label cardinality."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


def create_app(
    settings: ServiceSettings | None = None, registry: ServingModels | None = None
) -> FastAPI:
    """Build the app. Settings come from the environment when not given; nothing is loaded
    until the lifespan starts."""
    settings = settings or ServiceSettings()
    return_large_blocks_to_the_os()  # freed request bodies go back to the OS (service/server.py)
    if settings.json_logs:  # each uvicorn worker builds its app here: its logging entrypoint
        configure_logging(settings.log_level, json_format=True)
        limit_noisy_logs()
    metrics = ServiceMetrics()
    app = FastAPI(
        title="Internet-hospital ML service",
        version="1.0",
        description=DESCRIPTION,
        lifespan=_lifespan(settings, registry, metrics),
        # Swagger UI and ReDoc load scripts from a public CDN onto the origin that holds the
        # doctor's cookie: off unless asked for (development). /openapi.json stays.
        docs_url="/docs" if settings.docs else None,
        redoc_url=None,
        responses={
            413: {"model": None, "description": "body too large"},
        },
    )
    for module in (triage, prescriptions, carts, feedback, doctor, health, admin):
        app.include_router(module.router)
    _install_error_handlers(app)
    # Added last = outermost: Observability sees every answer, 413s included.
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Observability, metrics=metrics, debug_payloads=settings.debug_payloads)
    return app


def _lifespan(
    settings: ServiceSettings, registry: ServingModels | None, metrics: ServiceMetrics
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: load and self-test the bundles (`registry`, else the settings'
    bundle paths), open the store, start the reload poller and SIGHUP handler; undo on exit."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        models = registry or ServingModels(
            settings.bundle_paths(),
            threads=settings.onnx_threads,
            stamp=settings.database.with_name("reload.stamp"),
            public_key=_public_key(settings),
            allow_unsigned=settings.allow_unsigned_bundles,
            options=(
                {"triage": {"department_map": settings.triage_department_map}}
                if settings.triage_department_map
                else {}
            ),
        )
        report = models.reload()
        app.state.models = models
        app.state.store, app.state.store_error = open_store(settings)
        app.state.gate = PredictionGate(settings.max_pending)
        app.state.settings = settings
        app.state.metrics = metrics
        metrics.record(models, report)
        poller = Poller(models, settings.reload_poll_seconds)
        poller.start()
        previous = _install_sighup(app)
        logger.info("service ready=%s: %s", models.ready(), report)
        try:
            yield
        finally:
            app.state.gate.shutdown()
            poller.stopped.set()
            if previous is not None:
                signal.signal(signal.SIGHUP, previous)

    return lifespan


def _install_error_handlers(app: FastAPI) -> None:
    """Every error answered as `{"error": ...}`: validation (422, fields named, inputs left
    out), HTTP errors, and anything unhandled (500, logged without its message)."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = relevant_errors(_plain(exc.errors()))
        return JSONResponse(
            status_code=422, content={"error": describe_errors(errors), "detail": errors}
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"error": str(exc.detail)}, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        logger.error("request failed: %s: %s", _endpoint(request.scope), _redacted_traceback(exc))
        return JSONResponse(
            status_code=500, content={"error": "internal error; see the server log"}
        )


def _public_key(settings: ServiceSettings) -> bytes | None:
    try:
        return settings.bundle_public_key.read_bytes()
    except OSError:
        if not settings.allow_unsigned_bundles:
            logger.error(
                "bundle public key %s unreadable: bundles are refused", settings.bundle_public_key
            )
        return None


def open_store(settings: ServiceSettings) -> tuple[ConsultationStore | None, str | None]:
    """The consultation store, or None and the reason: a database that cannot be opened stops
    the queue and feedback only; triage, prescriptions and carts keep answering."""
    try:
        return ConsultationStore(settings.database), None
    except (OSError, sqlite3.Error) as exc:
        logger.error("consultation store %s unusable: %s", settings.database, exc)
        return None, f"{type(exc).__name__}: {exc}"


def _plain(errors: Any) -> list[dict[str, Any]]:
    """Validation details without the offending input: it is patient data, and it may be what
    cannot be written back (NaN, 1e400, a lone surrogate). Location, type and message only."""
    plain = []
    for error in errors:
        plain.append(
            {
                "loc": [_safe_text(p) if isinstance(p, str) else p for p in error.get("loc", ())],
                "type": str(error.get("type", "")),
                "msg": _safe_text(str(error.get("msg", ""))),
            }
        )
    return plain


def _safe_text(text: str) -> str:
    """Text that survives UTF-8 encoding (lone surrogates become U+FFFD)."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


def _redacted_traceback(exc: BaseException) -> str:
    """Where an error happened, without its message (which may quote a request body)."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if "site-packages" not in f.filename
    ][-8:]
    where = " <- ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in frames[::-1]
    )
    return f"{type(exc).__name__} at {where}"


def _install_sighup(app: FastAPI) -> Any:
    """SIGHUP reloads the bundles (in a thread, not in the signal handler)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: Any) -> None:
        def work() -> None:
            report = app.state.models.reload()
            app.state.models.touch_stamp()
            app.state.metrics.record(app.state.models, report)
            logger.info("SIGHUP reload: %s", report)

        threading.Thread(target=work, name="sighup-reload", daemon=True).start()

    try:
        return signal.signal(signal.SIGHUP, handler)
    except ValueError:  # not the main thread of the interpreter
        return None
