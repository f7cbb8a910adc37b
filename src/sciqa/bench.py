"""``sciqa bench``: what sciqa costs on this machine, beside the naive baseline, and how retrieval
grows with the number of chunks.

Everything runs in a temporary ``SCIQA_HOME`` that is deleted afterwards, each measured system in
its own child process, so a peak RSS is that system's alone (``ru_maxrss`` of the child):

- ``sciqa``: cold ingest of the corpus (``SCIQA_CORPUS`` or the bundled one), the same ingest
  again (nothing changed), the embedding model alone over the same chunk texts (the physical limit
  of ingest here), then every question of :data:`QUESTIONS` asked once in process (retrieval and
  end-to-end answer latencies), and ``sciqa ask`` from process start to answer. Wall-clock
  figures move with whatever else the machine runs; ``ingest_cpu_s`` against ``model_cpu_s``
  (CPU seconds of the process, all threads) compares ingest with the model alone regardless.
- ``naive``: the same for LangChain's tutorial pipeline (:mod:`sciqa.baseline`) over the same files.
- ``scaling``: stores of 1k, 10k, 100k and (``--max-chunks 1000000``) 1M chunks. Their texts are
  real-sized (sentences of the corpus, so BM25 sees real term statistics); their vectors are
  synthesised (seeded, unit-length) and inserted directly, since embedding cost is linear and
  measured above. Each row: retrieval p50/p95 and peak RSS of an asking process, the store's
  size, the BM25 part of building it, and adding 10 new files (about 10 chunks each, embedded
  by the real model) to it: end to end, and the BM25 index's part of that.

The child protocol: ``python -m sciqa.bench JOB`` prints one JSON line, the job's result.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sciqa.errors import SciQAError

SIZES = (1_000, 10_000, 100_000, 1_000_000)
WARMUP = "What does the Amazon Scholars program offer?"
QUESTIONS = (
    "When did Amazon launch the Amazon Scholars program?",
    "Which two universities did the SURE program expand to in 2022?",
    "What kinds of support does the University Hubs program commit to its partner universities?",
    "What kind of resource access does Gianchandani say can be really valuable to academic "
    "researchers?",
    "How many challenges of fairness in AI does Gianchandani list?",
    "In Kearns's supermarket example, how large is the random number added to the count?",
    "Which Amazon service does Kearns cite as an example of machine learning sold to customers "
    "worldwide?",
    "What is Rohit Malshe's job title?",
    "For which year's van needs did the team's forecast fail to account for the COVID-19 pandemic?",
    "Which institutions did Amazon researchers collaborate with on the Graph-relational domain "
    "adaptation paper?",
    "Which 2003 paper did IEEE Internet Computing choose as the one that best withstood the test "
    "of time?",
    "Which software tools do I need to know for the Amazon Economics Team internship?",
    "When was the AWS Managed Operations organization founded?",
    "What are the 'three zeroes' that the Worldwide Returns & ReCommerce team is aiming for?",
    "Which Amazon role is meant for faculty who are still on the tenure track or only recently "
    "tenured?",
    "What is the maximum length of a sabbatical through the Amazon Scholars program?",
    "How many papers did Amazon have accepted at ICLR 2022 in total?",
    "How many interns took part in the 2021 SURE pilot at Columbia?",
    "What GPA is required for the Applied Scientist Intern position in Melbourne?",
    "How many students are enrolled in Kearns's Science of Data Ethics course?",
    "Where is the AWS Center for Quantum Computing?",
    "Who wrote The Ethical Algorithm?",
    "What is differential privacy?",
    "How does Amazon forecast demand for last-mile delivery vans?",
)


# -- the parent: run the children, gather one report ----------------------------------------


def run(
    max_chunks: int = 100_000,
    log: Callable[[str], None] | None = None,
    *,
    systems: bool = True,
    min_chunks: int = 0,
) -> dict[str, Any]:
    """Measure everything; return ``{"sciqa": {...}, "naive": {...}, "scaling": [...]}``
    (without ``systems``, the scaling rows from ``min_chunks`` on only)."""
    say = log or (lambda _: None)
    sciqa: dict[str, Any] = {}
    naive: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="sciqa-bench-") as tmp:
        home = Path(tmp) / "home"
        if systems:
            say("sciqa: cold ingest, re-ingest, model alone, questions")
            sciqa = _child({"job": "sciqa"}, home)
            say("sciqa: `sciqa ask` from process start to answer")
            sciqa["ask_cold_start_s"] = _cold_start(home)
            say("naive baseline: cold ingest, re-ingest, model alone, questions")
            naive = _child({"job": "naive"}, home)
        scaling = []
        for n in (n for n in SIZES if min_chunks <= n <= max_chunks):
            row_home = Path(tmp) / f"scale-{n}"
            say(f"scaling: building a store of {n:,} chunks")
            built = _child({"job": "build", "chunks": n}, row_home)
            say(f"scaling: retrieval over {n:,} chunks")
            row = _child({"job": "query"}, row_home)
            row = {"chunks": n, **row, "store_mb": round(_du(row_home / "store") / 2**20, 1)}
            row.update(built)
            say(f"scaling: adding 10 files to {n:,} chunks")
            row.update(_child({"job": "add", "folder": str(Path(tmp) / f"new-{n}")}, row_home))
            scaling.append(row)
            shutil.rmtree(row_home, ignore_errors=True)
    return {
        "sciqa": sciqa,
        "naive": naive,
        "scaling": scaling,
        "machine": {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)},
    }


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SCIQA_CHROMA_URL"}  # embedded store
    env.update(SCIQA_HOME=str(home), SCIQA_PROGRESS="false", ANONYMIZED_TELEMETRY="False")
    return env


def _child(job: dict[str, Any], home: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "sciqa.bench", json.dumps(job)],
        env=_env(home),
        capture_output=True,
        text=True,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise SciQAError(f"bench step {job['job']!r} failed: " + " | ".join(tail))
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _cold_start(home: Path, runs: int = 3) -> float:
    """Median seconds of ``sciqa ask`` in a new process, over an already built store."""
    code = "from sciqa.cli import main; main()"
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code, "ask", QUESTIONS[0]],
            env=_env(home),
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - began)
        if done.returncode != 0:
            raise SciQAError(f"`sciqa ask` failed in the bench: {done.stderr.strip()[-300:]}")
    return round(statistics.median(times), 2)


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# -- the children --------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def _latencies(ask: Callable[[str], Any]) -> dict[str, float]:
    """Each question once, after one warm-up question: retrieval and end-to-end answer times."""
    ask(WARMUP)
    retrieve, total = [], []
    for question in QUESTIONS:
        began = time.perf_counter()
        answer = ask(question)
        total.append((time.perf_counter() - began) * 1000)
        retrieve.append(float(answer.timings["retrieve_ms"]))
    return {
        "retrieve_p50_ms": _pct(retrieve, 0.5),
        "retrieve_p95_ms": _pct(retrieve, 0.95),
        "answer_p50_ms": _pct(total, 0.5),
        "answer_p95_ms": _pct(total, 0.95),
    }


def _model_rate(embeddings: Any, texts: list[str]) -> dict[str, float]:
    """Chunks per second of the embedding model alone over ``texts``, and its CPU seconds."""
    from sciqa.embeddings import embed_array

    embed_array(embeddings, texts[:4])  # first-call set-up is not throughput
    began, cpu = time.perf_counter(), time.process_time()
    embed_array(embeddings, texts)
    return {
        "model_chunks_per_s": round(len(texts) / (time.perf_counter() - began), 1),
        "model_cpu_s": round(time.process_time() - cpu, 2),
    }


def _job_sciqa() -> dict[str, Any]:
    from sciqa.pipeline import Pipeline
    from sciqa.settings import Settings
    from sciqa.store import index_text

    pipeline = Pipeline(Settings())
    began, cpu = time.perf_counter(), time.process_time()
    report = pipeline.ingest()
    ingest_s, ingest_cpu_s = time.perf_counter() - began, time.process_time() - cpu
    began = time.perf_counter()
    again = pipeline.ingest()
    reingest_s = time.perf_counter() - began
    assert again.chunks_added == 0, "an unchanged corpus was embedded again"
    got = pipeline.store.collection.get(include=["documents", "metadatas"])
    texts = [
        index_text(str(m["title"]), d or "")
        for d, m in zip(got["documents"] or [], got["metadatas"] or [])
    ]
    return {
        "chunks": report.chunks_added,
        "ingest_s": round(ingest_s, 2),
        "reingest_s": round(reingest_s, 3),
        "ingest_chunks_per_s": round(report.chunks_added / ingest_s, 1),
        "ingest_cpu_s": round(ingest_cpu_s, 2),
        **_model_rate(pipeline.embeddings, texts),
        **_latencies(pipeline.ask),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _job_naive() -> dict[str, Any]:
    from sciqa.baseline import NaivePipeline, read_sources, split_file
    from sciqa.pipeline import Pipeline
    from sciqa.settings import Settings

    pipeline = Pipeline(Settings())  # over the store the sciqa job built: no sciqa ingest here
    naive = NaivePipeline(pipeline)
    began, cpu = time.perf_counter(), time.process_time()
    naive.ensure_ready()
    ingest_s, ingest_cpu_s = time.perf_counter() - began, time.process_time() - cpu
    began = time.perf_counter()
    naive.ensure_ready()
    reingest_s = time.perf_counter() - began
    files = read_sources(naive.roots())
    texts = [d.page_content for s in sorted(files) for d in split_file(files[s])]
    return {
        "chunks": len(texts),
        "ingest_s": round(ingest_s, 2),
        "reingest_s": round(reingest_s, 3),
        "ingest_chunks_per_s": round(len(texts) / ingest_s, 1),
        "ingest_cpu_s": round(ingest_cpu_s, 2),
        **_model_rate(pipeline.embeddings, texts),
        **_latencies(naive.ask),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _job_build(n: int) -> dict[str, Any]:
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


def _job_add(folder: Path) -> dict[str, Any]:
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


def _job_query() -> dict[str, Any]:
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


def _main(argv: list[str]) -> None:
    job = json.loads(argv[0])
    kind = job["job"]
    if kind == "sciqa":
        result = _job_sciqa()
    elif kind == "naive":
        result = _job_naive()
    elif kind == "build":
        result = _job_build(int(job["chunks"]))
    elif kind == "query":
        result = _job_query()
    elif kind == "add":
        result = _job_add(Path(job["folder"]))
    else:
        raise SystemExit(f"unknown bench job {kind!r}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    _main(sys.argv[1:])
