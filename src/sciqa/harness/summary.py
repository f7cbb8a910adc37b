"""Many questions at once: the mean of each metric over a run, its latency percentiles, and the
three gates the answers must pass (answered right, abstained when they should, not when they
should not)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sciqa.harness.evaluation import METRICS, QuestionResult
from sciqa.harness.metrics import percentile


def aggregate(results: Sequence[QuestionResult]) -> dict[str, float]:
    """Every metric of :data:`METRICS` that applies to at least one question: the mean of its
    per-question values, and latency percentiles."""
    out: dict[str, float] = {}
    for name in METRICS:
        values = [r.scores[name] for r in results if name in r.scores]
        if values and name.endswith("_p50"):
            out[name] = percentile(values, 50)
        elif values:
            out[name] = sum(values) / len(values)
    latencies = [r.latency_ms for r in results]
    if latencies:
        out["latency_p50_ms"] = percentile(latencies, 50)
        out["latency_p95_ms"] = percentile(latencies, 95)
    return out


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else float("nan")


@dataclass(frozen=True)
class AnswerSummary:
    """The foundation's three gates, plus the counts behind them."""

    answered_correctly: float  # answerable: right facts AND a citation to a gold file
    abstain_recall: float  # unanswerable: abstained
    false_abstention: float  # answerable: abstained
    answerable: int
    unanswerable: int


def summarize(results: Sequence[QuestionResult]) -> AnswerSummary:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    return AnswerSummary(
        answered_correctly=_share(r.correct and r.cited_gold_source for r in answerable),
        abstain_recall=_share(r.abstained for r in unanswerable),
        false_abstention=_share(r.abstained for r in answerable),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
    )
