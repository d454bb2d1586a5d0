"""The consultation store's numbered migrations (PRAGMA user_version): an old database upgrades
with its rows kept and ends up with the schema a new one gets, each migration runs once in a
transaction of its own, and a database from a newer release is refused, not used (issue 16)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import consultations.store as store_module
from consultations.store import (
    SCHEMA_VERSION,
    ConsultationStore,
    NewerSchemaError,
    schema_version,
)
from service.app import open_store
from service.settings import ServiceSettings
from tests.service.test_urgency import CHEST_PAIN, OLD_SCHEMA, result

# What a release between the first one and version numbers wrote: triage levels and reasons,
# the rebuilt feedback table, but no evidence column and no write probe.
LEVELS_SCHEMA = """
CREATE TABLE consultations (
    id TEXT PRIMARY KEY, received_at REAL NOT NULL, text TEXT NOT NULL, age INTEGER, sex TEXT,
    departments TEXT NOT NULL, abstain INTEGER NOT NULL, urgency TEXT NOT NULL,
    red_flags TEXT NOT NULL, model_version TEXT NOT NULL,
    triage_level TEXT NOT NULL DEFAULT 'consultation', reasons TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE feedback (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, feedback_id TEXT UNIQUE NOT NULL,
    consultation_id TEXT NOT NULL REFERENCES consultations(id), department TEXT, action TEXT,
    suggested TEXT, doctor TEXT, created_at REAL NOT NULL, urgency_feedback TEXT,
    corrected_level TEXT, suggested_level TEXT
);
CREATE INDEX feedback_by_consultation ON feedback(consultation_id);
CREATE INDEX consultations_by_time ON consultations(received_at);
"""

DEPARTMENTS = '[{"name": "心血管内科", "probability": 0.8}]'


def _shape(path: Path) -> dict[str, object]:
    """Tables' columns (name, type, not null, default, primary key) and indexes, by name."""
    db = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        shape: dict[str, object] = {
            t: [tuple(c)[1:] for c in db.execute(f"PRAGMA table_info({t})")] for t in tables
        }
        shape["indexes"] = sorted(
            tuple(r)
            for r in db.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' "
                "AND name NOT LIKE 'sqlite_autoindex%'"
            )
        )
        return shape
    finally:
        db.close()


def _version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return schema_version(db)
    finally:
        db.close()


def _old_database(path: Path, schema: str) -> None:
    """A database as a release before version numbers left it (user_version 0), with rows."""
    db = sqlite3.connect(path)
    db.executescript(schema)
    db.execute(
        "INSERT INTO consultations (id, received_at, text, age, sex, departments, abstain, "
        "urgency, red_flags, model_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ("e1", 1.0, CHEST_PAIN, 60, "M", DEPARTMENTS, 0, "emergency", '["chest_pain"]', "v0"),
    )
    if "triage_level" in schema:  # a release with levels stored the level it derived
        db.execute("UPDATE consultations SET triage_level = 'emergency'")
    db.executemany(
        "INSERT INTO feedback (feedback_id, consultation_id, department, action, suggested, "
        "doctor, created_at) VALUES (?, 'e1', '心血管内科', 'confirm', '心血管内科', 'dr', ?)",
        [("old-1", 2.0), ("old-2", 3.0)],
    )
    db.execute("DELETE FROM feedback WHERE feedback_id = 'old-2'")  # seq 2 used, then freed
    db.commit()
    db.close()


@pytest.fixture
def fresh_shape(tmp_path: Path) -> dict[str, object]:
    ConsultationStore(tmp_path / "fresh" / "db.sqlite")
    return _shape(tmp_path / "fresh" / "db.sqlite")


@pytest.mark.parametrize("schema", [OLD_SCHEMA, LEVELS_SCHEMA], ids=["first-release", "levels"])
def test_store_migrations_an_unversioned_database_upgrades_with_its_rows(
    tmp_path: Path, schema: str, fresh_shape: dict[str, object]
) -> None:
    path = tmp_path / "old.db"
    _old_database(path, schema)
    assert _version(path) == 0

    store = ConsultationStore(path)
    assert _version(path) == SCHEMA_VERSION
    assert _shape(path) == fresh_shape  # the same schema as a database created now
    kept = store.consultation("e1")
    assert kept is not None
    assert (kept["triage_level"], kept["reasons"], kept["evidence"]) == ("emergency", [], [])
    assert [f["feedback_id"] for f in kept["feedback"]] == ["old-1"]
    store.add_feedback("new-1", "e1", None, None, "dr", "right")
    db = sqlite3.connect(path)
    seqs = dict(db.execute("SELECT feedback_id, seq FROM feedback").fetchall())
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    assert seqs == {"old-1": 1, "new-1": 3}  # a freed seq is not handed out again


def test_store_migrations_adopt_an_unversioned_database_of_the_current_shape(
    tmp_path: Path, fresh_shape: dict[str, object]
) -> None:
    path = tmp_path / "current.db"
    store = ConsultationStore(path)
    store.add_consultation({"id": "c1", "text": CHEST_PAIN}, result("emergency"))
    store.add_feedback("f1", "c1", "心血管内科", "confirm", "dr")
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 0")  # as the release before version numbers left it
    db.close()

    again = ConsultationStore(path)
    assert _version(path) == SCHEMA_VERSION and _shape(path) == fresh_shape
    assert again.feedback_ids() == {"f1"} and again.counts() == {"open": 0, "total": 1}


def test_store_migrations_a_newer_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    ConsultationStore(path).add_consultation({"id": "c1", "text": CHEST_PAIN}, result("emergency"))
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    before = path.read_bytes()

    with pytest.raises(NewerSchemaError, match=rf"version {SCHEMA_VERSION + 1} is newer") as err:
        ConsultationStore(path)
    assert (err.value.found, err.value.known) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    assert _version(path) == SCHEMA_VERSION + 1 and path.read_bytes() == before
    # the service opens without its store (queue and feedback off), saying why
    store, reason = open_store(ServiceSettings(database=path))
    assert store is None and reason is not None and "newer than this release" in reason


def _counting(calls: list[int], migration: Callable[[sqlite3.Connection], None]) -> object:
    def run(db: sqlite3.Connection) -> None:
        calls.append(1)
        migration(db)

    return run


def _open_together(path: Path, workers: int) -> list[BaseException]:
    """Open the store from ``workers`` threads at once (each its own connection, as service
    workers have); what each raised."""
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def open_it() -> None:
        start.wait()
        try:
            ConsultationStore(path)
        except BaseException as exc:  # pragma: no cover - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_store_migrations_run_once_each_even_when_workers_open_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(store_module, "MIGRATIONS", (_counting(calls, store_module.MIGRATIONS[0]),))
    path = tmp_path / "old.db"
    _old_database(path, OLD_SCHEMA)
    assert _open_together(path, 4) == [] and len(calls) == 1
    ConsultationStore(path)
    assert len(calls) == 1 and _version(path) == 1


def test_store_workers_wait_for_a_migration_longer_than_the_write_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a request's write gives up after BUSY_TIMEOUT_S; a worker starting while another migrates
    # (minutes on a big table, or a slow disk under load) must wait for it, not fail to start
    calls: list[int] = []
    first = store_module.MIGRATIONS[0]

    def slow(db: sqlite3.Connection) -> None:
        time.sleep(0.6)
        first(db)

    monkeypatch.setattr(store_module, "MIGRATIONS", (_counting(calls, slow),))
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.1)
    path = tmp_path / "old.db"
    _old_database(path, OLD_SCHEMA)
    assert _open_together(path, 3) == [] and len(calls) == 1 and _version(path) == 1


def test_store_migrations_a_later_migration_runs_once_and_a_failing_one_rolls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite"
    ConsultationStore(path).add_consultation({"id": "c1", "text": CHEST_PAIN}, result("emergency"))
    calls: list[int] = []

    def add_priority(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE consultations ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")

    def half_done(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE consultations ADD COLUMN ward TEXT")
        db.execute("UPDATE consultations SET priority = 1")
        raise sqlite3.OperationalError("disk I/O error")  # as a crash part-way would

    first = store_module.MIGRATIONS[0]
    monkeypatch.setattr(store_module, "MIGRATIONS", (first, _counting(calls, add_priority)))
    ConsultationStore(path)
    ConsultationStore(path)
    assert len(calls) == 1 and _version(path) == 2

    monkeypatch.setattr(
        store_module, "MIGRATIONS", (first, _counting(calls, add_priority), half_done)
    )
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        ConsultationStore(path)
    assert len(calls) == 1 and _version(path) == 2  # migration 2 not run again
    db = sqlite3.connect(path)
    columns = [r[1] for r in db.execute("PRAGMA table_info(consultations)")]
    priorities = db.execute("SELECT priority FROM consultations").fetchall()
    db.close()
    assert "ward" not in columns and priorities == [(0,)]  # nothing of migration 3 stayed
