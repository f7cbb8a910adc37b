"""The sparse index: BM25 over every chunk, kept in SQLite and updated in place.

``<home>/store/bm25/index.sqlite3`` (WAL: any number of reader processes beside one writer,
each write one transaction, so a kill at any point leaves the last committed state):

    docs      slot (never reused), chunk id, source file, length in terms, distinct term ids
    terms     term id, term, document frequency, a word the term was seen as (``lexical.py``)
    postings  per term, a few blobs of (slot, term frequency) arrays: one per write, merged
              by size tier (MERGE_AT of a tier into one; dead slots dropped then)
    dead      slots whose chunk was deleted (left out of postings when they are merged)
    meta      n_docs, total_len, build (the id the manifest's ``bm25`` names when it matches),
              terms (the version of ``lexical.terms`` it was made with; 1 when absent)

Adding or removing chunks costs time in proportion to them (their terms' rows; merges are
size-tiered, so a posting is rewritten a few times over the index's life). BM25 is scored at
query time from the postings, the live statistics and the chunk lengths (one float per slot in
memory), with the formula bm25s used before (Lucene IDF, k1 1.5, b 0.75), so a store updated
in place scores exactly as one built afresh. Terms are ``lexical.terms`` (stems, stop words out).

Searching it: ``sparse_search.py``; when it is opened, migrated, rebuilt from the collection and
named: ``bm25.py``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from sciqa.lexical import TERMS_VERSION, Lexicon, term_words
from sciqa.sparse_search import Searcher, lookup

log = logging.getLogger("sciqa")

FILE = "index.sqlite3"
MERGE_AT = 4  # postings rows of a term in one size tier that are merged into one
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs (slot INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, len INTEGER NOT NULL, tids BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS docs_source ON docs (source);
CREATE TABLE IF NOT EXISTS terms (tid INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE,
    df INTEGER NOT NULL, surface TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS postings (tid INTEGER NOT NULL, seg INTEGER NOT NULL,
    slots BLOB NOT NULL, tfs BLOB NOT NULL, PRIMARY KEY (tid, seg)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead (slot INTEGER PRIMARY KEY);
INSERT OR IGNORE INTO meta VALUES ('n_docs', 0), ('total_len', 0), ('seg', 0), ('build', ''),
    ('epoch', 0);
"""


def _connect(target: str, *, create: bool) -> sqlite3.Connection:
    uri = target if target == ":memory:" else f"file:{target}?mode={'rwc' if create else 'rw'}"
    db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout = 10000")
    if create:
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(SCHEMA)
    db.execute("PRAGMA synchronous = NORMAL")  # WAL: a killed process loses nothing committed
    tables = db.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
        "('meta', 'docs', 'terms', 'postings', 'dead')"
    ).fetchone()[0]
    if tables != 5:  # garbled (or not a database at all: raised above)
        raise sqlite3.DatabaseError(f"{5 - tables} of the index's tables are missing")
    return db


class SparseIndex:
    """BM25 over chunk texts (what :func:`sciqa.records.index_text` gives), in one SQLite
    database; reads see every write committed before them, by this process or another."""

    def __init__(self, db: sqlite3.Connection, path: Path | None = None) -> None:
        self.db = db
        self.path = path
        self._lock = threading.RLock()  # one connection, shared by a UI's threads
        self._searcher = Searcher(db, self._lock)

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: Path) -> SparseIndex:
        """The index in ``folder``, created empty if there is none; raises if it is garbled."""
        folder.mkdir(parents=True, exist_ok=True)
        return cls(_connect(str(folder / FILE), create=True), folder / FILE)

    @classmethod
    def read(cls, folder: Path) -> SparseIndex:
        """The index saved in ``folder``; raises (OSError, sqlite3.Error) if missing or garbled."""
        if not (folder / FILE).is_file():
            raise FileNotFoundError(f"no {FILE} in {folder}")
        return cls(_connect(str(folder / FILE), create=False), folder / FILE)

    @classmethod
    def build(cls, chunks: Iterable[tuple[str, str, str]]) -> SparseIndex:
        """Index ``chunks`` (id, source, index text) in memory."""
        index = cls(_connect(":memory:", create=True))
        index.rebuild(chunks)
        return index

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # -- writing: one transaction each ----------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction (or a part of the one already open)."""
        with self._lock:
            if self.db.in_transaction:
                yield self.db
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            finally:
                self._searcher.forget()  # data_version counts only others' writes

    def add(self, chunks: Sequence[tuple[str, str, str]]) -> None:
        """Index ``chunks`` (id, source, index text); a chunk id already there is replaced."""
        with self._write() as db:
            self._drop(db, [cid for cid, _, _ in chunks])
            self._insert(db, chunks)

    def add_all(self, chunks: Iterable[tuple[str, str, str]], batch: int = 20_000) -> None:
        """Index ``chunks`` (new ids only), ``batch`` at a time, in one transaction."""
        with self._write() as db:
            part: list[tuple[str, str, str]] = []
            for chunk in chunks:
                part.append(chunk)
                if len(part) >= batch:
                    self._insert(db, part)
                    part = []
            self._insert(db, part)

    def rebuild(self, chunks: Iterable[tuple[str, str, str]]) -> None:
        """Replace every chunk with ``chunks``, in one transaction."""
        with self._write():
            self.clear()
            self.add_all(chunks)

    def _insert(self, db: sqlite3.Connection, chunks: Sequence[tuple[str, str, str]]) -> None:
        if not chunks:
            return
        counts = [Counter(term_words(text)) for _, _, text in chunks]
        surface: dict[str, str] = {}
        for c in counts:
            for t, w in c:
                surface.setdefault(t, w)
        df = Counter(t for c in counts for t in {t for t, _ in c})
        db.executemany(
            "INSERT INTO terms (term, df, surface) VALUES (?, ?, ?) "
            "ON CONFLICT (term) DO UPDATE SET df = df + excluded.df",
            [(t, n, surface[t]) for t, n in df.items()],
        )
        tid = _tids(db, list(surface))
        seg = db.execute("UPDATE meta SET value = value + 1 WHERE key = 'seg' RETURNING value")
        segment = int(seg.fetchone()[0])
        postings: dict[int, tuple[list[int], list[int]]] = {}
        total = 0
        for (cid, source, _), c in zip(chunks, counts):
            tfs: Counter[int] = Counter()
            for (t, _), n in c.items():
                tfs[tid[t]] += n
            length = sum(tfs.values())
            total += length
            ids = np.array(sorted(tfs), dtype=np.int32)
            slot = db.execute(
                "INSERT INTO docs (id, source, len, tids) VALUES (?, ?, ?, ?) RETURNING slot",
                (cid, source, length, ids.tobytes()),
            ).fetchone()[0]
            for term_id, n in tfs.items():
                row = postings.setdefault(term_id, ([], []))
                row[0].append(slot)
                row[1].append(min(n, 65535))
        db.executemany(
            "INSERT INTO postings VALUES (?, ?, ?, ?)",
            [
                (t, segment, np.array(s, np.int32).tobytes(), np.array(f, np.uint16).tobytes())
                for t, (s, f) in postings.items()
            ],
        )
        self._stats(db, len(chunks), total)
        self._merge(db, list(postings))

    def _drop(self, db: sqlite3.Connection, ids: Sequence[str]) -> int:
        """Delete the chunks ``ids`` that are there (their term counts with them)."""
        rows: list[tuple[int, int, bytes]] = []
        for b in range(0, len(ids), 500):
            part = ids[b : b + 500]
            marks = ",".join("?" * len(part))
            rows += db.execute(
                f"SELECT slot, len, tids FROM docs WHERE id IN ({marks})", part
            ).fetchall()
        if not rows:
            return 0
        gone: Counter[int] = Counter()
        for _, _, tids in rows:
            gone.update(np.frombuffer(tids, dtype=np.int32).tolist())
        db.executemany(
            "UPDATE terms SET df = df - ? WHERE tid = ?", [(n, t) for t, n in gone.items()]
        )
        db.executemany("DELETE FROM docs WHERE slot = ?", [(r[0],) for r in rows])
        db.executemany("INSERT INTO dead VALUES (?)", [(r[0],) for r in rows])
        self._stats(db, -len(rows), -sum(r[1] for r in rows))
        return len(rows)

    @staticmethod
    def _stats(db: sqlite3.Connection, docs: int, length: int) -> None:
        db.execute("UPDATE meta SET value = value + ? WHERE key = 'n_docs'", (docs,))
        db.execute("UPDATE meta SET value = value + ? WHERE key = 'total_len'", (length,))

    def _merge(self, db: sqlite3.Connection, tids: Sequence[int]) -> None:
        """For each term in ``tids``, merge its postings rows of one size tier (a power of
        MERGE_AT in bytes) when there are MERGE_AT of them, leaving out the slots of deleted
        chunks: a posting is rewritten once per tier it climbs, never because a small write
        came after a big one (that rewrote whole postings lists: 2.4 s to add 100 chunks to 1M)."""
        dead: np.ndarray | None = None
        for t in tids:
            tiers: dict[int, list[int]] = {}
            for seg, size in db.execute(
                "SELECT seg, length(slots) FROM postings WHERE tid = ?", (t,)
            ):
                tiers.setdefault(int(math.log(max(size, 1), MERGE_AT)), []).append(seg)
            for segs in tiers.values():
                if len(segs) < MERGE_AT:
                    continue
                marks = ",".join("?" * len(segs))
                rows = db.execute(
                    f"SELECT slots, tfs FROM postings WHERE tid = ? AND seg IN ({marks})",
                    (t, *segs),
                ).fetchall()
                slots = np.concatenate([np.frombuffer(r[0], dtype=np.int32) for r in rows])
                tfs = np.concatenate([np.frombuffer(r[1], dtype=np.uint16) for r in rows])
                if dead is None:
                    dead = np.array([r[0] for r in db.execute("SELECT slot FROM dead")], np.int32)
                alive = ~np.isin(slots, dead)
                db.execute(f"DELETE FROM postings WHERE tid = ? AND seg IN ({marks})", (t, *segs))
                if alive.any():
                    db.execute(
                        "INSERT INTO postings VALUES (?, ?, ?, ?)",
                        (t, max(segs), slots[alive].tobytes(), tfs[alive].tobytes()),
                    )

    def delete(self, ids: Sequence[str]) -> int:
        """Delete these chunks; returns how many were there."""
        with self._write() as db:
            return self._drop(db, ids)

    def delete_stale(self, keep: dict[str, set[str]]) -> int:
        """Delete each source's chunks that are not among its ``keep`` ids (all of a source
        whose set is empty); the index's own record of sources, not Chroma's, decides, so a
        run killed between the two deletes is finished by the next."""
        names = list(keep)
        with self._write() as db:
            gone: list[str] = []
            for b in range(0, len(names), 500):
                part = names[b : b + 500]
                marks = ",".join("?" * len(part))
                for cid, source in db.execute(
                    f"SELECT id, source FROM docs WHERE source IN ({marks})", part
                ):
                    if cid not in keep[source]:
                        gone.append(cid)
            return self._drop(db, gone)

    def clear(self) -> None:
        """Drop every chunk (``sciqa ingest --rebuild``)."""
        with self._write() as db:
            for table in ("docs", "terms", "postings", "dead"):
                db.execute(f"DELETE FROM {table}")
            db.execute("UPDATE meta SET value = 0 WHERE key IN ('n_docs', 'total_len')")
            db.execute("UPDATE meta SET value = value + 1 WHERE key = 'epoch'")
            db.execute("UPDATE meta SET value = '' WHERE key = 'build'")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('terms', ?)", (TERMS_VERSION,))

    def seal(self, build: str | None = None) -> str:
        """Name the index's present state with a new build id (or ``build``); returns it."""
        build = build or uuid.uuid4().hex
        with self._write() as db:
            db.execute("UPDATE meta SET value = ? WHERE key = 'build'", (build,))
        return build

    # -- reading ---------------------------------------------------------------------------

    @property
    def saved_build(self) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'build'").fetchone()
        return str(row[0]) if row and row[0] else None

    @property
    def terms_version(self) -> int:
        """The version of ``lexical.terms`` the index was made with (1: before it was kept)."""
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'terms'").fetchone()
        return int(row[0]) if row else 1

    def count(self) -> int:
        """How many chunks are indexed."""
        with self._lock:
            return int(self.db.execute("SELECT value FROM meta WHERE key = 'n_docs'").fetchone()[0])

    def ids(self) -> list[str]:
        """Every chunk id, in the order they were indexed."""
        with self._lock:
            return [r[0] for r in self.db.execute("SELECT id FROM docs ORDER BY slot")]

    @property
    def lexicon(self) -> Lexicon:
        """How many chunks hold each term, and a word each was seen as (``lexical.py``)."""
        return self._searcher.lexicon

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Up to ``k`` chunk ids with a positive BM25 score for ``query``, best first."""
        return self._searcher.search(query, k)


def _tids(db: sqlite3.Connection, words: Sequence[str]) -> dict[str, int]:
    return {t: tid for t, (tid, _) in lookup(db, words).items()}
