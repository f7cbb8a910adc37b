"""The BM25 index beside Chroma (``sparse.py``): where it lives, when it is read, built from the
collection, migrated and named, and the handles a ``Store`` keeps to read and write it.

The index is updated in step with Chroma: each batch an ingest stores is added to it after its
upsert, a file's old chunks leave it after they leave Chroma (by the index's own record of
which chunks each file has, so a run killed between the two is finished by the next, which
redoes every pending file), and at the end of an ingest (or a removal) :meth:`Bm25.seal` names
its state with a new build id, the manifest's ``bm25``. The index is built whole from the
collection only when it is missing, garbled, an older sciqa's bm25s folder (``ids.json``:
migrated once), made with another version of ``lexical.terms`` (its ``terms``), or holds
another number of chunks than the collection when sealed.

In server mode (SCIQA_CHROMA_URL) the index stays under ``<home>/store`` and is built from the
server's collection when it is missing or its chunk count differs from the collection's
(:func:`load_or_build`), so any machine pointed at the same server can answer.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

from sciqa.lexical import TERMS_VERSION
from sciqa.providers import short
from sciqa.sparse import FILE, SparseIndex

log = logging.getLogger("sciqa")

Chunks = Callable[[], Iterable[tuple[str, str, str]]]  # every chunk: (id, source, index text)
Lock = Callable[[], contextlib.AbstractContextManager[object]]


class Bm25:
    """The sparse index of one store in ``folder``: a reader (what answers) and a writer (what
    an ingest updates), two connections so that each sees the other's writes."""

    def __init__(self, folder: Path, chunks: Chunks, count: Callable[[], int], lock: Lock):
        self.folder = folder
        self._chunks, self._count, self._lock = chunks, count, lock
        self._reader: SparseIndex | None = None
        self._writer: SparseIndex | None = None

    def reader(self, build: str | None) -> SparseIndex:
        """The index that matches the collection (:func:`load_or_build`), kept until
        :meth:`forget`; ``build`` is the manifest's ``bm25``."""
        index = self._reader  # one read: forget() may drop it meanwhile
        if index is None:
            index = load_or_build(self.folder, build, self._count, self._chunks, self._lock)
            self._reader = index
        return index

    def search(self, build: str | None, query: str, k: int) -> list[tuple[str, float]]:
        """:meth:`SparseIndex.search` on :meth:`reader`; one found garbled only now (SQLite
        reads pages as it needs them) is replaced by one built in memory."""
        try:
            return self.reader(build).search(query, k)
        except sqlite3.DatabaseError as e:
            if self._reader is None or self._reader.path is None:
                raise
            self._reader = stand_in(self.folder, self._chunks, e)
            return self._reader.search(query, k)

    def forget(self) -> None:
        """Read the index again when next asked (another process wrote a new build)."""
        self._reader = None

    def writer(self) -> SparseIndex:
        """The index on disk, for an ingest (which holds the lock): built from the collection
        first if it is missing, garbled or an older sciqa's."""
        if self._writer is None:
            try:
                if legacy(self.folder) or not (self.folder / FILE).exists():
                    raise FileNotFoundError(self.folder / FILE)
                index = SparseIndex.open(self.folder)
                try:
                    if index.terms_version != TERMS_VERSION:  # made by an older sciqa
                        index.rebuild(self._chunks())
                except BaseException:
                    index.close()
                    raise
                self._writer = index
            except (OSError, sqlite3.Error):
                self._writer = build_on_disk(self.folder, self._chunks())
        return self._writer

    def seal(self) -> str:
        """A new build id for the index as it stands, after it is built again from the
        collection if it holds another number of chunks; returns the id."""
        index = self.writer()
        if index.count() != self._count():
            log.info("sciqa: the BM25 index in %s is built again from the collection", self.folder)
            index.rebuild(self._chunks())
        if self._reader is not None and self._reader.path is None:
            self._reader = None  # an in-memory stand-in: the one on disk is good again
        return index.seal()

    def rebuild(self) -> str:
        """Build the index whole from the collection; returns the new build id."""
        self.writer().rebuild(self._chunks())
        return self.seal()

    def build(self) -> str | None:
        """The id of the saved index's build, or None if there is none (or it is unreadable)."""
        return saved_build(self.folder)


def build_on_disk(folder: Path, chunks: Iterable[tuple[str, str, str]]) -> SparseIndex:
    """Index ``chunks`` into ``folder``, in one transaction, over what was there (a garbled file
    or an older sciqa's bm25s index is deleted first)."""
    try:
        if legacy(folder):
            raise FileNotFoundError(folder / FILE)
        index = SparseIndex.open(folder)
    except (OSError, sqlite3.Error):  # only derived data
        discard(folder)
        index = SparseIndex.open(folder)
    index.rebuild(chunks)
    return index


def saved_build(folder: Path) -> str | None:
    """The build id of the index saved in ``folder``, or None if there is none (or it cannot
    be read)."""
    try:
        index = SparseIndex.read(folder)
    except (OSError, sqlite3.Error):
        return None
    try:
        # An index an older sciqa read words for is no build of this collection: an ingest
        # (even one with nothing to do) rebuilds it.
        return index.saved_build if index.terms_version == TERMS_VERSION else None
    except sqlite3.Error:
        return None
    finally:
        index.close()


def stored_ids(folder: Path) -> list[str]:
    """The chunk ids of the index saved in ``folder`` (for checks and tests)."""
    index = SparseIndex.read(folder)
    try:
        return index.ids()
    finally:
        index.close()


def legacy(folder: Path) -> bool:
    """Whether ``folder`` holds the bm25s index of an older sciqa (``ids.json``), not this."""
    return (folder / "ids.json").exists() and not (folder / FILE).exists()


def discard(folder: Path) -> None:
    """Delete the index files in ``folder`` (this one's and an older bm25s index's)."""
    for f in folder.iterdir() if folder.is_dir() else ():
        if f.is_file():
            f.unlink(missing_ok=True)


def load_or_build(
    folder: Path, build: str | None, count: Callable[[], int], chunks: Chunks, lock: Lock
) -> SparseIndex:
    """The index saved in ``folder`` if it matches the collection, else one built from the
    collection's ``chunks()``.

    ``build`` is the manifest's ``bm25``: the build that matches ("" while an ingest changes
    it: the saved index is then read as it stands, updated in step with Chroma), or None when
    that is unknown (no manifest, one written before that field, or a Chroma server), and then
    the saved index matches if it holds ``count()`` chunks.

    Built on disk, holding ``lock()`` (the ingest lock, not waited for), when there is none, it
    is an older sciqa's (a bm25s folder, or words read by another ``lexical.terms``: migrated
    once, and named as the manifest names the collection) or the build is unknown and the count
    differs; else built in memory (an ingest holds the lock, the saved index is garbled or
    names another build) with a warning.
    """
    problem: Exception | None = None
    if not legacy(folder) and (folder / FILE).exists():
        try:
            index = SparseIndex.read(folder)
            if index.terms_version != TERMS_VERSION:  # an older sciqa read words otherwise:
                index.close()  # built again, as if there were none
            else:
                index.lexicon  # noqa: B018 (reads every term: a garbled file fails here)
                if build == "":
                    log.warning(
                        "sciqa: warning: an ingest into %s is running or did not finish; "
                        "answering from what is stored so far. Run `sciqa ingest` again to "
                        "finish it",
                        folder.parent,
                    )
                    return index
                if index.saved_build == build if build else index.count() == count():
                    return index
                index.close()
                if build:
                    problem = ValueError(f"it is not build {build}")
        except Exception as e:  # a garbled or half-copied index: it is only derived data
            problem = e
    if problem is None or build is None:
        with contextlib.suppress(Exception), lock():
            index = build_on_disk(folder, chunks())
            if build:
                index.seal(build)  # no ingest runs (the lock): the collection is that build
            return index
    return stand_in(folder, chunks, problem)


def stand_in(folder: Path, chunks: Chunks, problem: Exception | None) -> SparseIndex:
    """An index of ``chunks()`` in memory, for one that cannot be read (``problem``)."""
    index = SparseIndex.build(chunks())
    log.warning(
        "sciqa: warning: the BM25 index in %s cannot be read (%s); using one rebuilt "
        "from the collection. Run `sciqa ingest` to repair it on disk",
        folder,
        short(f"{type(problem).__name__}: {problem}", 160) if problem else "an ingest holds it",
    )
    return index
