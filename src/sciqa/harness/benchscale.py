"""The scaling rows of ``sciqa bench`` (``bench.py`` runs each in a child process): a store of
n chunks with real-sized texts and synthetic vectors (:func:`build`), retrieval over it
(:func:`query`), and 10 new files added to it with the real model (:func:`add`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sciqa.harness.bench import QUESTIONS, WARMUP, _pct, _peak_rss_mb


def build(n: int) -> dict[str, Any]:
    """A store of ``n`` chunks: real-sized texts, synthetic vectors, BM25 and manifest."""
    import numpy as np

    from sciqa.chunking import Chunk
    from sciqa.embeddings import MINILM_ID
    from sciqa.indexing import chunking_config
    from sciqa.manifest import Manifest
    from sciqa.reading import read_all
    from sciqa.resources import default_corpus
    from sciqa.settings import Settings
    from sciqa.sources import Entry, key, record
    from sciqa.store import Store
    from sciqa.writing import chunk_file

    settings = Settings()
    files, _ = read_all([settings.corpus or default_corpus()])
    real = [c for f in files.values() for c in chunk_file(f, settings)]
    sentences = [c.text[o : o + e - s] for c in real for o, s, e in c.spans]
    rng = np.random.default_rng(42)
    store = Store(settings, MINILM_ID)
    store.reset()
    per_file, batch = 20, 5000
    sources: dict[str, dict[str, Any]] = {}
    root = key(settings.home / "synthetic")  # a source of its own, kept by a later ingest
    timed = _timing("add", "delete_stale", "seal")
    began = time.perf_counter()
    for b in range(0, n, batch):
        chunks = []
        for i in range(b, min(n, b + batch)):
            like = real[i % len(real)]  # same number of sentences as a real chunk
            picks = rng.integers(0, len(sentences), len(like.spans))
            parts, spans, offset = [], [], 0
            for p in picks:
                spans.append((offset, offset, offset + len(sentences[p])))
                parts.append(sentences[p])
                offset += len(sentences[p]) + 1
            source = f"synthetic/{i // per_file:06d}.txt"
            sources.setdefault(
                source, {"sha256": f"{i // per_file:064d}", "chunks": 0, "root": root}
            )
            sources[source]["chunks"] += 1
            text = " ".join(parts)
            chunks.append(
                Chunk(f"{i:032d}", text, source, like.title, like.section, "", tuple(spans))
            )
        vectors = rng.standard_normal((len(chunks), 384), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.add(chunks, vectors)
    build = store.seal_bm25()
    build_s = time.perf_counter() - began
    (settings.home / "synthetic").mkdir(parents=True, exist_ok=True)
    record(store.dir, [Entry(root)])
    manifest = Manifest(MINILM_ID, chunking_config(settings), sources, [root], bm25=build)
    manifest.write(store.manifest_path)
    return {"build_s": round(build_s, 1), "bm25_build_s": round(timed[0], 1)}


def _timing(*methods: str) -> list[float]:
    """Seconds spent in these methods of ``SparseIndex`` from now on in this process (summed in
    the one-element list returned)."""
    from sciqa.sparse import SparseIndex

    spent = [0.0]
    for name in methods:
        real = getattr(SparseIndex, name)

        def timed(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return _real(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - began

        setattr(SparseIndex, name, timed)
    return spent


def add(folder: Path) -> dict[str, Any]:
    """Add 10 new files (about 10 chunks each, texts of the corpus) to a built store with the
    real embedding model: seconds end to end (the model already loaded), and the BM25 part."""
    from sciqa.pipeline import Pipeline
    from sciqa.reading import read_all
    from sciqa.resources import default_corpus
    from sciqa.settings import Settings

    settings = Settings()
    files, _ = read_all([settings.corpus or default_corpus()])
    words = " ".join(f.text for f in files.values()).split()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(10):
        part = words[i * 900 : (i + 1) * 900]
        paragraphs = [" ".join(part[p : p + 90]) for p in range(0, len(part), 90)]
        text = f"# New file {i}\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"new-{i}.txt").write_text(text, encoding="utf-8")
    pipeline = Pipeline(settings)
    pipeline.embeddings.embed_query(WARMUP)  # the model loaded, as in a running process
    timed = _timing("add", "delete_stale", "seal")
    began = time.perf_counter()
    report = pipeline.ingest([str(folder)])
    add_s = time.perf_counter() - began
    assert len(report.added) == 10, report
    return {
        "add10_s": round(add_s, 2),
        "add10_chunks": report.chunks_added,
        "add10_bm25_s": round(timed[0], 2),
    }


def query() -> dict[str, Any]:
    """Retrieval latency (dense + BM25 + fusion + passage fetch) over a built store."""
    from sciqa.pipeline import Pipeline
    from sciqa.settings import Settings

    pipeline = Pipeline(Settings())
    pipeline.retrieve(WARMUP)
    times = []
    for question in QUESTIONS:
        began = time.perf_counter()
        pipeline.retrieve(question)
        times.append((time.perf_counter() - began) * 1000)
    return {
        "retrieve_p50_ms": _pct(times, 0.5),
        "retrieve_p95_ms": _pct(times, 0.95),
        "rss_mb": _peak_rss_mb(),
    }
