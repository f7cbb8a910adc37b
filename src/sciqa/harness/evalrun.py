"""Running an eval: sciqa and the naive baseline answer one gold set, side by side, and their
metrics are checked against thresholds.

``sciqa eval`` is a thin shell over :func:`run` and :func:`check`; ``reporting.py`` writes what
they return. Thresholds live beside the gold set, in ``thresholds.toml``::

    [min]                       # floors for metrics where higher is better
    answer_accuracy = 0.70
    "doc_recall@5" = 0.95
    [max]                       # ceilings for metrics where lower is better
    false_abstention = 0.10
    [sets.heldout.min]          # entries for another gold set of that folder (by file stem)
    answer_accuracy = 0.80
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sciqa.errors import ConfigError, ModelError
from sciqa.harness.baseline import NaivePipeline, read_sources
from sciqa.harness.evaluation import METRICS, RETRIEVAL_DEPTH, QuestionResult, score
from sciqa.harness.gold import GoldItem, load_gold
from sciqa.harness.judge import judge_faithfulness
from sciqa.harness.summary import aggregate
from sciqa.lexical import Lexicon
from sciqa.schema import Answer, Citation, Passage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from sciqa.pipeline import Pipeline

THRESHOLDS_FILE = "thresholds.toml"
_CHECKOUT_EVALS = Path(__file__).resolve().parents[3] / "evals"


def default_gold() -> Path:
    """``evals/gold.jsonl`` of the current folder, else of the source checkout sciqa runs from."""
    for base in (Path("evals"), _CHECKOUT_EVALS):
        if (base / "gold.jsonl").is_file():
            return base / "gold.jsonl"
    raise ConfigError(
        "no gold set: run from a sciqa checkout (evals/gold.jsonl) or pass --gold PATH"
    )


# -- thresholds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    metric: str
    value: float
    minimum: bool  # True: the metric must be >= value; False: <= value

    def missed(self, measured: float) -> bool:
        return measured < self.value if self.minimum else measured > self.value

    def describe(self) -> str:
        return f"{'≥' if self.minimum else '≤'} {self.value:g}"


def _threshold(metric: str, value: Any, minimum: bool, where: str) -> Threshold:
    info = METRICS.get(metric)
    if info is None:
        raise ConfigError(
            f"unknown metric {metric!r} in {where}; choose from: {', '.join(METRICS)}"
        )
    if info.higher_is_better != minimum:
        table = "min" if info.higher_is_better else "max"
        raise ConfigError(f"{metric} in {where}: put it under [{table}]")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{metric} in {where}: {value!r} is not a number")
    return Threshold(metric, float(value), minimum)


def load_thresholds(path: Path, gold_stem: str) -> dict[str, Threshold]:
    """The thresholds in ``path`` for the gold set named ``gold_stem`` (none if no file)."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read thresholds {path}: {e}") from e
    out: dict[str, Threshold] = {}
    for table in (data, data.get("sets", {}).get(gold_stem, {})):
        for kind in ("min", "max"):
            for metric, value in table.get(kind, {}).items():
                out[metric] = _threshold(metric, value, kind == "min", str(path))
    return out


def parse_overrides(specs: Sequence[str]) -> dict[str, Threshold]:
    """``NAME=VALUE`` pairs; a metric where lower is better gets a ceiling, any other a floor."""
    out = {}
    for spec in specs:
        name, sep, raw = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"--threshold {spec!r}: write NAME=VALUE, e.g. answer_accuracy=0.8")
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"--threshold {spec!r}: {raw!r} is not a number") from None
        info = METRICS.get(name)
        minimum = info.higher_is_better if info else True
        out[name] = _threshold(name, value, minimum, f"--threshold {spec}")
    return out


@dataclass(frozen=True)
class Check:
    misses: list[str]  # one line per metric beyond its threshold
    unmeasured: list[str]  # metrics with a threshold that this run did not measure


def check(metrics: Mapping[str, float], thresholds: Mapping[str, Threshold]) -> Check:
    misses, unmeasured = [], []
    for name, t in thresholds.items():
        value = metrics.get(name)
        if value is None or value != value:  # absent or NaN
            unmeasured.append(name)
        elif t.missed(value):
            misses.append(f"{name} {value:.3f} {'<' if t.minimum else '>'} {t.value:.3f}")
    return Check(misses, unmeasured)


# -- running --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineRun:
    """One pipeline's answers to the gold set."""

    name: str
    description: str
    results: list[QuestionResult]
    metrics: dict[str, float]
    setup_seconds: float  # indexing, when the store was not current
    judged: int = 0  # answers the LLM judge gave a verdict on
    no_verdict: int = 0  # answers it was asked about and gave none
    model_errors: int = 0  # questions the model failed on (scored as wrong answers)


@dataclass(frozen=True)
class EvalRun:
    gold: Path
    items: list[GoldItem]
    runs: dict[str, PipelineRun]
    settings: dict[str, Any]
    started: str
    seconds: float


DESCRIPTIONS = {
    "sciqa": "cleaned documents, sentence-aligned chunks, hybrid dense + BM25 retrieval "
    "fused by reciprocal rank",
    "naive": "LangChain RAG tutorial: RecursiveCharacterTextSplitter 1000/200 on raw text, "
    "Chroma similarity top 4; same embeddings and answerer",
}


class _Subject:
    """What one pipeline needs for the loop: answer, rank, and score with the judge."""

    def __init__(
        self,
        name: str,
        ask: Callable[[str], Answer],
        rank: Callable[[str], list[Passage]],
        setup_seconds: float,
    ) -> None:
        self.name, self.ask, self.rank, self.setup_seconds = name, ask, rank, setup_seconds
        self.results: list[QuestionResult] = []
        self.judged = self.no_verdict = self.model_errors = 0

    def run(
        self,
        item: GoldItem,
        texts: Mapping[str, str],
        judge: BaseChatModel | None,
        lexicon: Lexicon | None = None,
        document: Callable[[Citation], str] | None = None,
    ) -> None:
        t0 = time.perf_counter()
        try:
            answer = self.ask(item.question)
        except ModelError as e:  # one failed reply is that question's wrong answer, not the end
            self.model_errors += 1
            answer = Answer(item.question, f"(the model failed: {e.reason or e})", False, ())
        latency = (time.perf_counter() - t0) * 1000
        ranked = self.rank(item.question)
        result = score(
            item, answer, latency, retrieved=ranked, texts=texts, lexicon=lexicon, document=document
        )
        if judge is not None and not answer.abstained:
            given = (*answer.passages, *ranked)
            verdict = judge_faithfulness(judge, item.question, answer, given)
            if verdict is None:
                self.no_verdict += 1
            else:
                self.judged += 1
                scores = {**result.scores, "llm_faithfulness": float(verdict.supported)}
                result = replace(result, scores=scores)
        self.results.append(result)

    def finish(self) -> PipelineRun:
        return PipelineRun(
            self.name,
            DESCRIPTIONS[self.name],
            self.results,
            aggregate(self.results),
            round(self.setup_seconds, 1),
            self.judged,
            self.no_verdict,
            self.model_errors,
        )


def _asker(pipeline: Pipeline, llm: str | None) -> Callable[[str], Answer]:
    # An eval measures the answerer it names: a model that fails is an error, never quietly
    # replaced by the offline answerer (the fallback `sciqa ask` and the web page use).
    return lambda q: pipeline.ask(q, llm=llm, fallback=False)


def run(
    pipeline: Pipeline,
    gold: Path,
    *,
    llm: str | None = None,
    baseline: bool = True,
    judge: BaseChatModel | None = None,
    progress: bool = False,
) -> EvalRun:
    """Answer every gold question with sciqa (and the naive baseline), score and aggregate.

    Both pipelines are indexed and warmed up first, so latencies are per question in a running
    process. They alternate which goes first on each question: the answerer caches sentence
    embeddings and both share it.
    """
    began = time.perf_counter()
    started = datetime.now(UTC).replace(microsecond=0).isoformat()
    items = load_gold(gold)
    if not items:
        raise ConfigError(f"{gold} holds no gold questions")
    t0 = time.perf_counter()
    pipeline.ensure_ready()
    manifest = pipeline.store.manifest()
    missing = sorted(
        {s for i in items for s in i.sources} - set(manifest.files if manifest else ())
    )
    if missing:
        raise ConfigError(
            f"the store in {pipeline.settings.store_dir} does not hold {', '.join(missing[:3])}"
            f"{' and more' if len(missing) > 3 else ''}, which {gold.name} cites: point "
            "SCIQA_HOME at a store of the gold set's documents, or run `sciqa ingest` on them"
        )
    subjects = [
        _Subject(
            "sciqa",
            _asker(pipeline, llm),
            lambda q: pipeline.retrieve(q, k=RETRIEVAL_DEPTH),
            time.perf_counter() - t0,
        )
    ]
    naive = NaivePipeline(pipeline, answerer=pipeline.answerer_for(llm))
    if baseline:
        seconds = naive.ensure_ready()
        subjects.append(
            _Subject("naive", naive.ask, lambda q: naive.retrieve(q, k=RETRIEVAL_DEPTH), seconds)
        )
    texts = {s: f.text for s, f in read_sources(naive.roots()).items()}
    for s in subjects:
        s.rank("warm-up: load the indexes")

    from tqdm import tqdm

    bar = tqdm(items, desc="sciqa eval", unit="question", disable=not progress, leave=False)
    lexicon = pipeline.store.lexicon  # which words are rare, for the claim check
    for i, item in enumerate(bar):
        for s in subjects if i % 2 == 0 else subjects[::-1]:
            s.run(item, texts, judge, lexicon, pipeline.context_of)
    bar.close()
    s0 = pipeline.settings
    settings = {
        "answerer": pipeline.answerer_for(llm).model,
        "embeddings": pipeline.store.embedding_model,
        "k": s0.k,
        "fetch_k": s0.fetch_k,
        "chunk_tokens": s0.chunk_tokens,
        "chunk_overlap": s0.chunk_overlap,
        "naive_k": naive.k,
        "retrieval_depth": RETRIEVAL_DEPTH,
        "judge": getattr(judge, "model_name", None) or (type(judge).__name__ if judge else None),
    }
    return EvalRun(
        gold=gold,
        items=items,
        runs={s.name: s.finish() for s in subjects},
        settings=settings,
        started=started,
        seconds=time.perf_counter() - began,
    )
