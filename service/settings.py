"""Service settings, read from the environment (prefix HOSPITAL_) when `create_app` runs, never
at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Everything the service needs to start.

    Bundles are read from disk (models/<task>/current, as `python -m training pull` leaves them),
    never from MLflow.
    """

    model_config = SettingsConfigDict(env_prefix="HOSPITAL_", extra="ignore")

    triage_bundle: Path = Path("models/triage/current")
    prescription_bundle: Path = Path("models/prescription/current")
    recommend_bundle: Path = Path("models/recommend/current")
    triage_evidence: Literal["none", "ngram", "auto", "full"] = Field(
        "ngram",
        description="phrases stored with each consultation for the doctor's page: 'ngram' adds "
        "~1 ms; 'auto' also explains English (embedding-only) complaints by leaving words out "
        "of the embedding, ~+15 ms p50 for those (README, Beyond haodf)",
    )
    triage_department_map: Path | None = Field(
        None,
        description="hospital department map (YAML, triage/departments.py): answers name the "
        "hospital's clinics; checked against the bundle's labels at every load",
    )
    bundle_public_key: Path = Field(
        Path("var/keys/bundle_signing.pub"),
        description="Ed25519 public key (PEM) bundles must be signed with (runtime/signing.py)",
    )
    allow_unsigned_bundles: bool = Field(
        False, description="development only: load bundles without a valid registry signature"
    )
    database: Path = Field(Path("var/consultations.db"), description="SQLite file (WAL mode)")
    onnx_threads: int = Field(1, ge=1, le=16, description="onnxruntime intra-op threads")
    workers: int = Field(2, ge=1, le=32, description="uvicorn worker processes (make serve)")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    api_key: str | None = Field(
        None, description="one X-API-Key for every role (development; prefer the role keys)"
    )
    intake_key: str | None = Field(None, description="X-API-Key of POST /v1/triage")
    pharmacy_key: str | None = Field(
        None, description="X-API-Key of /v1/prescriptions/check and /v1/carts/score"
    )
    doctor_key: str | None = Field(
        None, description="X-API-Key of feedback, consultations and the doctor's page"
    )
    admin_key: str | None = Field(None, description="X-API-Key of /admin/reload and /v1/models")
    secure_cookies: bool = Field(
        True, description="mark the page's cookie Secure (HTTPS only; false for plain-HTTP dev)"
    )
    max_body_bytes: int = Field(1_000_000, ge=1_000, description="larger requests get 413")
    max_batch: int = Field(100, ge=1, le=1000, description="items per list request")
    max_pairs: int = Field(
        5_000, ge=1, description="drug pairs one prescription call may ask for, over its list"
    )
    max_text_chars: int = Field(
        100_000, ge=1, description="complaint characters one triage call may send, over its list"
    )
    max_cart_items: int = Field(
        5_000, ge=1, description="cart, history and prescription items one cart call may send"
    )
    max_pending: int = Field(
        64, ge=1, description="prediction calls queued per worker before 503 + Retry-After"
    )
    debug_payloads: bool = Field(False, description="log request bodies (complaints, patients)")
    reload_poll_seconds: float = Field(
        2.0, gt=0, description="how often workers look for new bundles"
    )
    header_timeout_s: float = Field(
        10.0, gt=0, description="a request head must arrive within this (service/server.py)"
    )
    body_timeout_s: float = Field(20.0, gt=0, description="a body must arrive within this")
    keep_alive_timeout_s: float = Field(5.0, gt=0, description="idle keep-alive is closed after")
    limit_concurrency: int = Field(
        10_000, ge=1, description="connections + requests per worker before uvicorn answers 503"
    )
    backlog: int = Field(2048, ge=1, description="listen backlog of the shared socket")
    docs: bool = Field(False, description="serve Swagger UI at /docs (loads a CDN script)")
    log_level: str = "INFO"
    json_logs: bool = Field(True, description="configure JSON logging when the app is created")

    def bundle_paths(self) -> dict[str, Path]:
        """Every task of the task table -> its bundle folder: the `<task>_bundle` setting
        (HOSPITAL_<TASK>_BUNDLE), else models/<task>/current."""
        from runtime.tasks import task_names

        return {
            task: getattr(self, f"{task}_bundle", Path("models") / task / "current")
            for task in task_names()
        }
