"""Ingest: make the store mirror a set of files, doing only the work that changed.

Each file is identified by its source name and content hash. Unchanged files are skipped, a
changed file's chunks are replaced, a removed file's chunks are deleted. Chunks are embedded and
written in batches that span files (one model call, one upsert per batch); the manifest is
updated after each batch with the files it finished, so an interrupted ingest resumes where it
stopped. A changed file's old chunks are deleted only once its new ones are all stored, so the
store keeps answering from the old version if the run is killed or the disk fills. A file ingested
before that cannot be read now (an I/O error, a file being rewritten) keeps its chunks.

The roots an ingest is given are recorded (``sources.py``) before the manifest is first written,
so that a run killed at any point, a ``--rebuild`` included, is redone from the same documents.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from sciqa import sources
from sciqa.chunking import TOKENIZER, Chunk, chunk_documents
from sciqa.documents import SourceFile, discover, parse, read_file, shown
from sciqa.embeddings import embed_array
from sciqa.errors import IngestError, SciQAError, StoreError
from sciqa.schema import IngestReport, Skipped
from sciqa.settings import Settings
from sciqa.store import Manifest, Store, index_text, read_only, read_only_error

# 2: a job listing is titled with its role ("Applied Scientist · IL, Haifa"); 3: offsets index
# the text as open() reads it (a BOM kept, CRLF read as LF), so such files are chunked again
PARSER_VERSION = 3


def chunking_config(settings: Settings) -> dict[str, object]:
    return {
        "tokenizer": TOKENIZER,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "parser": PARSER_VERSION,
    }


def read_all(
    roots: Sequence[Path],
    unreadable: dict[str, int] | None = None,
    *,
    follow_links: bool = False,
) -> tuple[dict[str, SourceFile], list[Skipped]]:
    """Every usable file under ``roots`` by source name, and the files skipped with why.

    ``unreadable``, if given, gets the source name of each file that exists but cannot be used
    (empty, binary, too large, not UTF-8, not a regular file, an I/O error), with its index in
    the skipped list. A link that leaves its folder is skipped unless ``follow_links`` (and is
    not "unreadable": what the store has of it is removed).
    """
    files: dict[str, SourceFile] = {}
    skipped: list[Skipped] = []
    by_hash: dict[str, str] = {}
    for found in discover(roots, follow_links=follow_links):
        if isinstance(found, Skipped):
            skipped.append(found)
            continue
        path, source = found
        read = read_file(path, source)
        if isinstance(read, Skipped):
            if unreadable is not None:
                unreadable[source] = len(skipped)
            skipped.append(read)
        elif read.sha256 in by_hash:
            skipped.append(Skipped(str(path), f"same content as {by_hash[read.sha256]}"))
        elif source in files:
            skipped.append(Skipped(str(path), f"another file is already named {source!r}"))
        else:
            files[source] = read
            by_hash[read.sha256] = source
    return files, skipped


def chunk_file(file: SourceFile, settings: Settings) -> list[Chunk]:
    docs = parse(file.source, file.text)
    return chunk_documents(docs, settings.chunk_tokens, settings.chunk_overlap)


def ingest(
    store: Store,
    embeddings: Embeddings,
    settings: Settings,
    roots: Sequence[Path],
    *,
    dry_run: bool = False,
    rebuild: bool = False,
    follow_links: bool = False,
) -> IngestReport:
    began = time.perf_counter()
    roots = [sources.absolute(r) for r in roots]  # recorded as absolute paths
    missing = [str(r) for r in roots if not r.exists()]
    if missing:
        raise IngestError(f"no such file or folder: {', '.join(missing)}")
    unreadable: dict[str, int] = {}
    files, skipped = read_all(roots, unreadable, follow_links=follow_links)
    if not files:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped) or "no .txt or .md files"
        where = ", ".join(map(str, roots))
        raise IngestError(shown(f"nothing to ingest under {where} ({reasons})"))
    if dry_run:
        return _sync(store, embeddings, settings, roots, files, skipped, unreadable, began, True)
    with store.ingest_lock():
        try:
            # Before anything is written or dropped: what the store is to mirror (a run killed
            # from here on is finished, or redone, from these roots, never the bundled corpus).
            sources.record(store.dir, roots)
            return _sync(
                store,
                embeddings,
                settings,
                roots,
                files,
                skipped,
                unreadable,
                began,
                False,
                rebuild,
            )
        except SciQAError:
            raise
        except Exception as e:
            if _disk_full(e, store.dir):
                raise StoreError(
                    f"the disk holding {settings.home} is full ({_short(e)}). Free some space, "
                    "then run `sciqa ingest` again to finish: nothing was lost, the store answers "
                    "as it did before, with the files finished before the disk filled"
                ) from e
            if read_only(e):
                raise read_only_error(store.dir, e) from e
            if type(e).__module__.startswith("chromadb"):
                raise StoreError(
                    f"Chroma could not write to the store at {store.dir} ({_short(e)}). Nothing "
                    "was lost: the store answers as it did before; run `sciqa ingest` again to "
                    "finish, and `sciqa ingest --rebuild` if this happens again"
                ) from e
            raise


LOW_DISK_BYTES = 32 * 2**20  # after a failed write, less room than this means the disk filled


def _disk_full(e: BaseException, where: Path) -> bool:
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(e).lower()  # Chroma reports SQLite's and the system's words, or neither
    if "disk is full" in text or "no space left" in text:
        return True
    try:  # a full disk can surface as any error; the write that failed may have freed its room
        return shutil.disk_usage(where).free < LOW_DISK_BYTES
    except OSError:
        return False


def _short(e: BaseException, limit: int = 160) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sync(
    store: Store,
    embeddings: Embeddings,
    settings: Settings,
    roots: list[Path],
    files: dict[str, SourceFile],
    skipped: list[Skipped],
    unreadable: dict[str, int],
    began: float,
    dry_run: bool,
    rebuild: bool = False,
) -> IngestReport:
    """Work out what changed against the manifest and, unless ``dry_run``, write it."""
    before = None if rebuild else store.manifest()
    config = chunking_config(settings)
    if before is not None and before.embedding_model != store.embedding_model:
        store.check_compatible()  # raises with what to do
    known = before.files if before and before.chunking == config else {}
    previous = before.files if before else {}
    # Files a killed or failed run was writing: their chunks may not match their entries.
    unfinished = set(before.pending) if before else set()
    # A file ingested before that exists but cannot be read now keeps what the store has of it.
    kept = {s for s in previous if s in unreadable and s not in files and s not in unfinished}
    for s in kept:
        i = unreadable[s]
        skipped[i] = Skipped(
            skipped[i].path, f"{skipped[i].reason}; the copy ingested before is kept"
        )
    added = [s for s in files if s not in previous]
    changed = [
        s
        for s in files
        if s in previous and (s in unfinished or known.get(s, {}).get("sha256") != files[s].sha256)
    ]
    unchanged = [s for s in files if s not in added and s not in changed]
    removed = [s for s in previous if s not in files and s not in kept]
    removed += sorted(s for s in unfinished if s not in previous and s not in files)
    report: dict[str, Any] = dict(
        added=tuple(added),
        changed=tuple(changed),
        removed=tuple(removed),
        unchanged=tuple(unchanged),
        skipped=tuple(skipped),
    )
    if dry_run:
        return IngestReport(**report, seconds=time.perf_counter() - began, dry_run=True)

    todo = {s: files[s] for s in added + changed}
    work = bool(todo or removed or rebuild)
    dropped: set[str] = set()  # a rebuild drops everything the old manifest knew of
    if rebuild:
        with contextlib.suppress(SciQAError):  # unreadable: nothing to add
            old = store.manifest()
            dropped = set(old.files) | set(old.pending) if old else set()
    # First, say what this run will touch: those files are pending until done, and the BM25
    # index is stale ("") until rebuilt. A changed file keeps its old entry (its old chunks
    # stay until its new ones are all stored).
    manifest = Manifest(
        store.embedding_model,
        config,
        {s: v for s, v in previous.items() if s not in removed},
        [str(r) for r in roots],
        pending=sorted(set(todo) | set(removed) | dropped),
        bm25="" if work else (before.bm25 if before else None),
    )
    manifest.write(store.manifest_path)
    if rebuild:
        store.reset()
    deleted = store.delete_sources(removed)
    gone = set(removed)
    manifest.pending = [s for s in manifest.pending if s not in gone]
    written, more_deleted = _write(store, embeddings, settings, manifest, todo)
    deleted += more_deleted
    if work or not manifest.bm25 or store.bm25_build() != manifest.bm25:
        manifest.bm25 = store.rebuild_bm25()
    manifest.pending = []
    manifest.write(store.manifest_path)
    return IngestReport(
        **report,
        chunks_added=written,
        chunks_deleted=deleted,
        seconds=time.perf_counter() - began,
    )


def _write(
    store: Store,
    embeddings: Embeddings,
    settings: Settings,
    manifest: Manifest,
    todo: dict[str, SourceFile],
) -> tuple[int, int]:
    """Chunk, embed and store ``todo`` in batches of ``settings.ingest_batch`` chunks that may
    span files; returns (chunks written, old chunks deleted).

    A batch is one embedding call and one upsert. When a file's last chunk is stored, the chunks
    its previous version left are deleted, its entry is updated and it leaves ``pending`` (the
    manifest is written once per batch), so a run stopped at any point is continued by the next.
    """
    written = deleted = 0
    pending: list[Chunk] = []
    left: dict[str, int] = {}  # chunks of a started file not stored yet
    new_ids: dict[str, set[str]] = {}  # ids of the chunks of each started file
    done: list[str] = []  # files wholly stored since the manifest was last written

    def flush() -> None:
        nonlocal written, deleted, pending
        if pending:
            texts = [index_text(c.title, c.text) for c in pending]
            store.add(pending, embed_array(embeddings, texts))
            written += len(pending)
            for c in pending:
                left[c.source] -= 1
                if not left[c.source]:
                    del left[c.source]
                    done.append(c.source)
            bars.chunks(len(pending))
        if done:
            # what the previous version (or an interrupted run) left of these files
            deleted += store.delete_stale({s: new_ids.pop(s) for s in done})
            for source in done:
                manifest.files[source] = {
                    "sha256": todo[source].sha256,
                    "chunks": chunk_counts[source],
                }
            finished = set(done)
            manifest.pending = [s for s in manifest.pending if s not in finished]
            manifest.write(store.manifest_path)
            bars.files(len(done))
            done.clear()
        pending = []

    batch = settings.ingest_batch
    chunk_counts: dict[str, int] = {}
    with _Progress(len(todo), settings.progress) as bars:
        for source, file in todo.items():
            chunks = chunk_file(file, settings)
            chunk_counts[source] = len(chunks)
            new_ids[source] = {c.id for c in chunks}
            if not chunks:
                done.append(source)
                continue
            left[source] = len(chunks)
            for chunk in chunks:
                pending.append(chunk)
                if len(pending) >= batch:
                    flush()
        flush()
    return written, deleted


class _Progress:
    """Two bars on stderr: files finished (of all to do) and chunks embedded; or nothing."""

    def __init__(self, files: int, enabled: bool) -> None:
        self._bars: list[Any] = []
        if enabled and files:
            from tqdm import tqdm

            self._bars = [
                tqdm(total=files, desc="Ingesting files", unit="file", leave=False, position=0),
                tqdm(desc="Embedding chunks", unit="chunk", leave=False, position=1),
            ]

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        for bar in reversed(self._bars):
            bar.close()

    def files(self, n: int) -> None:
        if self._bars:
            self._bars[0].update(n)

    def chunks(self, n: int) -> None:
        if self._bars:
            self._bars[1].update(n)
