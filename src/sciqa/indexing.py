"""Ingest: make the store mirror a set of files, doing only the work that changed.

Each file is identified by its source name and content hash. Unchanged files are skipped, a
changed file's chunks are replaced, a removed file's chunks are deleted. The manifest is updated
after each file, so an interrupted ingest resumes where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from langchain_core.embeddings import Embeddings

from sciqa.chunking import TOKENIZER, Chunk, chunk_documents
from sciqa.documents import SourceFile, discover, parse, read_file
from sciqa.embeddings import embed_array
from sciqa.errors import IngestError
from sciqa.schema import IngestReport, Skipped
from sciqa.settings import Settings
from sciqa.store import Manifest, Store, index_text

PARSER_VERSION = 1
EMBED_BATCH = 64


def chunking_config(settings: Settings) -> dict[str, object]:
    return {
        "tokenizer": TOKENIZER,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "parser": PARSER_VERSION,
    }


def _read_all(roots: Sequence[Path]) -> tuple[dict[str, SourceFile], list[Skipped]]:
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
    files, skipped = _read_all(roots)
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
    report = dict(
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

    todo = [(s, chunk_file(files[s], settings)) for s in added + changed]
    total = sum(len(chunks) for _, chunks in todo)
    written = 0
    with _progress(total, settings.progress) as bar:
        for source, chunks in todo:
            # the old chunks of a changed file, or leftovers of an interrupted run
            deleted += store.delete_sources([source])
            for b in range(0, len(chunks), EMBED_BATCH):
                batch = chunks[b : b + EMBED_BATCH]
                vectors = embed_array(embeddings, [index_text(c.title, c.text) for c in batch])
                store.add(batch, vectors)
                bar.update(len(batch))
            written += len(chunks)
            manifest.files[source] = {"sha256": files[source].sha256, "chunks": len(chunks)}
            manifest.write(store.manifest_path)
    if added or changed or removed or rebuild or not store.bm25_dir.exists():
        store.rebuild_bm25()
    return IngestReport(
        **report,
        chunks_added=written,
        chunks_deleted=deleted,
        seconds=time.perf_counter() - began,
    )


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def _progress(total: int, enabled: bool) -> _NoBar:
    if not enabled or total == 0:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="Embedding chunks", unit="chunk", leave=False)  # type: ignore[return-value]
