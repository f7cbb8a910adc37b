"""The Chroma collection: every chunk with its vector, text and metadata; and ``Store``, which
keeps it beside the sparse index (``sparse.py``) and the manifest (``manifest.py``).

Layout under ``<home>/store``:

    chroma/          Chroma's persistent files (absent in server mode, SCIQA_CHROMA_URL)
    bm25/            the BM25 index over every chunk (``sparse.py``, kept by ``bm25.py``)
    manifest.json    embedding model, chunker settings, tokenizer, and each ingested file's hash
    sources.json     the folders and files the store mirrors (``sources.py``): never dropped

Chroma is written and read through one API, chromadb's own ``Collection`` (upsert, get,
delete, query), with vectors sciqa computes itself (``embedding_function=None``).

In server mode the vectors live in the Chroma server and the manifest and BM25 index stay under
``<home>/store``; see ``sparse.py`` for how the BM25 index follows a server's collection.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from sciqa.bm25 import Bm25
from sciqa.chroma import connect, read_only, read_only_error
from sciqa.errors import StoreError, StoreMismatchError
from sciqa.lexical import Lexicon
from sciqa.manifest import Manifest, ManifestFile, ingest_lock
from sciqa.records import index_text, metadata, passages_of
from sciqa.schema import Passage
from sciqa.sparse import SparseIndex

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.client import Client
    from chromadb.api.models.Collection import Collection

    from sciqa.chunking import Chunk
    from sciqa.settings import Settings

log = logging.getLogger("sciqa")


DOCUMENTS_KEPT = 256  # documents Store.document keeps read
# Candidates the vector index explores per search (Chroma's default: 100). At 100, the chunks a
# question found changed from one process to the next (the same question, the same store: one
# of the 20 nearest missing in two of six runs, which changed the passages answered from); at
# 1000 every chunk of a collection up to that size is reached and larger ones lose less: 20 of
# 20 nearest in every run measured, 6 ms a search against 2 ms at 50,000 chunks.
EF_SEARCH = 1000


class Store:
    """Chunks in Chroma (dense) and in a BM25 index (sparse), described by a manifest."""

    def __init__(self, settings: Settings, embedding_model: str) -> None:
        self.settings = settings
        self.embedding_model = embedding_model
        self.dir = settings.store_dir
        self.manifest_path = self.dir / "manifest.json"
        self.bm25_dir = self.dir / "bm25"
        self._manifest = ManifestFile(self.manifest_path)
        self._client = connect(settings)
        self.collection = self._open_collection()
        self._bm25 = Bm25(
            self.bm25_dir, self._index_chunks, self.count, lambda: ingest_lock(self.dir, 0)
        )
        self._filled_at: object = None  # manifest stamp (or "server") when last seen non-empty
        self._sections: dict[str, tuple[object, tuple[Passage, ...]]] = {}
        self._documents: dict[tuple[str, str], tuple[object, tuple[Passage, ...]]] = {}
        # The finished BM25 build (manifest ``bm25``) the open handles belong to: see follow().
        self._build: str | None = None
        with contextlib.suppress(StoreError):  # unreadable: check_compatible() says so
            m = self.manifest()
            self._build = m.bm25 if m else None
        self._follow_lock = threading.Lock()

    def _open_collection(self) -> Collection:
        try:
            collection = self._client.get_or_create_collection(
                self.settings.collection,
                configuration={"hnsw": {"space": "cosine", "ef_search": EF_SEARCH}},
                embedding_function=None,
            )
        except Exception as e:
            if read_only(e):
                raise read_only_error(self.settings.chroma_url or self.dir, e) from e
            raise StoreError(
                f"cannot open collection {self.settings.collection!r}: {e}. If the store is "
                "corrupt, run `sciqa ingest --rebuild`"
            ) from e
        hnsw = (collection.configuration or {}).get("hnsw") or {}
        if int(hnsw.get("ef_search") or EF_SEARCH) < EF_SEARCH:  # a store made before
            try:
                collection.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
            except Exception as e:  # a store it may not write: searched as it was made
                log.debug("cannot raise ef_search of %s: %s", self.settings.collection, e)
        return collection

    def follow(self) -> bool:
        """Pick up an ingest another process (or another ``Store``) finished since this one
        opened its handles; returns whether it reopened them. Called before every question.

        When the manifest names a finished BM25 build other than the one seen, the BM25 index,
        term statistics and cached sections are dropped (read again when next needed) and Chroma
        is reopened: a ``--rebuild`` replaced the collection, and an embedded Chroma keeps one
        vector index in memory per folder per process that never sees another process's writes
        (measured with chromadb 1.5.9: a new handle, even a new client, still finds the deleted
        chunks; only a client opened after the last one is closed finds the new ones). While an
        ingest runs (``bm25`` is "") the handles are kept: answers come from what was there.
        """
        m = self.manifest()
        build = m.bm25 if m else None
        if not build or build == self._build:
            return False
        with self._follow_lock:
            if build == self._build:
                return False
            if not self.settings.chroma_url:
                # Stops Chroma's in-memory system for this folder unless another client in
                # this process still holds it (that one saw any write made in this process).
                cast("Client", self._client).close()  # PersistentClient's own type
                self._client = connect(self.settings)
            self.collection = self._open_collection()
            self._bm25.forget()
            self._sections = {}
            self._filled_at = None
            self._build = build
            log.info("sciqa: the store at %s changed (build %s); reopened it", self.dir, build)
            return True

    # -- the manifest and the ingest lock (manifest.py) ----------------------------------

    def manifest(self) -> Manifest | None:
        """A copy of the manifest on disk (parsed again only when the file changes), or None."""
        return self._manifest.read()

    def check_compatible(self) -> None:
        """Refuse to query vectors made by another embedding model."""
        m = self.manifest()
        if m is not None and m.embedding_model != self.embedding_model:
            raise StoreMismatchError(
                f"the store at {self.dir} was built with embeddings {m.embedding_model!r}, "
                f"but {self.embedding_model!r} is configured. Set SCIQA_EMBEDDINGS back, or run "
                "`sciqa ingest --rebuild` to re-embed the documents"
            )

    def ingest_lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the store for one ingest, across processes (the system releases it if the
        process dies); wait ``settings.lock_timeout`` seconds for another ingest to finish."""
        return ingest_lock(self.dir, self.settings.lock_timeout)

    # -- Chroma ----------------------------------------------------------------------------

    @property
    def client(self) -> ClientAPI:
        """The Chroma client (embedded or HTTP): for other collections in the same store."""
        return self._client

    def is_empty(self) -> bool:
        """Whether there is nothing to query. Called on every ask, so the collection is counted
        (a full scan in Chroma: 10 ms at 100k chunks) only until it is seen filled, and again
        after the manifest changes."""
        if self.settings.chroma_url:
            # A server's collection is shared: another machine (with its own manifest) may have
            # filled it, so only an empty collection means "ingest the default corpus here".
            if self._filled_at != "server":
                self._filled_at = "server" if self.count() else None
            return self._filled_at is None
        m = self.manifest()
        if m is None or not m.files:
            return True
        stamp = self._manifest.stamp
        if self._filled_at != stamp:
            self._filled_at = stamp if self.count() else None
        return self._filled_at is None

    def count(self) -> int:
        return int(self.collection.count())

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Store ``chunks`` in Chroma, then in the BM25 index (an id there is replaced)."""
        self.collection.upsert(
            ids=[c.id for c in chunks],
            embeddings=vectors,
            documents=[c.text for c in chunks],
            metadatas=[metadata(c) for c in chunks],
        )
        self._bm25.writer().add([(c.id, c.source, index_text(c.title, c.text)) for c in chunks])

    def delete_stale(self, new_ids: dict[str, set[str]]) -> int:
        """Delete each file's chunks that are not among its ``new_ids`` (what its previous
        version left): one lookup and one delete per 500 files."""
        return self._delete(new_ids)

    def delete_sources(self, sources: Iterable[str]) -> int:
        """Delete every chunk of these files: one lookup and one delete per 500 files."""
        return self._delete({s: set() for s in sources})

    def _delete(self, keep: dict[str, set[str]]) -> int:
        """Delete each file's chunks but those ``keep`` names, from Chroma, then from the BM25
        index (by its own record of each file's chunks: a kill between the two is mended by the
        next ingest, which does the file again)."""
        deleted, names = 0, list(keep)
        for b in range(0, len(names), 500):
            part = names[b : b + 500]
            where: Any = {"source": part[0]} if len(part) == 1 else {"source": {"$in": part}}
            kept = set().union(*(keep[s] for s in part))  # ids hash the source: no clashes
            found = self.collection.get(where=where, include=[])["ids"]
            gone = [cid for cid in found if cid not in kept]
            if gone:
                self.collection.delete(ids=gone)
                deleted += len(gone)
        if names:
            self._bm25.writer().delete_stale(keep)
        return deleted

    def reset(self) -> None:
        """Drop every chunk and the BM25 index. The manifest and ``sources.json`` are kept: an
        ingest writes, before it calls this, a manifest that vouches for no file and has every
        dropped one pending, so a kill from here on leaves a store that says what to redo."""
        with contextlib.suppress(Exception):  # not there: nothing to drop
            self._client.delete_collection(self.settings.collection)
        self.collection = self._open_collection()
        self._bm25.writer().clear()
        self._filled_at = None

    def dense_search(self, vector: Sequence[float], k: int) -> list[tuple[str, float]]:
        """Nearest chunks by cosine similarity (``1 - distance``), nearest first."""
        query: list[Sequence[float] | Sequence[int]] = [list(vector)]  # chromadb's own type
        got = self.collection.query(
            query_embeddings=query, n_results=k, include=["documents", "distances"]
        )
        docs, distances = (got["documents"] or [[]])[0], (got["distances"] or [[]])[0]
        # a row without a document is skipped, as langchain-chroma's search (used before) did
        return [
            (str(cid), 1.0 - float(distance))
            for cid, doc, distance in zip(got["ids"][0], docs, distances)
            if doc is not None
        ]

    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        if not ids:
            return {}
        got = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        return {p.chunk_id: p for p in passages_of(got)}

    def _version(self) -> str | int:
        """What changes when the collection does: the BM25 build id, else the chunk count."""
        build = self.bm25_build() if not self.settings.chroma_url else None
        return build or self.count()

    def section(self, section: str, limit: int = 20_000) -> tuple[Passage, ...]:
        """Every chunk of one section (``"job"``: the job listings), in file order, at most
        ``limit`` (a warning says when there are more). Read once per BM25 build: the result is
        kept until an ingest changes the collection (or, with no build id, its chunk count)."""
        key = (self._version(), limit)
        cached = self._sections.get(section)
        if cached is not None and cached[0] == key:
            return cached[1]
        got = self.collection.get(
            where={"section": section}, include=["documents", "metadatas"], limit=limit + 1
        )
        rows = passages_of(got)
        if len(rows) > limit:
            log.warning(
                "sciqa: warning: more than %d %r chunks in %s; using the first %d",
                limit, section, self.dir, limit,
            )  # fmt: skip
        chunks = tuple(sorted(rows[:limit], key=lambda p: (p.source, p.start, p.end)))
        self._sections[section] = (key, chunks)
        return chunks

    def document(self, source: str, title: str, limit: int = 400) -> tuple[Passage, ...]:
        """The chunks of one document, ``source``'s under ``title`` (an article, or one job
        listing), in file order, at most ``limit`` of them. Kept until the collection changes
        (at most :data:`DOCUMENTS_KEPT` documents)."""
        key = self._version()
        cached = self._documents.get((source, title))
        if cached is not None and cached[0] == key:
            return cached[1]
        got = self.collection.get(
            where={"$and": [{"source": source}, {"title": title}]},
            include=["documents", "metadatas"],
            limit=limit,
        )
        chunks = tuple(sorted(passages_of(got), key=lambda p: p.start))
        if len(self._documents) >= DOCUMENTS_KEPT:
            self._documents.clear()
        self._documents[(source, title)] = (key, chunks)
        return chunks

    def _index_chunks(self) -> Iterator[tuple[str, str, str]]:
        """Every chunk's id, source and :func:`index_text`, in the collection's order."""
        total, batch = self.count(), 5000
        for offset in range(0, total, batch):
            got = self.collection.get(
                include=["documents", "metadatas"], limit=batch, offset=offset
            )
            for cid, doc, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or []):
                yield cid, str(meta["source"]), index_text(str(meta.get("title", "")), doc or "")

    # -- the sparse index (sparse.py, kept by bm25.py) ------------------------------------

    def seal_bm25(self) -> str:
        """Name the BM25 index as it stands (built again from the collection if its chunk count
        differs) with a new build id: the manifest's ``bm25`` once the ingest is done."""
        build = self._bm25.seal()
        self._build = build  # this store wrote it: its own handles are current
        return build

    def rebuild_bm25(self) -> str:
        """Build the BM25 index whole from every chunk in the collection; returns its build id."""
        build = self._bm25.rebuild()
        self._build = build
        return build

    def bm25_build(self) -> str | None:
        """The id of the saved BM25 index, or None if there is none (or it is unreadable)."""
        return self._bm25.build()

    def _manifest_build(self) -> str | None:
        m = None if self.settings.chroma_url else self.manifest()
        return m.bm25 if m is not None else None

    @property
    def sparse(self) -> SparseIndex:
        """The BM25 index that matches the collection: the saved one (as it stands while an
        ingest runs), else one built from the collection (``bm25.load_or_build``)."""
        return self._bm25.reader(self._manifest_build())

    @property
    def lexicon(self) -> Lexicon:
        return self.sparse.lexicon

    def bm25_search(self, query: str, k: int) -> list[tuple[str, float]]:
        return self._bm25.search(self._manifest_build(), query, k)
