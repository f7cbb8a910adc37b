"""Vectors the offline embedding model already computed, kept on disk by text (SQLite), so a
text is embedded once: not again by the next ingest of the same file (``--rebuild``, an edited
file's unchanged chunks, another collection holding it), nor by the chat page's warm-up after
each restart, nor for a question asked before.

It is only a cache: a vector is stored exactly as computed (float32) under a hash of the model's
name and the text, a store of any size is capped at ``limit`` vectors (the oldest go first), and
a file that cannot be opened, read or written is passed over with one warning (the texts are
embedded as if there were no cache). SQLite keeps it whole when a process is killed mid-write,
and one file serves several processes at once (a write waits up to 10 s for another's).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger("sciqa")

_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
_QUERY_MAX = 500  # keys per SELECT ... IN (...): under SQLite's limit on bound parameters


class VectorCache:
    """``get``/``put`` vectors of ``dim`` float32s by text, for the model named ``model_id``."""

    def __init__(self, path: Path, model_id: str, dim: int, limit: int) -> None:
        self.path = path
        self.limit = limit
        self._dim = dim
        self._salt = model_id.encode() + b"\0"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._broken = limit <= 0

    def _key(self, text: str) -> bytes:
        return hashlib.blake2b(
            self._salt + text.encode(errors="surrogatepass"), digest_size=16
        ).digest()

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
                db.execute(_SCHEMA)
                db.commit()
                self._db = db
            except (sqlite3.Error, OSError) as e:
                self._give_up(e)
        return self._db

    def _give_up(self, e: BaseException) -> None:
        self._broken = True
        if self._db is not None:
            self._db.close()
            self._db = None
        log.warning(
            "sciqa: warning: the vector cache %s cannot be used (%s); texts are embedded "
            "without it. Delete that file, or set SCIQA_VECTOR_CACHE to a file you can write",
            self.path,
            e,
        )

    def _failed(self, e: sqlite3.Error) -> None:
        """A write held up beyond the timeout skips this call; any other error ends the cache."""
        if isinstance(e, sqlite3.OperationalError) and ("locked" in str(e) or "busy" in str(e)):
            log.debug("the vector cache %s is busy: %s", self.path, e)
        else:
            self._give_up(e)

    def get(self, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """The cached vectors of ``texts``, by position."""
        with self._lock:
            db = self._connect()
            if db is None or not texts:
                return {}
            keys = [self._key(t) for t in texts]
            found: dict[bytes, bytes] = {}
            try:
                for b in range(0, len(keys), _QUERY_MAX):
                    part = keys[b : b + _QUERY_MAX]
                    marks = ",".join("?" * len(part))
                    rows = db.execute(  # a row of another length is never read
                        f"SELECT key, vector FROM vectors WHERE key IN ({marks}) "
                        "AND length(vector) = ?",
                        [*part, 4 * self._dim],
                    )
                    found.update(rows.fetchall())
            except sqlite3.Error as e:
                self._failed(e)
                return {}
            return {
                i: np.frombuffer(found[k], dtype=np.float32).copy()
                for i, k in enumerate(keys)
                if k in found
            }

    def put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Keep ``vectors`` (one row per text); then drop the oldest beyond ``limit``: one
        statement, no count of the table on an answer's way."""
        with self._lock:
            db = self._connect()
            if db is None or not texts:
                return
            rows = [
                (self._key(t), np.asarray(v, dtype=np.float32).tobytes())
                for t, v in zip(texts, vectors, strict=True)
            ]
            try:
                with db:  # rowids only grow: all but the newest ``limit`` (fewer after gaps)
                    db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
                    db.execute(
                        "DELETE FROM vectors WHERE rowid <= (SELECT MAX(rowid) FROM vectors) - ?",
                        (self.limit,),
                    )
            except sqlite3.Error as e:
                self._failed(e)
