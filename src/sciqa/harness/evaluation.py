"""Scoring answers against gold question/answer pairs: data in, typed numbers out.

Gold pairs are JSONL (``evals/gold.jsonl``). Every metric here is a pure function of a gold item,
the passages retrieved and the answer given, so each can be unit-tested on hand-made cases.
:data:`METRICS` names them as reports and ``evals/thresholds.toml`` do:

- retrieval, at document level (a result counts when it comes from a gold file) and passage
  level (when it also holds the gold evidence): ``recall@k``, ``hit_rate@5``, ``mrr``, ``ndcg@5``;
- answers: ``answer_accuracy`` (not abstained, every gold fact present), ``answered_correctly``
  (and a gold file cited), ``token_f1`` against the reference answer;
- citations: ``citation_precision``, ``citation_recall``, ``quote_validity``;
- ``faithfulness``: the share of answer sentences a cited passage supports (lexical check);
  ``claim_support``: the share of answer sentences, before the LLM answerer removed any, whose
  numbers, names and rare words their cited passages hold (``claims.py``);
- abstention: ``abstain_recall`` (unanswerable), ``false_abstention`` (answerable);
  ``injection_resisted``; latency percentiles;
- ``overall`` (answered right or rightly declined) and ``net``: the same, less one for each
  answer given wrong, so declining scores better than a confident wrong answer; a pipeline that
  always declines scores the set's share of unanswerable questions.

The gold items are read in ``gold.py``, the metric functions are in ``metrics.py``, the mean of
many questions in ``summary.py``; running the pipelines is in ``evalrun.py``, the LLM judge in
``judge.py``, the reports in ``reporting.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sciqa.harness.gold import GoldItem
from sciqa.harness.metrics import (
    claim_support,
    fact_present,
    faithfulness,
    normalize,
    quotes_valid,
    rank_metrics,
    token_f1,
)
from sciqa.lexical import Lexicon
from sciqa.schema import Answer, Citation, Passage
from sciqa.text import strip_markers

# -- metric names ------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """A metric as reports and thresholds know it."""

    name: str
    group: str
    higher_is_better: bool
    description: str


RETRIEVAL_KS = (1, 5, 10)  # must hold 5: hit_rate@5 and ndcg@5
RETRIEVAL_DEPTH = max(RETRIEVAL_KS)


def _retrieval_metrics(level: str, what: str) -> list[Metric]:
    return [
        *(
            Metric(f"{level}_recall@{k}", "retrieval", True, f"share of {what} in the top {k}")
            for k in RETRIEVAL_KS
        ),
        Metric(f"{level}_hit_rate@5", "retrieval", True, f"questions with any of {what} in top 5"),
        Metric(f"{level}_mrr", "retrieval", True, f"1 / rank of the first of {what} (top 10)"),
        Metric(f"{level}_ndcg@5", "retrieval", True, f"nDCG of the top 5, gain 1 per {what}"),
    ]


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        *_retrieval_metrics("doc", "gold files"),
        *_retrieval_metrics("passage", "gold files' evidence passages"),
        Metric("answer_accuracy", "answers", True, "answerable: answered, every gold fact in it"),
        Metric("answered_correctly", "answers", True, "answer_accuracy and a gold file cited"),
        Metric("token_f1", "answers", True, "answerable: token F1 against the reference answer"),
        Metric("citation_precision", "citations", True, "citations holding gold evidence/facts"),
        Metric("citation_recall", "citations", True, "gold files cited with evidence/facts"),
        Metric("quote_validity", "citations", True, "answers whose quotes are all verbatim"),
        Metric("faithfulness", "faithfulness", True, "answer sentences a cited passage supports"),
        Metric(
            "claim_support",
            "faithfulness",
            True,
            "answer sentences (before removal) whose numbers, names, rare words they cite",
        ),
        Metric("llm_faithfulness", "faithfulness", True, "answers the LLM judge finds supported"),
        Metric("abstain_recall", "abstention", True, "unanswerable: abstained"),
        Metric("false_abstention", "abstention", False, "answerable: abstained"),
        Metric("injection_resisted", "injection", True, "no forbidden string in the answer"),
        Metric("overall", "answers", True, "answered correctly or rightly abstained, all"),
        Metric(
            "net",
            "answers",
            True,
            "overall, less the answers given wrong (always declining: the unanswerable share)",
        ),
        Metric("answer_words_p50", "answers", False, "median words of the answers given"),
        Metric("latency_p50_ms", "latency", False, "median time to answer one question"),
        Metric("latency_p95_ms", "latency", False, "95th percentile time to answer"),
    ]
}


# -- the foundation's per-answer checks ----------------------------------------------------


def answer_correct(item: GoldItem, answer: Answer) -> bool:
    """Answered (not abstained) and every gold fact is in the answer."""
    return (
        item.answerable
        and not answer.abstained
        and all(fact_present(f, answer.answer) for f in item.facts)
    )


def cites_gold_source(item: GoldItem, answer: Answer) -> bool:
    return any(c.source in item.sources for c in answer.citations)


def injection_resisted(item: GoldItem, answer: Answer) -> bool:
    return not any(f.lower() in answer.answer.lower() for f in item.forbidden)


def passage_has_evidence(item: GoldItem, passage: Passage) -> bool:
    """From a gold file, and holds a gold evidence string (or every gold fact)."""
    if passage.source not in item.sources:
        return False
    text = normalize(passage.text)
    return any(normalize(e) in text for e in item.evidence) or (
        bool(item.facts) and all(fact_present(f, passage.text) for f in item.facts)
    )


def doc_found(item: GoldItem, passages: Sequence[Passage]) -> list[frozenset[str]]:
    """Per result, the gold files it comes from (document level)."""
    return [frozenset({p.source}) & frozenset(item.sources) for p in passages]


def evidence_found(item: GoldItem, passages: Sequence[Passage]) -> list[frozenset[str]]:
    """Per result, the gold file whose evidence it holds (passage level)."""
    return [
        frozenset({p.source}) if passage_has_evidence(item, p) else frozenset() for p in passages
    ]


def retrieval_scores(item: GoldItem, passages: Sequence[Passage]) -> dict[str, float]:
    """Document- and passage-level ranking metrics (empty for a question without gold files)."""
    if not item.sources:
        return {}
    out: dict[str, float] = {}
    for level, found in (
        ("doc", doc_found(item, passages)),
        ("passage", evidence_found(item, passages)),
    ):
        s = rank_metrics(found, item.sources, RETRIEVAL_KS)
        for k in RETRIEVAL_KS:
            out[f"{level}_recall@{k}"] = s.recall[k]
        out[f"{level}_hit_rate@5"] = s.hit[5]
        out[f"{level}_mrr"] = s.reciprocal_rank
        out[f"{level}_ndcg@5"] = s.ndcg[5]
    return out


# -- citations ----------------------------------------------------------------------------


def holds_gold(item: GoldItem, text: str) -> bool:
    """The text holds one of the gold evidence strings or one of the gold facts."""
    norm = normalize(text)
    return any(normalize(e) in norm for e in item.evidence) or any(
        fact_present(f, text) for f in item.facts
    )


def citation_relevant(item: GoldItem, citation: Citation, passage: Passage | None = None) -> bool:
    """Cites a gold file, and its quote (or the passage it quotes) holds gold evidence or facts."""
    if citation.source not in item.sources:
        return False
    return holds_gold(item, citation.quote) or (
        passage is not None and holds_gold(item, passage.text)
    )


@dataclass(frozen=True)
class CitationScore:
    precision: float | None  # relevant citations / citations; None when nothing is cited
    recall: float | None  # gold files cited relevantly / gold files; None without gold files


def citation_scores(
    item: GoldItem, answer: Answer, passages: Sequence[Passage] = ()
) -> CitationScore:
    by_id = {p.chunk_id: p for p in passages}
    relevant = [citation_relevant(item, c, by_id.get(c.chunk_id)) for c in answer.citations]
    covered = {c.source for c, ok in zip(answer.citations, relevant) if ok}
    return CitationScore(
        precision=sum(relevant) / len(relevant) if relevant else None,
        recall=len(covered & set(item.sources)) / len(item.sources) if item.sources else None,
    )


# -- one question ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionResult:
    """One gold question answered by one pipeline. ``scores`` maps metric names to this
    question's value; a metric that does not apply to it (recall of an unanswerable
    question) is absent."""

    id: str
    kind: str
    question: str
    expected: str
    answerable: bool
    got: str
    abstained: bool
    cited: tuple[str, ...]
    correct: bool
    cited_gold_source: bool
    resisted: bool
    latency_ms: float
    scores: dict[str, float] = field(default_factory=dict)
    retrieved: tuple[str, ...] = ()  # source of each ranked passage
    unsupported: tuple[str, ...] = ()  # answer sentences no cited passage supports
    unsupported_claims: tuple[str, ...] = ()  # "sentence (reason)": the claim check's misses

    @property
    def failed(self) -> bool:
        """Wrong for the report: not answered correctly, answered the unanswerable, or obeyed
        an injected instruction."""
        if not self.resisted:
            return True
        if self.answerable:
            return not (self.correct and self.cited_gold_source)
        return not self.abstained


def score(
    item: GoldItem,
    answer: Answer,
    latency_ms: float = 0.0,
    *,
    retrieved: Sequence[Passage] | None = None,
    texts: Mapping[str, str] | None = None,
    lexicon: Lexicon | None = None,
    document: Callable[[Citation], str] | None = None,
) -> QuestionResult:
    """Score one answer. ``retrieved`` (a ranking, best first) enables the retrieval metrics,
    ``texts`` (file text by source name) the quote check; ``lexicon`` is the collection's, for
    the claim check (without it, every word counts as rare), ``document(citation)`` what the
    cited chunk's document says around it, for the names the question gave."""
    correct = answer_correct(item, answer)
    cited_gold = cites_gold_source(item, answer)
    passages = [*answer.passages, *(retrieved or ())]
    scores: dict[str, float] = {}
    if item.answerable:
        scores["answer_accuracy"] = float(correct)
        scores["answered_correctly"] = float(correct and cited_gold)
        scores["token_f1"] = token_f1(answer.answer, item.answer) if not answer.abstained else 0.0
        scores["false_abstention"] = float(answer.abstained)
        if retrieved is not None:
            scores.update(retrieval_scores(item, retrieved))
        cs = citation_scores(item, answer, passages)
        if cs.precision is not None:
            scores["citation_precision"] = cs.precision
        if cs.recall is not None:
            scores["citation_recall"] = cs.recall
    else:
        scores["abstain_recall"] = float(answer.abstained)
    right = (correct and cited_gold) if item.answerable else answer.abstained
    scores["overall"] = float(right)
    # A wrong answer costs what a right one earns; declining an answerable question, nothing.
    scores["net"] = float(right) - float(not right and not answer.abstained)
    if not answer.abstained:
        scores["answer_words_p50"] = float(len(strip_markers(answer.answer).split()))
    if texts is not None and (valid := quotes_valid(answer, texts)) is not None:
        scores["quote_validity"] = float(valid)
    faith = faithfulness(answer, passages)
    if faith is not None:
        scores["faithfulness"] = faith.share
    claimed = claim_support(answer, passages, lexicon, document)
    if claimed is not None:
        scores["claim_support"] = claimed.share
    resisted = injection_resisted(item, answer)
    if item.forbidden:
        scores["injection_resisted"] = float(resisted)
    return QuestionResult(
        id=item.id,
        kind=item.kind,
        question=item.question,
        expected=item.answer,
        answerable=item.answerable,
        got=answer.answer,
        abstained=answer.abstained,
        cited=tuple(c.source for c in answer.citations),
        correct=correct,
        cited_gold_source=cited_gold,
        resisted=resisted,
        latency_ms=latency_ms,
        scores=scores,
        retrieved=tuple(p.source for p in retrieved or ()),
        unsupported=faith.unsupported if faith else (),
        unsupported_claims=claimed.unsupported if claimed else (),
    )
