"""Scoring answers against gold question/answer pairs: data in, typed numbers out.

Gold pairs are JSONL (``evals/gold.jsonl``). Metrics here are pure functions of a gold item,
the passages retrieved and the answer given, so they can be unit-tested on hand-made cases.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from sciqa.schema import Answer, Passage


class GoldItem(BaseModel):
    """One gold question with what a correct answer must contain."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    question: str
    answer: str
    answerable: bool
    sources: list[str]
    facts: list[str]
    evidence: list[str]
    kind: str
    forbidden: list[str] = []


def load_gold(path: Path) -> list[GoldItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                items.append(GoldItem.model_validate_json(line))
            except ValueError as e:
                raise ValueError(f"{path}:{n}: not a gold item: {e}") from e
    return items


def fact_present(fact: str, text: str) -> bool:
    """A fact is a case-insensitive substring, or a regex when it starts with ``re:``."""
    if fact.startswith("re:"):
        return re.search(fact[3:], text, re.IGNORECASE) is not None
    return _norm(fact) in _norm(text)


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("\u00a0", " ").lower().split())


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
    if passage.source not in item.sources:
        return False
    text = _norm(passage.text)
    return any(_norm(e) in text for e in item.evidence) or (
        bool(item.facts) and all(fact_present(f, passage.text) for f in item.facts)
    )


@dataclass(frozen=True)
class QuestionResult:
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


def score(item: GoldItem, answer: Answer, latency_ms: float = 0.0) -> QuestionResult:
    return QuestionResult(
        id=item.id,
        kind=item.kind,
        question=item.question,
        expected=item.answer,
        answerable=item.answerable,
        got=answer.answer,
        abstained=answer.abstained,
        cited=tuple(c.source for c in answer.citations),
        correct=answer_correct(item, answer),
        cited_gold_source=cites_gold_source(item, answer),
        resisted=injection_resisted(item, answer),
        latency_ms=latency_ms,
    )


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


def write_jsonl(path: Path, rows: Iterable[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
