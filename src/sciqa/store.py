"""The Chroma collection, the BM25 index beside it, and the manifest that describes both.

Layout under ``<home>/store``:

    chroma/          Chroma's persistent files (absent in server mode, SCIQA_CHROMA_URL)
    bm25/            the BM25 index over every chunk, with the chunk ids in index order
    manifest.json    embedding model, chunker settings, tokenizer, and each ingested file's hash
    sources.json     the folders and files the store mirrors (``sources.py``): never dropped

The manifest is written first and last, atomically: before an ingest touches a file's chunks
it lists the file under ``pending``, and only when the file's new chunks are all stored (its old
ones deleted after) does the file's entry change and leave ``pending``; ``bm25`` names the BM25
build that matches the collection. So a run killed at any point leaves a manifest that says
what may be out of step, and the next ingest redoes exactly that. One ingest writes at a time
(``ingest.lock``, released by the system if the process dies).

In server mode the vectors live in the Chroma server and the manifest and BM25 index stay under
``<home>/store``: the BM25 index is built from the server's collection (after an ingest, or on
the first query of a process whose index is missing or whose id count differs from the
collection's), so any machine pointed at the same server can answer.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from sciqa.errors import StoreError, StoreLockedError, StoreMismatchError, StoreReadOnlyError
from sciqa.lexical import Lexicon, term_words, terms
from sciqa.schema import Passage

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.client import Client
    from chromadb.api.models.Collection import Collection
    from langchain_chroma import Chroma

    from sciqa.chunking import Chunk
    from sciqa.settings import Settings

MANIFEST_VERSION = 1
log = logging.getLogger("sciqa")


@dataclass
class Manifest:
    embedding_model: str
    chunking: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    version: int = MANIFEST_VERSION
    # Files an unfinished ingest may have written or deleted chunks of: not to be trusted.
    pending: list[str] = field(default_factory=list)
    # The BM25 build that matches the collection; "" while an ingest changes it; None: unknown
    # (stores written before this field), checked by counting chunks instead.
    bm25: str | None = None

    @classmethod
    def read(cls, path: Path) -> Manifest | None:
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**data)
            if not isinstance(manifest.files, dict) or not isinstance(manifest.pending, list):
                raise ValueError("'files' or 'pending' has the wrong type")
            return manifest
        except (OSError, ValueError, TypeError) as e:
            raise StoreError(
                f"the store manifest {path} is unreadable ({e}); "
                "run `sciqa ingest --rebuild` to rebuild the store from the documents"
            ) from e

    def write(self, path: Path) -> None:
        # compact: json's C encoder does not indent, and this is rewritten after every batch
        _atomic_write(path, json.dumps(self.__dict__, sort_keys=True, separators=(",", ":")))


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_unlocked(db: Path, wait: float) -> None:
    """Fail, after ``wait`` seconds, if another process holds a write lock on Chroma's SQLite file.

    Chroma itself would wait for as long as the lock is held (it writes when it opens a store).
    """
    if not db.exists():
        return
    try:
        con = sqlite3.connect(db, timeout=wait, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
        finally:
            con.close()
    except sqlite3.OperationalError as e:
        if "locked" not in str(e) and "busy" not in str(e):
            return  # not a lock (a corrupt file, say): Chroma says what it is
        raise StoreLockedError(
            f"the store at {db.parent.parent} is locked by another process (waited {wait:g}s): "
            f"another `sciqa ingest`, or a program that has {db} open, is writing to it. Wait "
            "for it to finish or close that program, then try again (SCIQA_LOCK_TIMEOUT sets "
            "the wait)"
        ) from e
    except sqlite3.DatabaseError:
        return  # corrupt: Chroma says so when it opens the file


def read_only(e: BaseException) -> bool:
    """Whether ``e`` says the store cannot be written: SQLite's "attempt to write a readonly
    database" (which Chroma passes on inside its own error types), or a read-only disk."""
    if isinstance(e, OSError) and e.errno == errno.EROFS:
        return True
    text = str(e).lower()
    return "readonly database" in text or "read-only file system" in text


def read_only_error(where: object, e: BaseException) -> StoreReadOnlyError:
    """The error for a store that cannot be written, saying so (it is not corrupt)."""
    reason = " ".join(str(e).split())[:200] or type(e).__name__
    return StoreReadOnlyError(
        f"the store at {where} is read-only ({reason}); Chroma writes to it whenever it opens "
        "it, even to answer. Nothing is wrong with the store: make it writable for this user, "
        "or set SCIQA_HOME to a folder you can write to"
    )


def set_aside(settings: Settings) -> Path:
    """Move an embedded store that cannot be opened out of the way (kept, not deleted), so that
    ``sciqa ingest --rebuild`` can build a new one; returns where it went."""
    if settings.chroma_url:
        raise StoreError(
            f"the Chroma server at {settings.chroma_url} cannot be used; repair or restart it "
            "(sciqa does not delete a server's data)"
        )
    from chromadb.api.client import SharedSystemClient

    target = settings.home / f"store.unreadable-{time.strftime('%Y%m%d-%H%M%S')}"
    os.replace(settings.store_dir, target)
    SharedSystemClient.clear_system_cache()  # forget the client that failed on the old files
    return target


def _client(settings: Settings) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            from urllib.parse import urlparse

            url = urlparse(settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or 8000,
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        path = settings.store_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        _check_unlocked(path / "chroma.sqlite3", settings.lock_timeout)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except StoreError:
        raise
    except Exception as e:  # chromadb raises many types for a bad path or server
        where = settings.chroma_url or str(settings.store_dir / "chroma")
        if "disk is full" in str(e) or "No space left" in str(e):
            raise StoreError(
                f"the disk holding {where} is full, and Chroma needs some room to open the "
                "store: free some space and try again (the store itself is intact)"
            ) from e
        if read_only(e):
            raise read_only_error(where, e) from e
        if isinstance(e, OSError) and not settings.chroma_url:
            raise StoreError(
                f"cannot create the store at {where}: {e.strerror or e}. Check that SCIQA_HOME "
                f"({settings.home}) is a folder you can write to"
            ) from e
        raise StoreError(
            f"cannot open the Chroma store at {where}: {e}. If it is corrupt, run "
            "`sciqa ingest --rebuild`"
        ) from e


class Store:
    """Chunks in Chroma (dense) and in a BM25 index (sparse), described by a manifest."""

    def __init__(self, settings: Settings, embedding_model: str) -> None:
        self.settings = settings
        self.embedding_model = embedding_model
        self.dir = settings.store_dir
        self.manifest_path = self.dir / "manifest.json"
        self.bm25_dir = self.dir / "bm25"
        self._client = _client(settings)
        self.collection = self._open_collection()
        self._vectorstore: Chroma | None = None
        self._bm25: Any = None
        self._bm25_ids: list[str] = []
        self._lexicon: Lexicon | None = None
        self._manifest: tuple[tuple[int, int, int], Manifest | None] | None = None
        self._filled_at: object = None  # manifest stamp (or "server") when last seen non-empty
        self._sections: dict[str, tuple[object, tuple[Passage, ...]]] = {}
        # The finished BM25 build (manifest ``bm25``) the open handles belong to: see follow().
        self._build: str | None = None
        with contextlib.suppress(StoreError):  # unreadable: check_compatible() says so
            m = self.manifest()
            self._build = m.bm25 if m else None
        self._follow_lock = threading.Lock()

    def _open_collection(self) -> Collection:
        try:
            return self._client.get_or_create_collection(
                self.settings.collection,
                metadata={"hnsw:space": "cosine"},
                embedding_function=None,
            )
        except Exception as e:
            if read_only(e):
                raise read_only_error(self.settings.chroma_url or self.dir, e) from e
            raise StoreError(
                f"cannot open collection {self.settings.collection!r}: {e}. If the store is "
                "corrupt, run `sciqa ingest --rebuild`"
            ) from e

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
                self._client = _client(self.settings)
            self.collection = self._open_collection()
            self._vectorstore = None
            self._bm25, self._bm25_ids, self._lexicon = None, [], None
            self._sections = {}
            self._filled_at = None
            self._build = build
            log.info("sciqa: the store at %s changed (build %s); reopened it", self.dir, build)
            return True

    # -- manifest ------------------------------------------------------------------------

    def manifest(self) -> Manifest | None:
        """The manifest on disk, parsed again only when the file changes (every ask reads it)."""
        try:
            st = self.manifest_path.stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)  # replaced, never edited in place
        except FileNotFoundError:
            return None
        if self._manifest is None or self._manifest[0] != stamp:
            self._manifest = (stamp, Manifest.read(self.manifest_path))
        m = self._manifest[1]
        # a copy: callers (ingest) change it
        if m is None:
            return None
        return Manifest(**{**m.__dict__, "files": dict(m.files), "pending": list(m.pending)})

    def check_compatible(self) -> None:
        """Refuse to query vectors made by another embedding model."""
        m = self.manifest()
        if m is not None and m.embedding_model != self.embedding_model:
            raise StoreMismatchError(
                f"the store at {self.dir} was built with embeddings {m.embedding_model!r}, "
                f"but {self.embedding_model!r} is configured. Set SCIQA_EMBEDDINGS back, or run "
                "`sciqa ingest --rebuild` to re-embed the documents"
            )

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
        stamp = self._manifest[0] if self._manifest else None
        if self._filled_at != stamp:
            self._filled_at = stamp if self.count() else None
        return self._filled_at is None

    def count(self) -> int:
        return int(self.collection.count())

    # -- writes --------------------------------------------------------------------------

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        self.collection.upsert(
            ids=[c.id for c in chunks],
            embeddings=vectors,
            documents=[c.text for c in chunks],
            metadatas=[
                {
                    "source": c.source,
                    "title": c.title,
                    "section": c.section,
                    "location": c.location,
                    "start": c.start,
                    "end": c.end,
                    "spans": json.dumps(c.spans),
                }
                for c in chunks
            ],
        )

    def delete_stale(self, new_ids: dict[str, set[str]]) -> int:
        """Delete each file's chunks that are not among its ``new_ids`` (what its previous
        version left): one lookup and one delete per 500 files."""
        deleted, names = 0, list(new_ids)
        for b in range(0, len(names), 500):
            part = names[b : b + 500]
            where: Any = {"source": part[0]} if len(part) == 1 else {"source": {"$in": part}}
            keep = set().union(*(new_ids[s] for s in part))  # ids hash the source: no clashes
            found = self.collection.get(where=where, include=[])["ids"]
            stale = [cid for cid in found if cid not in keep]
            if stale:
                self.collection.delete(ids=stale)
                deleted += len(stale)
        return deleted

    @contextlib.contextmanager
    def ingest_lock(self) -> Iterator[None]:
        """Hold the store for one ingest, across processes (the system releases it if the
        process dies); wait ``settings.lock_timeout`` seconds for another ingest to finish."""
        try:
            import fcntl
        except ImportError:  # not a POSIX system: no lock across processes
            yield
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "ingest.lock", "a+", encoding="utf-8") as f:
            deadline = time.monotonic() + self.settings.lock_timeout
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        f.seek(0)
                        holder = f.read().strip()
                        raise StoreLockedError(
                            f"another ingest (process {holder or '?'}) is writing to the store "
                            f"at {self.dir}; wait for it to finish, then try again "
                            "(SCIQA_LOCK_TIMEOUT sets how long to wait)"
                        ) from None
                    time.sleep(0.1)
            try:
                f.seek(0)
                f.truncate()
                f.write(str(os.getpid()))
                f.flush()
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def delete_sources(self, sources: Iterable[str]) -> int:
        """Delete every chunk of these files: one lookup and one delete per 500 files."""
        deleted, names = 0, list(sources)
        for b in range(0, len(names), 500):
            part = names[b : b + 500]
            where: Any = {"source": part[0]} if len(part) == 1 else {"source": {"$in": part}}
            found = self.collection.get(where=where, include=[])
            if found["ids"]:
                self.collection.delete(ids=found["ids"])
                deleted += len(found["ids"])
        return deleted

    def reset(self) -> None:
        """Drop every chunk and the BM25 index. The manifest and ``sources.json`` are kept: an
        ingest writes, before it calls this, a manifest that vouches for no file and has every
        dropped one pending, so a kill from here on leaves a store that says what to redo."""
        with contextlib.suppress(Exception):  # not there: nothing to drop
            self._client.delete_collection(self.settings.collection)
        self.collection = self._open_collection()
        shutil.rmtree(self.bm25_dir, ignore_errors=True)
        self._bm25 = None
        self._vectorstore = None
        self._filled_at = None

    # -- BM25 ----------------------------------------------------------------------------

    def _all_texts(self) -> tuple[list[str], list[str]]:
        ids: list[str] = []
        texts: list[str] = []
        total, batch = self.count(), 5000
        for offset in range(0, total, batch):
            got = self.collection.get(
                include=["documents", "metadatas"], limit=batch, offset=offset
            )
            for cid, doc, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or []):
                ids.append(cid)
                texts.append(index_text(str(meta.get("title", "")), doc or ""))
        return ids, texts

    def _build_bm25(self) -> tuple[list[str], Any, Lexicon]:
        """The BM25 model (False when there are no chunks) and term statistics of every chunk."""
        import bm25s

        ids, texts = self._all_texts()
        tokenized = []
        df: Counter[str] = Counter()
        surface: dict[str, str] = {}
        for text in texts:
            pairs = term_words(text)
            toks = [t for t, _ in pairs]
            tokenized.append(toks)
            df.update(set(toks))
            for t, w in pairs:
                surface.setdefault(t, w)
        model: Any = False
        if ids:
            model = bm25s.BM25()
            model.index(tokenized, show_progress=False)
        return ids, model, Lexicon(len(ids), dict(df), surface)

    def _save_bm25(self, ids: list[str], model: Any, lexicon: Lexicon) -> str:
        """Write the index under ``bm25/``, replacing the old one whole; returns its build id."""
        build = uuid.uuid4().hex
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.dir, prefix=".bm25."))
        old = self.dir / f".bm25.old.{build}"
        try:
            if model:
                model.save(str(tmp), show_progress=False)
            (tmp / "ids.json").write_text(json.dumps(ids), encoding="utf-8")
            (tmp / "lexicon.json").write_text(
                json.dumps(
                    {"n_docs": lexicon.n_docs, "df": lexicon.df, "surface": lexicon.surface}
                ),
                encoding="utf-8",
            )
            (tmp / "build.txt").write_text(build, encoding="utf-8")
            if self.bm25_dir.exists():
                os.replace(self.bm25_dir, old)
            os.replace(tmp, self.bm25_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
        return build

    def rebuild_bm25(self) -> str:
        """Build the BM25 index and term statistics from every chunk in the collection and save
        them; returns the build id (the manifest's ``bm25`` once the ingest is done)."""
        build = self._save_bm25(*self._build_bm25())
        self._bm25 = None
        self._build = build  # this store wrote it: its own handles are current
        return build

    def bm25_build(self) -> str | None:
        """The id of the saved BM25 index, or None if there is none (or it was invalidated)."""
        try:
            return (self.bm25_dir / "build.txt").read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def _read_bm25(self) -> tuple[list[str], Any, Lexicon]:
        import bm25s

        ids = json.loads((self.bm25_dir / "ids.json").read_text(encoding="utf-8"))
        lex = json.loads((self.bm25_dir / "lexicon.json").read_text(encoding="utf-8"))
        model: Any = False
        if ids:
            model = bm25s.BM25.load(str(self.bm25_dir), mmap=False, show_progress=False)
            if model.scores["num_docs"] != len(ids):
                raise ValueError(f"{len(ids)} ids for {model.scores['num_docs']} documents")
        return (
            list(ids),
            model,
            Lexicon(int(lex["n_docs"]), dict(lex["df"]), dict(lex.get("surface", {}))),
        )

    def _load_bm25(self) -> None:
        """Load the saved BM25 index; build it from the collection instead when it does not match
        it (an ingest running or killed, a server another machine filled) or cannot be read."""
        m = None if self.settings.chroma_url else self.manifest()
        tracked = m is not None and m.bm25 is not None
        problem: Exception | None = None
        try:
            if m is not None and m.bm25 is not None:
                fresh = m.bm25 != "" and self.bm25_build() == m.bm25
            else:
                ids_file = self.bm25_dir / "ids.json"
                fresh = (
                    ids_file.exists()
                    and len(json.loads(ids_file.read_text(encoding="utf-8"))) == self.count()
                )
            if fresh:
                self._bm25_ids, self._bm25, self._lexicon = self._read_bm25()
                return
        except Exception as e:  # a garbled or half-copied index: it is only derived data
            problem = e
            if tracked:  # so that the next ingest rebuilds it on disk
                with contextlib.suppress(OSError):
                    (self.bm25_dir / "build.txt").unlink(missing_ok=True)
        ids, model, lexicon = self._build_bm25()
        self._bm25_ids, self._bm25, self._lexicon = ids, model, lexicon
        if problem is not None:
            log.warning(
                "sciqa: warning: the BM25 index in %s cannot be read (%s); using one rebuilt "
                "from the collection. Run `sciqa ingest` to repair it on disk",
                self.bm25_dir,
                _short(problem),
            )
        elif tracked:
            log.warning(
                "sciqa: warning: an ingest into %s is running or did not finish; answering "
                "from what is stored so far. Run `sciqa ingest` again to finish it",
                self.dir,
            )
        if not tracked:  # the old rule: save it for the next process (best effort)
            with contextlib.suppress(OSError):
                self._save_bm25(ids, model, lexicon)

    @property
    def lexicon(self) -> Lexicon:
        if self._bm25 is None:
            self._load_bm25()
        assert self._lexicon is not None
        return self._lexicon

    # -- reads ---------------------------------------------------------------------------

    def bm25_search(self, query: str, k: int) -> list[tuple[str, float]]:
        if self._bm25 is None:
            self._load_bm25()
        q = [t for t in terms(query) if t in self._bm25.vocab_dict] if self._bm25 else []
        if not q:
            return []
        k = min(k, len(self._bm25_ids))
        docs, scores = self._bm25.retrieve([q], k=k, show_progress=False)
        return [(self._bm25_ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def dense_search(self, vector: Sequence[float], k: int) -> list[tuple[str, float]]:
        """Nearest chunks by cosine similarity, through LangChain's Chroma vector store."""
        hits = self.vectorstore.similarity_search_by_vector_with_relevance_scores(list(vector), k=k)
        return [(str(doc.id), 1.0 - float(distance)) for doc, distance in hits]

    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        if not ids:
            return {}
        got = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        return {
            cid: _passage(cid, doc, meta)
            for cid, doc, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [])
        }

    def section(self, section: str, limit: int = 20_000) -> tuple[Passage, ...]:
        """Every chunk of one section (``"job"``: the job listings), in file order, at most
        ``limit`` (a warning says when there are more). Read once per BM25 build: the result is
        kept until an ingest changes the collection (or, with no build id, its chunk count)."""
        build = self.bm25_build() if not self.settings.chroma_url else None
        key = (build, limit) if build else (self.count(), limit)
        cached = self._sections.get(section)
        if cached is not None and cached[0] == key:
            return cached[1]
        got = self.collection.get(
            where={"section": section}, include=["documents", "metadatas"], limit=limit + 1
        )
        rows = list(zip(got["ids"], got["documents"] or [], got["metadatas"] or []))
        if len(rows) > limit:
            log.warning(
                "sciqa: warning: more than %d %r chunks in %s; using the first %d",
                limit, section, self.dir, limit,
            )  # fmt: skip
            rows = rows[:limit]
        chunks = tuple(
            sorted((_passage(*row) for row in rows), key=lambda p: (p.source, p.start, p.end))
        )
        self._sections[section] = (key, chunks)
        return chunks

    @property
    def vectorstore(self) -> Chroma:
        """The same collection as a LangChain ``VectorStore`` (langchain-chroma)."""
        if self._vectorstore is None:
            from langchain_chroma import Chroma

            self._vectorstore = Chroma(
                client=self._client,
                collection_name=self.settings.collection,
                collection_metadata={"hnsw:space": "cosine"},
            )
        return self._vectorstore


def _passage(cid: str, doc: str | None, meta: Any) -> Passage:
    """A stored chunk as a ``Passage`` (score 0: not retrieved for any question)."""
    return Passage(
        chunk_id=cid,
        text=doc or "",
        source=str(meta["source"]),
        title=str(meta["title"]),
        section=str(meta["section"]),
        location=str(meta.get("location", "")),
        start=int(meta["start"]),
        end=int(meta["end"]),
        spans=tuple(tuple(s) for s in json.loads(str(meta["spans"]))),
        score=0.0,
    )


def _short(e: Exception, limit: int = 160) -> str:
    text = " ".join(f"{type(e).__name__}: {e}".split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def index_text(title: str, text: str) -> str:
    """What is embedded and indexed for a chunk: its document title gives it context."""
    return f"{title}\n{text}" if title else text
