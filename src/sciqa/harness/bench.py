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
- ``naive``: the same for LangChain's tutorial pipeline (:mod:`sciqa.harness.baseline`) over
  the same files.
- ``scaling`` (``benchscale.py``): stores of 1k, 10k, 100k and (``--max-chunks 1000000``) 1M
  chunks. Their texts are real-sized (sentences of the corpus, so BM25 sees real term
  statistics); their vectors are synthesised (seeded, unit-length) and inserted directly, since
  embedding cost is linear and measured above. Each row: retrieval p50/p95 and peak RSS of an
  asking process, the store's size, the BM25 part of building it, and adding 10 new files (about
  10 chunks each, embedded by the real model) to it: end to end, and the BM25 index's part.

The child protocol: ``python -m sciqa.harness.bench JOB`` prints one JSON line, the job's result.
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
    # an embedded store and a vector cache of its own: the first ingest embeds every chunk
    env = {
        k: v for k, v in os.environ.items() if k not in ("SCIQA_CHROMA_URL", "SCIQA_VECTOR_CACHE")
    }
    env.update(SCIQA_HOME=str(home), SCIQA_PROGRESS="false", ANONYMIZED_TELEMETRY="False")
    return env


def _child(job: dict[str, Any], home: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "sciqa.harness.bench", json.dumps(job)],
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
    from sciqa.embeddings import MiniLMEmbeddings, embed_array

    def embed(texts: list[str]) -> object:  # the model itself, never its cache
        if isinstance(embeddings, MiniLMEmbeddings):
            return embeddings.compute(texts)
        return embed_array(embeddings, texts)

    embed(texts[:4])  # first-call set-up is not throughput
    began, cpu = time.perf_counter(), time.process_time()
    embed(texts)
    return {
        "model_chunks_per_s": round(len(texts) / (time.perf_counter() - began), 1),
        "model_cpu_s": round(time.process_time() - cpu, 2),
    }


def _job_sciqa() -> dict[str, Any]:
    from sciqa.pipeline import Pipeline
    from sciqa.records import index_text
    from sciqa.settings import Settings

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
    from sciqa.harness.baseline import NaivePipeline, read_sources, split_file
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


def _main(argv: list[str]) -> None:
    from sciqa.harness import benchscale as scaling

    job = json.loads(argv[0])
    kind = job["job"]
    if kind == "sciqa":
        result = _job_sciqa()
    elif kind == "naive":
        result = _job_naive()
    elif kind == "build":
        result = scaling.build(int(job["chunks"]))
    elif kind == "query":
        result = scaling.query()
    elif kind == "add":
        result = scaling.add(Path(job["folder"]))
    else:
        raise SystemExit(f"unknown bench job {kind!r}")
    sys.stdout.write(json.dumps(result) + "\n")  # the child protocol: one JSON line


if __name__ == "__main__":
    _main(sys.argv[1:])
