"""Searching the sparse index (``sparse.py``): BM25 scored at query time from the postings, the
live statistics and each slot's length part, with bm25s's formula and float32 sums, and its
top-k order of equal scores up to EXACT_TIES chunks."""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Sequence

import numpy as np

from sciqa.lexical import Lexicon, terms

K1, B = 1.5, 0.75  # bm25s's defaults, which the gold figures were measured with
# Up to this many chunks the best are chosen among all of them, zeros included, exactly as
# bm25s chose (so equal scores come in its order and the eval figures stay as they were: 33 of
# the 150 gold and held-out questions order ties otherwise); above it, among those that score,
# which costs a tenth at 1M chunks.
EXACT_TIES = 200_000
CACHED_POSTINGS = 8_000_000  # postings a reader keeps decoded (about 100 MB)


class Searcher:
    """The reading side of one connection to the index: the chunk lengths and statistics it
    last saw (read again when another connection commits), and the weights of terms asked."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db = db
        self._lock = lock
        self.forget()
        self._epoch = -1
        self._lens = np.zeros(0, dtype=np.float64)  # length of each slot's chunk
        self._alive = np.zeros(0, dtype=bool)  # whether each slot holds a chunk
        self._order = np.zeros(0, dtype=np.int64)  # the slots that hold a chunk
        self._norm = np.zeros(0, dtype=np.float64)  # BM25's length part for each slot
        self._scores = np.zeros(0, dtype=np.float32)  # one question's scores by slot (reused)
        self._hit = np.zeros(0, dtype=bool)  # the slots one question's terms reach (reused)
        self._n_docs = self._total = 0

    def forget(self) -> None:
        """Read the statistics again before the next search (this connection wrote)."""
        self._seen = -1  # PRAGMA data_version when they were read
        self._lexicon: tuple[int, Lexicon] | None = None
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # weights, by term

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
            known = lookup(self.db, sorted(set(asked)))
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


def lookup(db: sqlite3.Connection, words: Sequence[str]) -> dict[str, tuple[int, int]]:
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
