"""Writing an ingest's files: chunk, embed and store them in batches that span files, keeping
the manifest's journal (``manifest.py``) in step batch by batch; ``indexing.py`` works out which
files to write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.embeddings import Embeddings

from sciqa.chunking import Chunk, chunk_documents
from sciqa.documents import SourceFile, parse
from sciqa.embeddings import embed_array
from sciqa.manifest import Manifest
from sciqa.records import index_text
from sciqa.settings import Settings
from sciqa.store import Store


def chunk_file(file: SourceFile, settings: Settings) -> list[Chunk]:
    docs = parse(file.source, file.text)
    return chunk_documents(docs, settings.chunk_tokens, settings.chunk_overlap)


def write(
    store: Store,
    embeddings: Embeddings,
    settings: Settings,
    manifest: Manifest,
    todo: dict[str, SourceFile],
    owner: Mapping[str, str],
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
                    "root": owner[source],
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
