"""Ingest: make the store mirror a set of files, doing only the work that changed.

Each file is identified by its source name and content hash. Unchanged files are skipped, a
changed file's chunks are replaced, a removed file's chunks are deleted. Chunks are embedded and
written in batches that span files (one model call, one delete, one upsert per batch); the
manifest is updated after each batch with the files it finished, so an interrupted ingest resumes
where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from sciqa.chunking import TOKENIZER, Chunk, chunk_documents
from sciqa.documents import SourceFile, discover, parse, read_file
from sciqa.embeddings import embed_array
from sciqa.errors import IngestError
from sciqa.schema import IngestReport, Skipped
from sciqa.settings import Settings
from sciqa.store import Manifest, Store, index_text

PARSER_VERSION = 1


def chunking_config(settings: Settings) -> dict[str, object]:
    return {
        "tokenizer": TOKENIZER,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "parser": PARSER_VERSION,
    }


def read_all(roots: Sequence[Path]) -> tuple[dict[str, SourceFile], list[Skipped]]:
    """Every usable file under ``roots`` by source name, and the files skipped with why."""
    files: dict[str, SourceFile] = {}
    skipped: list[Skipped] = []
    by_hash: dict[str, str] = {}
    for found in discover(roots):
        if isinstance(found, Skipped):
            skipped.append(found)
            continue
        path, source = found
        read = read_file(path, source)
        if isinstance(read, Skipped):
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
) -> IngestReport:
    began = time.perf_counter()
    roots = [Path(r).expanduser() for r in roots]
    missing = [str(r) for r in roots if not r.exists()]
    if missing:
        raise IngestError(f"no such file or folder: {', '.join(missing)}")
    files, skipped = read_all(roots)
    if not files:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped) or "no .txt or .md files"
        raise IngestError(f"nothing to ingest under {', '.join(map(str, roots))} ({reasons})")

    manifest = None if rebuild else store.manifest()
    config = chunking_config(settings)
    if manifest is not None and manifest.embedding_model != store.embedding_model:
        store.check_compatible()  # raises with what to do
    known = manifest.files if manifest and manifest.chunking == config else {}
    previous = manifest.files if manifest else {}
    added = [s for s in files if s not in previous]
    changed = [
        s for s in files if s in previous and known.get(s, {}).get("sha256") != files[s].sha256
    ]
    unchanged = [s for s in files if s not in added and s not in changed]
    removed = [s for s in previous if s not in files]
    report: dict[str, Any] = dict(
        added=tuple(added),
        changed=tuple(changed),
        removed=tuple(removed),
        unchanged=tuple(unchanged),
        skipped=tuple(skipped),
    )
    if dry_run:
        return IngestReport(**report, seconds=time.perf_counter() - began, dry_run=True)

    if rebuild:
        store.reset()
    # The manifest only ever lists files whose chunks are in the store: drop the entries of
    # changed and removed files before their chunks go.
    kept = {s: v for s, v in known.items() if s not in changed and s not in removed}
    manifest = Manifest(store.embedding_model, config, kept, [str(r) for r in roots])
    manifest.write(store.manifest_path)
    deleted = store.delete_sources(removed)
    written, more_deleted = _write(
        store, embeddings, settings, manifest, {s: files[s] for s in added + changed}
    )
    deleted += more_deleted
    if added or changed or removed or rebuild or not store.bm25_dir.exists():
        store.rebuild_bm25()
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

    A batch is one embedding call, one delete of the old chunks of the files it starts, and one
    upsert. A file is added to the manifest (written once per batch) when its last chunk is
    stored, so a run stopped at any point is continued by the next one.
    """
    written = deleted = 0
    pending: list[Chunk] = []
    left: dict[str, int] = {}  # chunks of a started file not stored yet
    started: list[str] = []  # files whose first chunk is in ``pending``
    done: list[str] = []  # files wholly stored since the manifest was last written

    def flush() -> None:
        nonlocal written, deleted, pending, started
        if started:
            # the old chunks of a changed file, or leftovers of an interrupted run
            deleted += store.delete_sources(started)
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
            for source in done:
                manifest.files[source] = {
                    "sha256": todo[source].sha256,
                    "chunks": chunk_counts[source],
                }
            manifest.write(store.manifest_path)
            bars.files(len(done))
            done.clear()
        pending, started = [], []

    batch = settings.ingest_batch
    chunk_counts: dict[str, int] = {}
    with _Progress(len(todo), settings.progress) as bars:
        for source, file in todo.items():
            chunks = chunk_file(file, settings)
            chunk_counts[source] = len(chunks)
            started.append(source)
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
