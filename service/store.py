"""The consultation queue and doctors' feedback, in an embedded SQLite database (WAL mode).

Durability: every write commits before the HTTP answer goes out, with `synchronous=FULL`, so an
acknowledged correction survives a killed server (and a power cut). WAL lets the doctor's page
read while intake writes. One connection per thread: sqlite3 connections are not shared.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS consultations (
    id TEXT PRIMARY KEY,
    received_at REAL NOT NULL,
    text TEXT NOT NULL,
    age INTEGER,
    sex TEXT,
    departments TEXT NOT NULL,      -- JSON [{"name", "probability"}], best first
    abstain INTEGER NOT NULL,
    urgency TEXT NOT NULL,
    red_flags TEXT NOT NULL,        -- JSON [rule ids]
    model_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    feedback_id TEXT UNIQUE NOT NULL,
    consultation_id TEXT NOT NULL REFERENCES consultations(id),
    department TEXT NOT NULL,
    action TEXT NOT NULL,           -- confirm | correct
    suggested TEXT,                 -- the model's top department at the time
    doctor TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_by_consultation ON feedback(consultation_id);
CREATE INDEX IF NOT EXISTS consultations_by_time ON consultations(received_at);
"""


class ConsultationStore:
    """Consultations scored at intake and the doctors' confirmations and corrections.

    Args:
        path: the SQLite file (created with its folder).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    def add_consultation(self, request: dict[str, Any], result: dict[str, Any]) -> None:
        """Store (or replace) one scored consultation."""
        self._connect().execute(
            "INSERT OR REPLACE INTO consultations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request["id"],
                time.time(),
                request["text"],
                request.get("age"),
                request.get("sex"),
                json.dumps(result["departments"], ensure_ascii=False),
                int(result["abstain"]),
                result["urgency"],
                json.dumps(result["red_flags"]),
                result["model"]["version"],
            ),
        )

    def add_feedback(
        self,
        feedback_id: str,
        consultation_id: str,
        department: str,
        action: str,
        doctor: str | None,
    ) -> dict[str, Any]:
        """Record a confirmation or correction; committed before returning.

        Raises:
            KeyError: no such consultation.
        """
        db = self._connect()
        row = db.execute(
            "SELECT departments FROM consultations WHERE id = ?", (consultation_id,)
        ).fetchone()
        if row is None:
            raise KeyError(consultation_id)
        departments = json.loads(row["departments"])
        suggested = departments[0]["name"] if departments else None
        created = time.time()
        db.execute(
            "INSERT INTO feedback (feedback_id, consultation_id, department, action, suggested, "
            "doctor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(feedback_id) DO NOTHING",
            (feedback_id, consultation_id, department, action, suggested, doctor, created),
        )
        return {
            "feedback_id": feedback_id,
            "consultation_id": consultation_id,
            "department": department,
            "action": action,
            "suggested": suggested,
            "created_at": created,
        }

    def queue(self, limit: int = 200) -> list[dict[str, Any]]:
        """Recent consultations, emergencies first, then newest first, with the latest feedback."""
        rows = (
            self._connect()
            .execute(
                """
            SELECT c.*, f.department AS decided, f.action AS decision, f.created_at AS decided_at
            FROM consultations c
            LEFT JOIN feedback f ON f.seq = (
                SELECT MAX(seq) FROM feedback WHERE consultation_id = c.id)
            ORDER BY (c.urgency = 'emergency') DESC, c.received_at DESC
            LIMIT ?
            """,
                (limit,),
            )
            .fetchall()
        )
        return [_row(r) for r in rows]

    def consultation(self, consultation_id: str) -> dict[str, Any] | None:
        """One consultation with all its feedback, or None."""
        db = self._connect()
        row = db.execute("SELECT * FROM consultations WHERE id = ?", (consultation_id,)).fetchone()
        if row is None:
            return None
        result = _row(row)
        result["feedback"] = [
            dict(f)
            for f in db.execute(
                "SELECT feedback_id, department, action, suggested, doctor, created_at "
                "FROM feedback WHERE consultation_id = ? ORDER BY seq",
                (consultation_id,),
            )
        ]
        return result

    def feedback_rows(self) -> list[dict[str, Any]]:
        """Every feedback row joined with its consultation (for the training export)."""
        rows = (
            self._connect()
            .execute(
                """
            SELECT f.feedback_id, f.consultation_id, c.text, c.age, c.sex, f.department,
                   f.action, f.suggested, f.doctor, f.created_at, c.model_version
            FROM feedback f JOIN consultations c ON c.id = f.consultation_id
            ORDER BY f.seq
            """
            )
            .fetchall()
        )
        return [dict(r) for r in rows]

    def feedback_ids(self) -> set[str]:
        """Ids of all stored feedback (the durability check reads these)."""
        return {r[0] for r in self._connect().execute("SELECT feedback_id FROM feedback")}


def _row(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item["departments"] = json.loads(item["departments"])
    item["red_flags"] = json.loads(item["red_flags"])
    item["abstain"] = bool(item["abstain"])
    return item
