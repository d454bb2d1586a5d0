"""The consultation queue and doctors' feedback, in an embedded SQLite database (WAL mode).

Durability: every write commits before the HTTP answer goes out, with `synchronous=FULL`, so an
acknowledged correction survives a killed server (and a power cut). WAL lets the doctor's page
read while intake writes. One connection per thread: sqlite3 connections are not shared.

Schema changes are numbered migrations (`MIGRATIONS`); the number of the last one applied is the
database's `PRAGMA user_version`. When the store opens, each pending migration runs once, in a
write transaction of its own that also sets the version, so workers starting together migrate
once and a migration that fails leaves the database at the version before it. A database whose
version is newer than this code's is refused (`NewerSchemaError`) rather than used blind.

Migration 1 adopts a database written before the version number existed (user_version 0): those
come in several shapes, so it checks for each change instead of assuming one. A database written
before triage levels gains `consultations.triage_level` (derived from `urgency`),
`consultations.reasons` and `consultations.evidence` (empty), and its `feedback` table is rebuilt
with `department` and `action` nullable (a doctor may judge only the urgency) plus the
urgency-feedback columns. Later migrations can assume the schema of the version before them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from consultations.levels import RANK, legacy_level, queue_rank_sql

_FEEDBACK_COLUMNS = """
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    feedback_id TEXT UNIQUE NOT NULL,
    consultation_id TEXT NOT NULL REFERENCES consultations(id),
    department TEXT,                -- the doctor's department; NULL: not judged in this post
    action TEXT,                    -- confirm | correct; NULL with department
    suggested TEXT,                 -- the model's top department at the time
    doctor TEXT,
    created_at REAL NOT NULL,
    urgency_feedback TEXT,          -- right | too_high | too_low; NULL: urgency not judged
    corrected_level TEXT,           -- the doctor's level (too_high / too_low only)
    suggested_level TEXT            -- the consultation's triage level at the time
"""

# the column names, in table order, read off the definition above
_FEEDBACK_FIELDS = tuple(line.split()[0] for line in _FEEDBACK_COLUMNS.strip().splitlines())

# The tables of schema version 1, which migration 1 creates where they are missing. Frozen: a
# later change goes into a migration of its own, not here.
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS consultations (
    id TEXT PRIMARY KEY,
    received_at REAL NOT NULL,
    text TEXT NOT NULL,
    age INTEGER,
    sex TEXT,
    departments TEXT NOT NULL,      -- JSON [{{"name", "probability"}}], best first
    abstain INTEGER NOT NULL,
    urgency TEXT NOT NULL,          -- emergency | routine
    red_flags TEXT NOT NULL,        -- JSON [rule ids]
    model_version TEXT NOT NULL,
    triage_level TEXT NOT NULL DEFAULT 'consultation',
    reasons TEXT NOT NULL DEFAULT '[]',  -- JSON [{{rule_id, level, ..., start, end, ...}}]
    evidence TEXT NOT NULL DEFAULT '[]'  -- JSON [{{start, end, text, weight, source}}]
);
CREATE TABLE IF NOT EXISTS feedback ({_FEEDBACK_COLUMNS});
CREATE INDEX IF NOT EXISTS feedback_by_consultation ON feedback(consultation_id);
CREATE INDEX IF NOT EXISTS consultations_by_time ON consultations(received_at);
CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, at REAL NOT NULL);
"""

BUSY_TIMEOUT_S = 2.0
# Opening the store (WAL mode, then the migrations) waits this long for a lock: another worker
# may be switching the journal or migrating, and a schema change or a disk stalled under load
# can outlast BUSY_TIMEOUT_S. Bounded, so a lock stuck elsewhere still ends in "store
# unavailable".
MIGRATION_WAIT_S = 60.0

_CONSULTATION_FIELDS = (
    "id, received_at, text, age, sex, departments, abstain, urgency, red_flags, model_version, "
    "triage_level, reasons, evidence"
)


class ConsultationStore:
    """Consultations scored at intake and the doctors' confirmations and corrections.

    Args:
        path: the SQLite file (created with its folder); an older schema is migrated in place.

    Raises:
        NewerSchemaError: the file was written by a newer release (see `migrate`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        db = self._connect(MIGRATION_WAIT_S)
        migrate(db, MIGRATIONS)
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000):d}")

    def _connect(self, wait_s: float | None = None) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            # A lock held elsewhere fails a write after BUSY_TIMEOUT_S instead of queueing every
            # prediction behind it; the triage answer then says it was not stored.
            timeout = BUSY_TIMEOUT_S if wait_s is None else wait_s
            db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            _switch_to_wal(db, timeout)
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    def add_consultation(self, request: dict[str, Any], result: dict[str, Any]) -> bool:
        """Store one scored consultation (a `TriageResult` as a dict); see `add_consultations`."""
        return self.add_consultations([(request, result)])[0]

    def add_consultations(self, items: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[bool]:
        """Store scored consultations, all or none, in one transaction.

        A consultation is never overwritten: its doctors' decisions refer to the text they read.
        The same id sent again with the same text, age and sex is a client's retry and keeps the
        stored row (False in the answer); with anything else it is a conflict.

        Returns:
            Per item, whether it was stored now (True) or already was (False).

        Raises:
            ConsultationConflict: an id is already stored with a different complaint, or appears
                twice among `items`; nothing is stored.
        """
        seen: set[str] = set()
        for request, _ in items:
            if request["id"] in seen:
                raise ConsultationConflict(request["id"], "appears twice in one batch")
            seen.add(request["id"])
        db = self._connect()
        stored: list[bool] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            for request, result in items:
                existing = db.execute(
                    "SELECT text, age, sex FROM consultations WHERE id = ?", (request["id"],)
                ).fetchone()
                if existing is not None:
                    if tuple(existing) != (request["text"], request.get("age"), request.get("sex")):
                        raise ConsultationConflict(
                            request["id"], "is already stored with a different complaint"
                        )
                    stored.append(False)
                    continue
                db.execute(
                    f"INSERT INTO consultations ({_CONSULTATION_FIELDS}) "
                    f"VALUES ({', '.join('?' * len(_CONSULTATION_FIELDS.split(',')))})",
                    _consultation_row(request, result),
                )
                stored.append(True)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return stored

    def add_feedback(
        self,
        feedback_id: str,
        consultation_id: str,
        department: str | None,
        action: str | None,
        doctor: str | None,
        urgency_feedback: str | None = None,
        corrected_level: str | None = None,
    ) -> dict[str, Any]:
        """Record a department decision, an urgency decision, or both; committed before returning.

        Args:
            department, action: the doctor's department and 'confirm' | 'correct' (both or
                neither).
            urgency_feedback: 'right', 'too_high' or 'too_low' (or None: urgency not judged).
            corrected_level: the doctor's level, lower than the stored one for 'too_high' and
                higher for 'too_low'.

        Raises:
            KeyError: no such consultation.
            FeedbackConflict: `feedback_id` is stored with a different decision (the same
                decision again is answered as stored the first time).
            ValueError: corrected_level does not go the way urgency_feedback says (the message
                starts with the field's name).
        """
        db = self._connect()
        suggestions = _suggestions(db, consultation_id, urgency_feedback, corrected_level)
        decision = (department, action, doctor, urgency_feedback, corrected_level)
        created = time.time()
        if _insert_feedback(db, feedback_id, consultation_id, decision, suggestions, created):
            suggested, suggested_level = suggestions
        else:
            suggested, suggested_level, created = _stored_feedback(
                db, feedback_id, consultation_id, decision
            )
        return {
            "feedback_id": feedback_id,
            "consultation_id": consultation_id,
            "department": department,
            "action": action,
            "suggested": suggested,
            "urgency_feedback": urgency_feedback,
            "corrected_level": corrected_level,
            "suggested_level": suggested_level,
            "created_at": created,
        }

    def queue(self, limit: int = 200, offset: int = 0, view: str = "open") -> list[dict[str, Any]]:
        """The doctors' queue, with the latest department decision (decided, decision,
        decided_at, decided_by) and the latest urgency decision (urgency_decision,
        urgency_corrected_level, urgency_decided_at, urgency_decided_by).

        Args:
            limit, offset: one page of it.
            view: "open" (default) lists consultations no doctor has decided on yet (neither
                department nor urgency), most urgent level first, then newest first; "all" puts
                the decided ones after them, in the same order, so a backlog of decided
                emergencies never pushes a new routine consultation off the page.
        """
        if view not in ("open", "all"):
            raise ValueError(f"view: {view!r} is not 'open' or 'all'")
        rows = (
            self._connect()
            .execute(
                f"""
            SELECT * FROM (
                SELECT c.*, f.department AS decided, f.action AS decision,
                       f.created_at AS decided_at, f.doctor AS decided_by,
                       u.urgency_feedback AS urgency_decision,
                       u.corrected_level AS urgency_corrected_level,
                       u.created_at AS urgency_decided_at, u.doctor AS urgency_decided_by,
                       EXISTS (SELECT 1 FROM feedback WHERE consultation_id = c.id) AS has_decision
                FROM consultations c
                LEFT JOIN feedback f ON f.seq = (
                    SELECT MAX(seq) FROM feedback
                    WHERE consultation_id = c.id AND department IS NOT NULL)
                LEFT JOIN feedback u ON u.seq = (
                    SELECT MAX(seq) FROM feedback
                    WHERE consultation_id = c.id AND urgency_feedback IS NOT NULL)
            )
            WHERE ? = 'all' OR has_decision = 0
            ORDER BY has_decision, {queue_rank_sql("triage_level")}, received_at DESC
            LIMIT ? OFFSET ?
            """,
                (view, limit, offset),
            )
            .fetchall()
        )
        return [_row(r) for r in rows]

    def probe(self) -> None:
        """Write and commit one row: raises sqlite3.Error when the store cannot take writes
        (read-only file, full disk, a lock held too long). /readyz calls it."""
        self._connect().execute(
            "INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, ?)", (time.time(),)
        )

    def counts(self) -> dict[str, int]:
        """How many consultations are open (no decision yet) and stored in all."""
        row = (
            self._connect()
            .execute(
                "SELECT COUNT(*) AS total, SUM(NOT EXISTS (SELECT 1 FROM feedback "
                "WHERE consultation_id = c.id)) AS open FROM consultations c"
            )
            .fetchone()
        )
        return {"open": int(row["open"] or 0), "total": int(row["total"])}

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
                "SELECT feedback_id, department, action, suggested, urgency_feedback, "
                "corrected_level, suggested_level, doctor, created_at "
                "FROM feedback WHERE consultation_id = ? ORDER BY seq",
                (consultation_id,),
            )
        ]
        return result

    def feedback_rows(self) -> list[dict[str, Any]]:
        """Every feedback row joined with its consultation (for the training export), in commit
        order. `triage_level` is the level the doctor judged (the consultation's at the time of
        an urgency decision), else the consultation's."""
        rows = (
            self._connect()
            .execute(
                """
            SELECT f.feedback_id, f.consultation_id, c.text, c.age, c.sex, f.department,
                   f.action, f.suggested, f.doctor, f.created_at, c.model_version,
                   COALESCE(f.suggested_level, c.triage_level) AS triage_level,
                   f.urgency_feedback, f.corrected_level
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


class NewerSchemaError(sqlite3.DatabaseError):
    """The database was written by a newer release (a higher schema version than this code
    knows); a sqlite3.DatabaseError, so the service reports the store unusable and keeps the
    rest running."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"consultation database schema version {found} is newer than this release's "
            f"{known}: refusing to use it (run the release that wrote it, or restore a backup)"
        )
        self.found = found
        self.known = known


class ConsultationConflict(Exception):
    """A consultation id that would overwrite another consultation."""

    def __init__(self, consultation_id: str, problem: str) -> None:
        super().__init__(f"id {consultation_id!r} {problem}")
        self.consultation_id = consultation_id


class FeedbackConflict(Exception):
    """A feedback id already stored with a different decision."""

    def __init__(self, feedback_id: str) -> None:
        super().__init__(f"feedback_id {feedback_id!r} is already stored with a different decision")
        self.feedback_id = feedback_id


def _consultation_row(request: dict[str, Any], result: dict[str, Any]) -> tuple[Any, ...]:
    level = result.get("triage_level") or legacy_level(result.get("urgency"))
    return (
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
        level,
        json.dumps(result.get("reasons") or [], ensure_ascii=False),
        json.dumps(result.get("evidence") or [], ensure_ascii=False),
    )


def _suggestions(
    db: sqlite3.Connection,
    consultation_id: str,
    urgency_feedback: str | None,
    corrected_level: str | None,
) -> tuple[str | None, str | None]:
    """What the model suggested for a consultation about to get feedback: its top department
    and, when urgency is judged, its triage level.

    Raises:
        KeyError: no such consultation.
        ValueError: corrected_level does not go the way urgency_feedback says.
    """
    row = db.execute(
        "SELECT departments, triage_level FROM consultations WHERE id = ?", (consultation_id,)
    ).fetchone()
    if row is None:
        raise KeyError(consultation_id)
    level = row["triage_level"]
    if urgency_feedback in ("too_high", "too_low"):
        _check_direction(urgency_feedback, level, corrected_level)
    departments = json.loads(row["departments"])
    suggested = departments[0]["name"] if departments else None
    suggested_level = level if urgency_feedback is not None else None
    return suggested, suggested_level


def _insert_feedback(
    db: sqlite3.Connection,
    feedback_id: str,
    consultation_id: str,
    decision: tuple[str | None, str | None, str | None, str | None, str | None],
    suggestions: tuple[str | None, str | None],
    created: float,
) -> bool:
    """Store one feedback row; False, writing nothing, when `feedback_id` is already stored."""
    department, action, doctor, urgency_feedback, corrected_level = decision
    suggested, suggested_level = suggestions
    return bool(
        db.execute(
            "INSERT INTO feedback (feedback_id, consultation_id, department, action, suggested, "
            "doctor, created_at, urgency_feedback, corrected_level, suggested_level) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(feedback_id) DO NOTHING",
            (
                feedback_id,
                consultation_id,
                department,
                action,
                suggested,
                doctor,
                created,
                urgency_feedback,
                corrected_level,
                suggested_level,
            ),
        ).rowcount
    )


def _stored_feedback(
    db: sqlite3.Connection,
    feedback_id: str,
    consultation_id: str,
    decision: tuple[str | None, ...],
) -> tuple[Any, Any, Any]:
    """The suggested department, suggested level and time stored with `feedback_id`, when the
    post now repeats it.

    A retry of the same post answers what was stored then; a different post with a used id is
    refused rather than echoed as if it had been stored.

    Raises:
        FeedbackConflict: `feedback_id` is stored with a different decision.
    """
    row = db.execute(
        "SELECT consultation_id, department, action, doctor, urgency_feedback, "
        "corrected_level, suggested, suggested_level, created_at "
        "FROM feedback WHERE feedback_id = ?",
        (feedback_id,),
    ).fetchone()
    if (row["consultation_id"], *tuple(row)[1:6]) != (consultation_id, *decision):
        raise FeedbackConflict(feedback_id)
    return row["suggested"], row["suggested_level"], row["created_at"]


def _check_direction(urgency_feedback: str, level: str, corrected_level: str | None) -> None:
    """A 'too_high' correction must name a lower level, a 'too_low' one a higher level."""
    if corrected_level is None:
        raise ValueError(f"corrected_level: required when urgency_feedback is {urgency_feedback!r}")
    stored, corrected = RANK.get(level), RANK[corrected_level]
    if stored is None:  # a level this service does not know: no direction to check against
        return
    if urgency_feedback == "too_high" and corrected <= stored:
        raise ValueError(
            f"corrected_level: {corrected_level!r} is not lower than the consultation's level "
            f"{level!r} (urgency_feedback 'too_high')"
        )
    if urgency_feedback == "too_low" and corrected >= stored:
        raise ValueError(
            f"corrected_level: {corrected_level!r} is not higher than the consultation's level "
            f"{level!r} (urgency_feedback 'too_low')"
        )


def _columns(db: sqlite3.Connection, table: str) -> dict[str, sqlite3.Row]:
    return {r["name"]: r for r in db.execute(f"PRAGMA table_info({table})")}


def _statements(script: str) -> list[str]:
    """A script's statements one by one: executescript would commit the migration's transaction
    first. Split where sqlite3 sees a whole statement, as comments hold semicolons."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement: {pending.strip()[:60]!r}")
    return statements


def _adopt_unversioned(db: sqlite3.Connection) -> None:
    """Migration 1: SCHEMA, from nothing or from any shape a release before version numbers left.

    Every change is checked for, as a database at version 0 may already have some of them.
    """
    for statement in _statements(SCHEMA):  # CREATE ... IF NOT EXISTS: what is missing
        db.execute(statement)
    consultations = _columns(db, "consultations")
    if "triage_level" not in consultations:
        db.execute(
            "ALTER TABLE consultations ADD COLUMN triage_level TEXT NOT NULL DEFAULT 'consultation'"
        )
        db.execute(
            "UPDATE consultations SET triage_level = ? WHERE urgency = 'emergency'",
            (legacy_level("emergency"),),
        )
    for column in ("reasons", "evidence"):
        if column not in consultations:
            db.execute(f"ALTER TABLE consultations ADD COLUMN {column} TEXT NOT NULL DEFAULT '[]'")
    feedback = _columns(db, "feedback")
    if feedback["department"]["notnull"] or feedback["action"]["notnull"]:
        # SQLite cannot drop NOT NULL in place: copy into a table of the new shape (seq, and so
        # the commit order, kept), then swap it in. Nothing references feedback.
        kept = [c for c in feedback if c in _FEEDBACK_FIELDS]
        names = ", ".join(kept)
        last = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'feedback'").fetchone()
        db.execute("DROP TABLE IF EXISTS feedback_migrating")
        db.execute(f"CREATE TABLE feedback_migrating ({_FEEDBACK_COLUMNS})")
        db.execute(f"INSERT INTO feedback_migrating ({names}) SELECT {names} FROM feedback")
        db.execute("DROP TABLE feedback")
        db.execute("ALTER TABLE feedback_migrating RENAME TO feedback")
        if last is not None:  # AUTOINCREMENT never hands out a seq the old table had used
            db.execute("DELETE FROM sqlite_sequence WHERE name = 'feedback'")
            db.execute(
                "INSERT INTO sqlite_sequence (name, seq) "
                "SELECT 'feedback', MAX(?, COALESCE(MAX(seq), 0)) FROM feedback",
                (last[0],),
            )
        db.execute(
            "CREATE INDEX IF NOT EXISTS feedback_by_consultation ON feedback(consultation_id)"
        )
    else:
        for column in ("urgency_feedback", "corrected_level", "suggested_level"):
            if column not in feedback:
                db.execute(f"ALTER TABLE feedback ADD COLUMN {column} TEXT")


Migration = Callable[[sqlite3.Connection], None]

# Migration n (from 1) takes a database from schema version n - 1 to n; append, never edit one
# that has shipped. Each runs inside the write transaction `migrate` opens.
MIGRATIONS: tuple[Migration, ...] = (_adopt_unversioned,)
SCHEMA_VERSION = len(MIGRATIONS)


def _switch_to_wal(db: sqlite3.Connection, wait_s: float) -> None:
    """WAL mode, retried for up to `wait_s`: while another connection switches a database out of
    rollback mode, SQLite answers "database is locked" at once, without its busy handler."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def schema_version(db: sqlite3.Connection) -> int:
    """The number of the last migration applied to the database (0: none, or written before
    version numbers)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
    """Apply the migrations the database has not had, each once, in its own write transaction
    with the version it sets (`db` in autocommit mode: isolation_level None).

    Raises:
        NewerSchemaError: the database is at a version past the last of `migrations`; no
            migration runs, and the store refuses it rather than read columns it may have moved.
    """
    latest = len(migrations)
    version = schema_version(db)
    while version < latest:
        db.execute("BEGIN IMMEDIATE")  # one migrator at a time; the others then find it done
        try:
            version = schema_version(db)  # read again under the lock: another may have run it
            if version < latest:
                migrations[version](db)
                version += 1
                db.execute(f"PRAGMA user_version = {version:d}")  # no parameters in a PRAGMA
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    if version > latest:
        raise NewerSchemaError(version, latest)


def _row(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item["departments"] = json.loads(item["departments"])
    item["red_flags"] = json.loads(item["red_flags"])
    item["reasons"] = json.loads(item.get("reasons") or "[]")
    item["evidence"] = json.loads(item.get("evidence") or "[]")
    item["abstain"] = bool(item["abstain"])
    item.pop("has_decision", None)
    if not item.get("triage_level"):
        item["triage_level"] = legacy_level(item.get("urgency"))
    return item
