"""The offline answerer: quote the sentences of the retrieved passages that best answer.

No generative model small enough to ship answers well here, so the default answerer is
extractive. Every sentence of the retrieved passages is scored by

- meaning: cosine similarity of the question and the sentence (the same MiniLM embeddings),
- words: the IDF-weighted share of the question's terms that the sentence holds, and that its
  passage holds,
- answer type: a "when" question wants a date, "how many" a number, "where" a place,
  "who" a name; a sentence without one is marked down,

and one to three sentences are quoted verbatim, in document order, each followed by ``[n]``.
When the best score is below ``min_score`` (calibrated on the gold set's unanswerable questions)
it answers :data:`NOT_FOUND` instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from sciqa.embeddings import embed_array
from sciqa.lexical import terms
from sciqa.schema import Answer, Citation, Passage
from sciqa.store import Lexicon

NOT_FOUND = "I could not find the answer to that in the documents."

W_DENSE, W_LEX, W_PASSAGE, W_RANK = 0.50, 0.30, 0.12, 0.08
TYPE_BONUS, TYPE_PENALTY = 0.04, 0.12

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_MONTH = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|spring|summer|fall|autumn|winter)\b"
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|"
    r"thousand|million|billion|half|percent)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+[A-Z][a-zà-ÿ]+")
_PLACE = re.compile(r"\b(?:in|at|from|based in|located in)\s+[A-Z][a-z]+|^[A-Z]{2}, ")
_LOCATION_LINE = re.compile(r"^[A-Z]{2}(?:, [^,]{1,40}){1,2}$")

_EXPECT = [
    (re.compile(r"\b(?:when|what year|which year|what date|how long ago|since when)\b", re.I),
     "time"),
    (re.compile(r"\b(?:how many|how much|what percentage|what share|what number|how long|"
                r"how big|how large|what amount|what size)\b", re.I), "number"),
    (re.compile(r"\b(?:where|which city|what city|which country|what location|which location|"
                r"which office|in which)\b", re.I), "place"),
    (re.compile(r"\b(?:who|whom|whose|which professor|which scientist)\b", re.I), "name"),
]


def expected_type(question: str) -> str | None:
    for pattern, kind in _EXPECT:
        if pattern.search(question):
            return kind
    return None


def has_type(sentence: str, kind: str) -> bool:
    if kind == "time":
        return bool(_YEAR.search(sentence) or _MONTH.search(sentence))
    if kind == "number":
        return bool(_NUMBER.search(sentence))
    if kind == "place":
        return bool(_PLACE.search(sentence) or _LOCATION_LINE.match(sentence))
    if kind == "name":
        return bool(_NAME.search(sentence))
    return True


@dataclass
class _Candidate:
    passage: Passage
    rank: int
    text: str
    start: int
    end: int
    score: float = 0.0


def _overlap(q_terms: set[str], text_terms: set[str], lexicon: Lexicon) -> float:
    total = sum(lexicon.idf(t) for t in q_terms)
    if total == 0:
        return 0.0
    return sum(lexicon.idf(t) for t in q_terms & text_terms) / total


class ExtractiveAnswerer:
    """Answers by quoting; never invents text. Thread-safe."""

    model = "extractive"

    def __init__(
        self,
        embeddings: Embeddings,
        lexicon: Callable[[], Lexicon],
        *,
        min_score: float,
        max_sentences: int = 3,
    ) -> None:
        self.embeddings = embeddings
        self.lexicon = lexicon
        self.min_score = min_score
        self.max_sentences = max_sentences
        self._cache: dict[str, np.ndarray] = {}

    def _vectors(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            if len(self._cache) > 50_000:
                self._cache.clear()
            for t, v in zip(todo, embed_array(self.embeddings, todo)):
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts])

    def score(self, question: str, passages: list[Passage]) -> list[_Candidate]:
        """Every sentence of ``passages``, scored, best first."""
        candidates = [
            _Candidate(p, rank, p.text[off : off + (end - start)], start, end)
            for rank, p in enumerate(passages)
            for off, start, end in p.spans
        ]
        if not candidates:
            return []
        lexicon = self.lexicon()
        q_terms = set(terms(question))
        q_vec = self._vectors([question])[0]
        dense = self._vectors([c.text for c in candidates]) @ q_vec
        passage_lex = {
            p.chunk_id: _overlap(q_terms, set(terms(p.title + " " + p.text)), lexicon)
            for p in passages
        }
        kind = expected_type(question)
        for c, d in zip(candidates, dense):
            lex = _overlap(q_terms, set(terms(c.text)), lexicon)
            score = (
                W_DENSE * float(d)
                + W_LEX * lex
                + W_PASSAGE * passage_lex[c.passage.chunk_id]
                + W_RANK / (1 + c.rank)
            )
            if kind is not None:
                score += TYPE_BONUS if has_type(c.text, kind) else -TYPE_PENALTY
            if c.text.rstrip().endswith("?"):
                score -= 0.25  # a question in the text (an interview's "Q.") is not an answer
            if len(c.text.split()) < 5 and not _LOCATION_LINE.match(c.text):
                score -= 0.10  # headings and captions
            c.score = score
        return sorted(candidates, key=lambda c: -c.score)

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        ranked = self.score(question, passages)
        if not ranked or ranked[0].score < self.min_score:
            return Answer(question, NOT_FOUND, True, (), model=self.model)
        chosen = [ranked[0]]
        floor = max(self.min_score, ranked[0].score - 0.08)
        for c in ranked[1:]:
            if len(chosen) == self.max_sentences or c.score < floor:
                break
            c_terms = set(terms(c.text))
            if any(_similar(c_terms, set(terms(o.text))) for o in chosen):
                continue  # says the same again (overlapping chunks, repeated captions)
            chosen.append(c)
        # Read in document order: by the best-ranked source first, then by position.
        first_rank = {}
        for c in chosen:
            first_rank.setdefault(c.passage.source, c.rank)
        chosen.sort(key=lambda c: (first_rank[c.passage.source], c.passage.source, c.start))
        citations = tuple(
            Citation(
                n=n,
                source=c.passage.source,
                title=c.passage.title,
                section=c.passage.section,
                chunk_id=c.passage.chunk_id,
                quote=c.text,
                start=c.start,
                end=c.end,
                score=round(c.score, 4),
            )
            for n, c in enumerate(chosen, start=1)
        )
        text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
        return Answer(question, text, False, citations, model=self.model)


def _similar(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / min(len(a), len(b)) > 0.7
