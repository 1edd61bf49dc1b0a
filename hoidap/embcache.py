"""The embedding cache: passage vectors kept by (model, content), so that an ingest that was
killed, ran out of disk or failed on a later file resumes without re-embedding what was done,
and re-chunking re-embeds only the passages that changed.

One SQLite file (WAL) in the index folder, `embcache.sqlite`, beside the generations and never
part of one: a generation is written whole or not at all, whatever happens to the cache. Rows
are keyed by the model ("<embedder name>|<dim>") and the SHA-256 of the exact text embedded, the
vector stored as float32 bytes; each batch is committed as soon as it is embedded, so a kill
loses at most the batch in flight. Only ingest writes it.

The cache is an accelerator, never a source of truth: a file that cannot be opened or read is
logged, moved aside and recreated (or, where that fails, the run goes on without a cache);
a row of the wrong size or with non-finite values is a miss. `prune(keep)` keeps only the
given passages of the current model (the live generation's); ingest calls it when the cache
holds more than `PRUNE_FACTOR` times the live index, or when asked (`--prune-cache`)."""
from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

log = logging.getLogger("hoidap.embcache")

FILE_NAME = "embcache.sqlite"
PRUNE_FACTOR = 3  # entries beyond this many times the live index's passages (plus PRUNE_SLACK) are pruned
PRUNE_SLACK = 2000

# A rowid table (rows of ~1.6 KB fit several to a page; a WITHOUT ROWID table would spill each
# row onto overflow pages, about 4 KB a passage) with a unique index as the key.
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS embeddings (id INTEGER PRIMARY KEY, model TEXT NOT NULL, digest BLOB NOT NULL, "
    "vector BLOB NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS embeddings_key ON embeddings (model, digest)",
)


def digest(text: str) -> bytes:
    """The key of a passage: SHA-256 of the exact text given to the model."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def _damaged(e: sqlite3.Error) -> bool:
    """An error that says the file itself is bad (not the disk, the folder or a lock)."""
    text = str(e).lower()
    return any(w in text for w in ("not a database", "malformed", "integrity check", "no such table", "no such column",
                                   "file is encrypted", "corrupt"))


def model_key(name: str, dim: int) -> str:
    return f"{name}|{int(dim)}"


class EmbeddingCache:
    """Vectors of one model in the cache file at `path`. Every method is safe to call on a
    damaged or missing file: lookups then miss and stores are skipped (logged once)."""

    def __init__(self, path: Path, model: str, dim: int, readonly: bool = False) -> None:
        self.path = Path(path)
        self.model = model_key(model, dim)
        self.dim = int(dim)
        self.readonly = readonly
        self.problem: str | None = None  # what went wrong with the file, for the ingest report
        self._db: sqlite3.Connection | None = None
        self._open()

    # --- opening -------------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            self._db = self._connect()
            return
        except sqlite3.Error as e:
            first = e
        if self.readonly or not _damaged(first):  # a full disk, a read-only folder, a lock: the file may be fine
            self._disable(f"the embedding cache {self.path} cannot be used ({first}); this run embeds without it")
            return
        aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            for suffix in ("", "-wal", "-shm"):
                part = Path(str(self.path) + suffix)
                if part.exists():
                    part.replace(Path(str(aside) + suffix))
            self._db = self._connect()
            self.problem = (f"the embedding cache {self.path} could not be read ({first}); "
                            f"it was moved to {aside.name} and a new one was started")
            log.warning(self.problem)
        except (OSError, sqlite3.Error) as e:
            self._disable(f"the embedding cache {self.path} could not be read ({first}) nor recreated ({e}); "
                          "this run embeds without a cache")

    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            from urllib.parse import quote

            db = sqlite3.connect(f"file:{quote(str(self.path))}?mode=ro", uri=True, timeout=30, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        try:
            if not self.readonly:
                db.execute("PRAGMA page_size=8192")  # a new file only: five vectors to a page
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a killed process
                for statement in _SCHEMA:
                    db.execute(statement)
                db.commit()
            ok = db.execute("PRAGMA quick_check").fetchone()
            if not ok or ok[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {ok[0] if ok else 'no answer'}")
            db.execute("SELECT model, digest, vector FROM embeddings LIMIT 1").fetchall()
        except BaseException:
            db.close()
            raise
        return db

    def _disable(self, message: str) -> None:
        self.close()
        if self.problem is None:
            self.problem = message
        log.warning(message)

    @property
    def usable(self) -> bool:
        return self._db is not None

    # --- reading and writing -------------------------------------------------------------------
    def lookup(self, texts: list[str]) -> dict[int, np.ndarray]:
        """Cached vectors of `texts`, by position; absent positions are misses."""
        if self._db is None or not texts:
            return {}
        keys = [digest(t) for t in texts]
        wanted: dict[bytes, list[int]] = {}
        for i, k in enumerate(keys):
            wanted.setdefault(k, []).append(i)
        found: dict[int, np.ndarray] = {}
        unique = list(wanted)
        try:
            for start in range(0, len(unique), 500):
                part = unique[start:start + 500]
                rows = self._db.execute(
                    f"SELECT digest, vector FROM embeddings WHERE model = ? AND digest IN ({','.join('?' * len(part))})",
                    [self.model, *part]).fetchall()
                for key, blob in rows:
                    vec = self._vector(blob)
                    if vec is not None:
                        for i in wanted.get(bytes(key), []):
                            found[i] = vec
        except sqlite3.Error as e:
            self._disable(f"the embedding cache {self.path} failed while reading ({e}); this run embeds without it")
            return {}
        return found

    def _vector(self, blob) -> np.ndarray | None:
        if not isinstance(blob, bytes) or len(blob) != 4 * self.dim:
            return None
        vec = np.frombuffer(blob, dtype=np.float32)
        return vec if np.isfinite(vec).all() else None

    def store(self, texts: list[str], vectors: np.ndarray) -> bool:
        """Write one batch and commit it. A failure (disk full, read-only folder) is logged and
        turns the cache off for the rest of the run; the ingest goes on."""
        if self._db is None or self.readonly or not texts:
            return False
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO embeddings (model, digest, vector) VALUES (?, ?, ?)",
                                     [(self.model, digest(t), v.tobytes()) for t, v in zip(texts, vectors)])
            return True
        except sqlite3.Error as e:
            self._disable(f"the embedding cache {self.path} cannot be written ({e}); "
                          "the rest of this run is not cached")
            return False

    def count(self, all_models: bool = False) -> int:
        if self._db is None:
            return 0
        try:
            if all_models:
                return int(self._db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
            return int(self._db.execute("SELECT COUNT(*) FROM embeddings WHERE model = ?", (self.model,)).fetchone()[0])
        except sqlite3.Error:
            return 0

    def contains(self, texts: Iterable[str]) -> int:
        """How many of `texts` have a vector of this model (for tests and the bench)."""
        texts = list(texts)
        return len(self.lookup(texts))

    # --- keeping it bounded --------------------------------------------------------------------
    def needs_prune(self, live_passages: int) -> bool:
        return self.count(all_models=True) > PRUNE_FACTOR * live_passages + PRUNE_SLACK

    def prune(self, keep: Iterable[str]) -> int:
        """Delete every entry but the vectors of `keep` for this model (other models' vectors
        go too); return how many were deleted. The file is compacted afterwards."""
        if self._db is None or self.readonly:
            return 0
        try:
            before = self.count(all_models=True)
            with self._db:
                self._db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (digest BLOB PRIMARY KEY) WITHOUT ROWID")
                self._db.execute("DELETE FROM temp.keep")
                self._db.executemany("INSERT OR IGNORE INTO temp.keep VALUES (?)", ((digest(t),) for t in keep))
                self._db.execute("DELETE FROM embeddings WHERE model != ? OR digest NOT IN (SELECT digest FROM temp.keep)",
                                 (self.model,))
                self._db.execute("DROP TABLE temp.keep")
            deleted = before - self.count(all_models=True)
            if deleted:
                self._db.execute("VACUUM")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return deleted
        except sqlite3.Error as e:
            log.warning("the embedding cache %s could not be pruned (%s); it is left as it was", self.path, e)
            return 0

    def size_bytes(self) -> int:
        return sum(Path(str(self.path) + s).stat().st_size for s in ("", "-wal")
                   if Path(str(self.path) + s).exists())

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    def __enter__(self) -> "EmbeddingCache":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
