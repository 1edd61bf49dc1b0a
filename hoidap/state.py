"""Shared server state behind one small seam: the usage log, feedback, rate-limit counters,
"handle this message once" claims and short-lived conversation memory.

SQLite (a file next to the index) by default; PostgreSQL when `state_url` names one, so that
several app servers share the same counters and claims. Every cross-process guarantee relies
on single atomic statements (INSERT ... ON CONFLICT ... RETURNING), which both backends support
(SQLite >= 3.35).

Only what the user typed is stored: no IP addresses, no user ids.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import re
import sqlite3
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    case,
    create_engine,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from hoidap.textnorm import nfc

log = logging.getLogger(__name__)

_PRUNE_EVERY_S = 300.0
_SPACES = re.compile(r"\s+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UTCDateTime(TypeDecorator):
    """Timestamps always stored and returned as timezone-aware UTC.

    PostgreSQL keeps a `timestamptz`; SQLite, which has no time zones, keeps naive UTC text.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# A 64-bit id on PostgreSQL; SQLite needs plain INTEGER for its auto-incrementing rowid alias.
_Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

questions = Table(
    "hoidap_questions", metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("created", UTCDateTime, nullable=False),
    Column("channel", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("question_norm", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("refused", Boolean, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("generation", Text, nullable=True),
    Index("ix_hoidap_questions_norm", "question_norm"),
)

feedback = Table(
    "hoidap_feedback", metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("created", UTCDateTime, nullable=False),
    Column("channel", Text, nullable=False),
    Column("question_id", _Id, nullable=True),  # no foreign key: the log may be pruned independently
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("liked", Boolean, nullable=False),
    Column("comment", Text, nullable=False),
    Index("ix_hoidap_feedback_liked_id", "liked", "id"),
)

rate_limits = Table(
    "hoidap_rate_limits", metadata,
    Column("key", Text, primary_key=True),
    Column("window_s", BigInteger, primary_key=True),
    Column("window_start", BigInteger, primary_key=True),  # epoch seconds, multiple of window_s
    Column("count", BigInteger, nullable=False),
    Column("expires_at", Float, nullable=False),  # epoch seconds
    Index("ix_hoidap_rate_limits_expires", "expires_at"),
)

claims = Table(
    "hoidap_claims", metadata,
    Column("key", Text, primary_key=True),
    Column("claimed_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("ix_hoidap_claims_expires", "expires_at"),
)

conversations = Table(
    "hoidap_conversations", metadata,
    Column("key", Text, primary_key=True),
    Column("data", Text, nullable=False),  # JSON
    Column("updated", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("ix_hoidap_conversations_expires", "expires_at"),
)


def normalize_question(question: str) -> str:
    """The grouping key of the usage log: NFC (canonical tone marks), lowercase, collapsed
    spaces, trailing question marks and full stops stripped."""
    q = _SPACES.sub(" ", nfc(question).lower()).strip()
    return q.rstrip("?.？。… ").strip()


def _normalise_url(url: str | URL) -> URL:
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    return u


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value is not None else None


def _csv_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class StateStore:
    """Shared state for one or several app servers. Thread-safe; one instance per process."""

    def __init__(self, url: str) -> None:
        self.url = _normalise_url(url)
        self.backend = self.url.get_backend_name()
        if self.backend == "sqlite":
            kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 5.0}}
            database = self.url.database
            if not database or database == ":memory:":
                kwargs["poolclass"] = StaticPool  # one shared in-memory database
            else:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(self.url, **kwargs)
            event.listen(self.engine, "connect", _sqlite_on_connect)
        elif self.backend == "postgresql":
            self.engine = create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        else:
            raise ValueError(f"unsupported state store backend: {self.url.drivername}")
        self._ready = False
        self._ready_lock = threading.Lock()
        self._last_prune = time.monotonic()
        log.info("state store: %s", self.engine.url.render_as_string(hide_password=True))

    @classmethod
    def from_settings(cls, settings) -> "StateStore":
        url = getattr(settings, "state_url", None)
        if url:
            return cls(str(url))
        index_dir = Path(settings.index_dir).resolve()
        index_dir.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{index_dir / 'state.sqlite'}")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "StateStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- schema -----------------------------------------------------------------------------

    def _ensure(self) -> None:
        """Create the tables on first use. Another process may be doing the same at the same
        moment: its CREATE then fails with "already exists" (or a unique violation in the
        PostgreSQL catalog), and a second checkfirst pass sees its tables."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            for attempt in range(5):
                try:
                    metadata.create_all(self.engine, checkfirst=True)
                    break
                except DBAPIError as exc:
                    if attempt == 4 or not _is_already_exists(exc):
                        raise
                    time.sleep(0.05 * (attempt + 1))
            self._ready = True

    def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < _PRUNE_EVERY_S:
            return
        self._last_prune = now
        try:
            self.prune_expired()
        except DBAPIError:  # housekeeping only; the next round retries
            log.warning("state store: pruning expired rows failed", exc_info=True)

    def prune_expired(self) -> int:
        """Delete expired rate-limit windows, claims and conversations; returns rows deleted."""
        self._ensure()
        now = time.time()
        deleted = 0
        with self.engine.begin() as conn:
            for table in (rate_limits, claims, conversations):
                deleted += conn.execute(delete(table).where(table.c.expires_at < now)).rowcount or 0
        return deleted

    def _insert(self, table: Table):
        return (pg_dialect.insert if self.backend == "postgresql" else sqlite_dialect.insert)(table)

    # -- usage log and feedback -------------------------------------------------------------

    def log_question(self, *, question: str, answer: str, refused: bool, confidence: float,
                     channel: str = "web", generation: str | None = None) -> int:
        self._ensure()
        row = {
            "created": datetime.now(timezone.utc), "channel": channel, "question": question,
            "question_norm": normalize_question(question), "answer": answer,
            "refused": bool(refused), "confidence": float(confidence), "generation": generation,
        }
        with self.engine.begin() as conn:
            return int(conn.execute(questions.insert().values(**row).returning(questions.c.id)).scalar_one())

    def add_feedback(self, *, question: str, answer: str, liked: bool, comment: str = "",
                     question_id: int | None = None, channel: str = "web") -> int:
        self._ensure()
        row = {
            "created": datetime.now(timezone.utc), "channel": channel, "question_id": question_id,
            "question": question, "answer": answer, "liked": bool(liked), "comment": comment or "",
        }
        with self.engine.begin() as conn:
            return int(conn.execute(feedback.insert().values(**row).returning(feedback.c.id)).scalar_one())

    def set_feedback_comment(self, feedback_id: int, comment: str) -> bool:
        self._ensure()
        with self.engine.begin() as conn:
            result = conn.execute(update(feedback).where(feedback.c.id == feedback_id).values(comment=comment or ""))
            return (result.rowcount or 0) > 0

    def _grouped(self, limit: int, only_refused: bool) -> list[dict]:
        self._ensure()
        q = questions.c
        refused_count = func.sum(case((q.refused, 1), else_=0))
        grouped = select(
            q.question_norm.label("norm"),
            func.count().label("n"),
            refused_count.label("n_refused"),
            func.max(q.id).label("last_id"),
        )
        if only_refused:
            grouped = grouped.where(q.refused)
        grouped = grouped.group_by(q.question_norm).subquery()
        stmt = (
            select(questions.c.question, questions.c.created, grouped.c.n, grouped.c.n_refused)
            .join(grouped, questions.c.id == grouped.c.last_id)
            .order_by(grouped.c.n.desc(), grouped.c.last_id.desc())
            .limit(max(0, int(limit)))
        )
        with self.engine.connect() as conn:
            return [
                {"question": r.question, "count": int(r.n), "refused": int(r.n_refused or 0),
                 "last_asked": _iso(r.created)}
                for r in conn.execute(stmt)
            ]

    def top_questions(self, limit: int = 50) -> list[dict]:
        """Most frequent questions, grouped by `normalize_question`; "question" is the most
        recent spelling, "refused" how many of the asks were refused."""
        return self._grouped(limit, only_refused=False)

    def refused_questions(self, limit: int = 50) -> list[dict]:
        """Like `top_questions`, counting refused asks only."""
        return self._grouped(limit, only_refused=True)

    def negative_feedback(self, limit: int = 100) -> list[dict]:
        self._ensure()
        f = feedback.c
        stmt = (select(f.id, f.question, f.answer, f.comment, f.channel, f.created)
                .where(f.liked.is_(False)).order_by(f.id.desc()).limit(max(0, int(limit))))
        with self.engine.connect() as conn:
            return [
                {"id": int(r.id), "question": r.question, "answer": r.answer, "comment": r.comment,
                 "channel": r.channel, "created": _iso(r.created)}
                for r in conn.execute(stmt)
            ]

    def export_csv(self, kind: str) -> str:
        """The whole usage log ("questions") or feedback ("feedback") as CSV text with a UTF-8
        byte order mark (Excel then reads Vietnamese correctly). Text cells that a spreadsheet
        would evaluate as a formula get a leading apostrophe."""
        if kind == "questions":
            table = questions
            columns = ["id", "created", "channel", "question", "answer", "refused", "confidence", "generation"]
        elif kind == "feedback":
            table = feedback
            columns = ["id", "created", "channel", "question_id", "liked", "question", "answer", "comment"]
        else:
            raise ValueError(f"unknown export kind {kind!r}; expected 'questions' or 'feedback'")
        self._ensure()
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(columns)
        stmt = select(*(table.c[c] for c in columns)).order_by(table.c.id)
        with self.engine.connect() as conn:
            for row in conn.execute(stmt):
                cells = []
                for name, value in zip(columns, row):
                    if isinstance(value, datetime):
                        value = _iso(value)
                    elif isinstance(value, bool):
                        value = "true" if value else "false"
                    elif value is None:
                        value = ""
                    cells.append(_csv_cell(value))
                writer.writerow(cells)
        return "\ufeff" + buf.getvalue()

    # -- counters and flags shared by several app servers -----------------------------------

    def hit_rate_limit(self, key: str, limit: int, window_s: int) -> bool:
        """Count one request for `key` in the current fixed window of `window_s` seconds;
        True when this request is over `limit`. One atomic upsert, so exact across processes
        and servers (windows follow each server's clock, which should be NTP-synchronised)."""
        self._ensure()
        window_s = max(1, int(window_s))
        now = time.time()
        start = int(now // window_s) * window_s
        ins = self._insert(rate_limits).values(
            key=key, window_s=window_s, window_start=start, count=1, expires_at=float(start + window_s))
        stmt = ins.on_conflict_do_update(
            index_elements=[rate_limits.c.key, rate_limits.c.window_s, rate_limits.c.window_start],
            set_={"count": rate_limits.c.count + 1},
        ).returning(rate_limits.c.count)
        with self.engine.begin() as conn:
            count = int(conn.execute(stmt).scalar_one())
        self._maybe_prune()
        return count > limit

    def claim_message(self, key: str, ttl_s: int = 7 * 24 * 3600) -> bool:
        """True exactly once per key: for the first claimer across threads, processes,
        restarts and servers. Once the claim has expired the key may be claimed again.

        INSERT ... ON CONFLICT DO UPDATE ... WHERE expired ... RETURNING: a live claim makes it
        a no-op returning nothing (as ON CONFLICT DO NOTHING would), an expired one is taken
        over by exactly one claimer, since the conflicting row is locked and re-checked."""
        self._ensure()
        now = time.time()
        ins = self._insert(claims).values(key=key, claimed_at=now, expires_at=now + float(ttl_s))
        stmt = ins.on_conflict_do_update(
            index_elements=[claims.c.key],
            set_={"claimed_at": ins.excluded.claimed_at, "expires_at": ins.excluded.expires_at},
            where=claims.c.expires_at <= now,
        ).returning(claims.c.key)
        with self.engine.begin() as conn:
            claimed = conn.execute(stmt).first() is not None
        self._maybe_prune()
        return claimed

    def conversation_get(self, key: str) -> dict | None:
        self._ensure()
        c = conversations.c
        stmt = select(c.data).where(c.key == key, c.expires_at > time.time())
        with self.engine.connect() as conn:
            raw = conn.execute(stmt).scalar_one_or_none()
        return json.loads(raw) if raw is not None else None

    def conversation_put(self, key: str, data: dict, ttl_s: int = 24 * 3600) -> None:
        self._ensure()
        now = time.time()
        payload = json.dumps(data, ensure_ascii=False)
        ins = self._insert(conversations).values(key=key, data=payload, updated=now, expires_at=now + float(ttl_s))
        stmt = ins.on_conflict_do_update(
            index_elements=[conversations.c.key],
            set_={"data": ins.excluded.data, "updated": ins.excluded.updated, "expires_at": ins.excluded.expires_at},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)
        self._maybe_prune()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - a health check reports, it does not raise
            log.warning("state store: ping failed", exc_info=True)
            return False


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    """Every SQLite connection: wait for locks rather than fail, and write-ahead logging so
    readers and one writer (threads or processes) proceed together."""
    cur = dbapi_connection.cursor()
    try:
        cur.execute("PRAGMA busy_timeout = 5000")
        # Switching a new database to WAL needs an exclusive lock and does not wait on the busy
        # handler; when several processes open it at once, the losers retry (WAL is persistent,
        # so one success is enough).
        # (An in-memory database answers "memory" and stays so.)
        deadline = time.monotonic() + 5.0
        while True:
            try:
                if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                    cur.execute("PRAGMA journal_mode = WAL")
                break
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        cur.execute("PRAGMA synchronous = NORMAL")
    finally:
        cur.close()


def _is_already_exists(exc: DBAPIError) -> bool:
    message = str(getattr(exc, "orig", exc)).lower()
    return ("already exists" in message or "duplicate key" in message
            or "pg_type_typname_nsp_index" in message or "unique constraint" in message)
