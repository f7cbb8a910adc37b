"""The sparse index: BM25 over every chunk, kept in SQLite and updated in place.

``<home>/store/bm25/index.sqlite3`` (WAL: any number of reader processes beside one writer,
each write one transaction, so a kill at any point leaves the last committed state):

    docs      slot (never reused), chunk id, source file, length in terms, distinct term ids
    terms     term id, term, document frequency, a word the term was seen as (``lexical.py``)
    postings  per term, a few blobs of (slot, term frequency) arrays: one per write, merged
              by size tier (MERGE_AT of a tier into one; dead slots dropped then)
    dead      slots whose chunk was deleted (left out of postings when they are merged)
    meta      n_docs, total_len, build (the id the manifest's ``bm25`` names when it matches)

Adding or removing chunks costs time in proportion to them (their terms' rows; merges are
size-tiered, so a posting is rewritten a few times over the index's life). BM25 is scored at
query time from the postings, the live statistics and the chunk lengths (one float per slot in
memory), with the formula bm25s used before (Lucene IDF, k1 1.5, b 0.75), so a store updated
in place scores exactly as one built afresh. Terms are ``lexical.terms`` (stems, stop words out).

When it is opened, migrated, rebuilt from the collection and named: ``bm25.py``.
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

from sciqa.lexical import Lexicon, term_words, terms

log = logging.getLogger("sciqa")

K1, B = 1.5, 0.75  # bm25s's defaults, which the gold figures were measured with
FILE = "index.sqlite3"
# Up to this many chunks the best are chosen among all of them, zeros included, exactly as
# bm25s chose (so equal scores come in its order and the eval figures stay as they were: 33 of
# the 150 gold and held-out questions order ties otherwise); above it, among those that score,
# which costs a tenth at 1M chunks.
EXACT_TIES = 200_000
MERGE_AT = 4  # postings rows of a term in one size tier that are merged into one
CACHED_POSTINGS = 8_000_000  # postings a reader keeps decoded (about 100 MB)
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
    """BM25 over chunk texts (what :func:`sciqa.store.index_text` gives), in one SQLite
    database; reads see every write committed before them, by this process or another."""

    def __init__(self, db: sqlite3.Connection, path: Path | None = None) -> None:
        self.db = db
        self.path = path
        self._lock = threading.RLock()  # one connection, shared by a UI's threads
        self._seen = -1  # PRAGMA data_version when ``_lens`` and the statistics were read
        self._lens = np.zeros(0, dtype=np.float64)  # length of each slot's chunk
        self._alive = np.zeros(0, dtype=bool)  # whether each slot holds a chunk
        self._scores = np.zeros(0, dtype=np.float32)  # one question's scores by slot (reused)
        self._order = np.zeros(0, dtype=np.int64)  # the slots that hold a chunk
        self._norm = np.zeros(0, dtype=np.float64)  # BM25's length part for each slot
        self._hit = np.zeros(0, dtype=bool)  # the slots one question's terms reach (reused)
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # postings read, by term
        self._n_docs = self._total = 0
        self._epoch = -1
        self._lexicon: tuple[int, Lexicon] | None = None

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
        index.add_all(chunks)
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
                self._seen, self._lexicon = -1, None  # data_version counts others' writes only

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

    def count(self) -> int:
        """How many chunks are indexed."""
        with self._lock:
            return int(self.db.execute("SELECT value FROM meta WHERE key = 'n_docs'").fetchone()[0])

    def ids(self) -> list[str]:
        """Every chunk id, in the order they were indexed."""
        with self._lock:
            return [r[0] for r in self.db.execute("SELECT id FROM docs ORDER BY slot")]

    def _refresh(self) -> None:
        """Read what other connections committed since last seen: new slots' lengths and the
        totals. A chunk deleted since is found out when it would be returned."""
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        if version == self._seen:
            return
        began = not self.db.in_transaction
        if began:
            self.db.execute("BEGIN")  # one snapshot of the lengths and the totals
        try:
            meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
            if meta["epoch"] != self._epoch:  # cleared since: every slot is gone
                self._lens, self._epoch = np.zeros(0, dtype=np.float64), meta["epoch"]
                self._alive = self._order = np.zeros(0, dtype=bool)
            known = len(self._lens)
            rows = self.db.execute(
                "SELECT slot, len FROM docs WHERE slot >= ? ORDER BY slot", (known,)
            ).fetchall()
        finally:
            if began:
                self.db.execute("COMMIT")
        if rows:
            top = rows[-1][0] + 1
            lens = np.zeros(max(top, known), dtype=np.float64)
            alive = np.zeros(len(lens), dtype=bool)
            lens[:known], alive[:known] = self._lens, self._alive
            got = np.array(rows, dtype=np.int64)
            lens[got[:, 0]], alive[got[:, 0]] = got[:, 1], True
            self._lens, self._alive = lens, alive
            self._order = np.flatnonzero(alive)
        self._n_docs, self._total = int(meta["n_docs"]), int(meta["total_len"])
        self._cache = {}
        # each slot's length part of BM25, as bm25s computed it; no chunk: infinite (scores 0)
        avg = self._total / self._n_docs if self._n_docs else 1.0
        with np.errstate(divide="ignore"):
            self._norm = np.where(self._alive, K1 * ((1 - B) + B * self._lens / avg), np.inf)
        self._seen = version

    @property
    def lexicon(self) -> Lexicon:
        """How many chunks hold each term, and a word each was seen as (``lexical.py``)."""
        with self._lock:
            version = self.db.execute("PRAGMA data_version").fetchone()[0]
            if self._lexicon is None or self._lexicon[0] != version:
                got = self.db.execute("SELECT term, df, surface FROM terms WHERE df > 0")
                rows = got.fetchall()
                n = self.db.execute("SELECT value FROM meta WHERE key = 'n_docs'").fetchone()[0]
                lexicon = Lexicon(int(n), {t: d for t, d, _ in rows}, {t: s for t, _, s in rows})
                self._lexicon = (version, lexicon)
            return self._lexicon[1]

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Up to ``k`` chunk ids with a positive BM25 score for ``query``, best first."""
        asked = terms(query)
        if not asked or k <= 0:
            return []
        with self._lock:
            self._refresh()
            norm = self._norm
            if not self._n_docs or not self._total:
                return []
            known = _lookup(self.db, sorted(set(asked)))
            # float32 sums of float32 terms in the question's order, as bm25s added its
            # precomputed scores: the same ties, so the same passages, as before
            scores, hit = self._scores, self._hit
            if len(scores) != len(norm):
                scores = self._scores = np.zeros(len(norm), dtype=np.float32)
                hit = self._hit = np.zeros(len(norm), dtype=bool)
            for term in asked:  # a repeated word counts again, as it did in bm25s
                if term not in known:
                    continue
                tid, df = known[term]
                s, w = self._weights(tid, df)
                scores[s] += w  # a slot is once in a term's postings
                hit[s] = True
            touched = found = np.flatnonzero(hit)  # (a bool array: 10x faster than scores)
            found = found[scores[found] > 0]
            if 0 < len(self._order) <= EXACT_TIES:
                found = self._order  # every chunk in index order: bm25s's order of ties
            try:
                while True:
                    top = found[_top(scores[found], k)]
                    top = top[scores[top] > 0]
                    names = _names(self.db, top.tolist())
                    if len(names) == len(top):
                        return [(names[s], float(scores[s])) for s in top.tolist()]
                    gone = [s for s in top.tolist() if s not in names]  # deleted since
                    self._alive[gone], self._norm[gone] = False, np.inf
                    self._cache = {}
                    found = found[~np.isin(found, gone)]
                    self._order = np.flatnonzero(self._alive)
            finally:
                scores[touched], hit[touched] = 0, False  # reused: only these were touched

    def _weights(self, tid: int, df: int) -> tuple[np.ndarray, np.ndarray]:
        """A term's slots and its BM25 weight in each (float32, as bm25s stored them), kept
        until the index changes: common words come back question after question, and at 1M
        chunks reading and weighing their postings was most of a search."""
        got = self._cache.get(tid)
        if got is None:
            s, tf = _postings(self.db, tid)
            norm, n = self._norm, self._n_docs
            if s.size and int(s.max()) >= len(norm):  # indexed since this reader looked
                s, tf = s[s < len(norm)], tf[s < len(norm)]
            idf = float(np.float32(math.log(1 + (n - df + 0.5) / (df + 0.5))))
            got = (s, (idf * (tf / (norm[s] + tf))).astype(np.float32))
            if sum(len(c[0]) for c in self._cache.values()) + len(s) > CACHED_POSTINGS:
                self._cache.clear()
            self._cache[tid] = got
        return got


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """The positions of the ``k`` best ``scores``, best first, chosen as bm25s chose them
    (equal scores included: it has the same ties in the same order, so the same passages)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(scores, -k)[-k:]
    return part[np.flip(np.argsort(scores[part]))]


def _tids(db: sqlite3.Connection, words: Sequence[str]) -> dict[str, int]:
    return {t: tid for t, (tid, _) in _lookup(db, words).items()}


def _lookup(db: sqlite3.Connection, words: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(term id, document frequency) of each of ``words`` the index has seen."""
    found: dict[str, tuple[int, int]] = {}
    for b in range(0, len(words), 500):
        part = words[b : b + 500]
        marks = ",".join("?" * len(part))
        for term, tid, df in db.execute(
            f"SELECT term, tid, df FROM terms WHERE term IN ({marks})", part
        ):
            if df > 0:
                found[term] = (tid, df)
    return found


def _postings(db: sqlite3.Connection, tid: int) -> tuple[np.ndarray, np.ndarray]:
    rows = db.execute("SELECT slots, tfs FROM postings WHERE tid = ?", (tid,)).fetchall()
    if not rows:
        return np.zeros(0, np.int32), np.zeros(0, np.float64)
    slots = np.concatenate([np.frombuffer(r[0], dtype=np.int32) for r in rows])
    tfs = np.concatenate([np.frombuffer(r[1], dtype=np.uint16) for r in rows])
    return slots, tfs.astype(np.float64)


def _names(db: sqlite3.Connection, slots: list[int]) -> dict[int, str]:
    if not slots:
        return {}
    marks = ",".join("?" * len(slots))
    return dict(db.execute(f"SELECT slot, id FROM docs WHERE slot IN ({marks})", slots))
