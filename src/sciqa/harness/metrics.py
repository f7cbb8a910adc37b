"""Metric functions over text, rankings and answers: pure, typed, no gold-set knowledge.

``evaluation.py`` applies them to gold items; they are kept here so each can be checked on a
hand-made case (``tests/test_evaluation.py``).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sciqa import claims, echoes
from sciqa.answerer import clean_question
from sciqa.lexical import Lexicon, terms
from sciqa.schema import Answer, Citation, Passage
from sciqa.text import answer_sentences, cited_numbers, strip_markers

# -- text --------------------------------------------------------------------------------


def fact_present(fact: str, text: str) -> bool:
    """A fact is a case-insensitive substring, or a regex when it starts with ``re:``; a number
    is one however it is written ("ten" is "10")."""
    if fact.startswith("re:"):
        return re.search(fact[3:], text, re.IGNORECASE) is not None
    return _digits(normalize(fact)) in _digits(normalize(text))


def normalize(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("\u00a0", " ").lower().split())


_NUMBER_WORD = re.compile(rf"\b(?:{'|'.join(claims.NUMBER_WORDS)})\b")


def _digits(text: str) -> str:
    """Lower-case ``text`` with number words from two to ninety as digits."""
    return _NUMBER_WORD.sub(lambda m: str(claims.NUMBER_WORDS[m[0]]), text)


# -- retrieval ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RankScore:
    """Ranking metrics of one question against its set of targets."""

    recall: dict[int, float]  # k -> share of targets found in the top k
    hit: dict[int, float]  # k -> 1 when any target is in the top k
    reciprocal_rank: float  # 1 / rank of the first result that finds a target, else 0
    ndcg: dict[int, float]  # k -> nDCG@k, binary gain


def rank_metrics(
    found: Sequence[Collection[str]], targets: Collection[str], ks: Sequence[int] = (1, 5, 10)
) -> RankScore:
    """``found[i]`` holds the targets the result at rank ``i + 1`` finds.

    A result has gain 1 when it finds a target no better-ranked result found, so a second
    passage of the same gold file adds nothing, and nDCG stays within [0, 1] when each result
    finds at most one target (a passage belongs to one file).
    """
    wanted = set(targets)
    if not wanted:
        raise ValueError("rank_metrics needs at least one target")
    first: dict[str, int] = {}
    for rank, got in enumerate(found, start=1):
        for target in sorted(set(got) & wanted):
            first.setdefault(target, rank)
    ranks = sorted(set(first.values()))

    def dcg(k: int) -> float:
        return sum(1.0 / math.log2(r + 1) for r in ranks if r <= k)

    def ideal(k: int) -> float:
        return sum(1.0 / math.log2(r + 1) for r in range(1, min(len(wanted), k) + 1))

    return RankScore(
        recall={k: sum(r <= k for r in first.values()) / len(wanted) for k in ks},
        hit={k: float(bool(ranks) and ranks[0] <= k) for k in ks},
        reciprocal_rank=1.0 / ranks[0] if ranks else 0.0,
        ndcg={k: dcg(k) / ideal(k) for k in ks},
    )


# -- answers ------------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_PUNCT = str.maketrans({c: " " for c in string.punctuation + "’‘“”—–"})


def answer_tokens(text: str) -> list[str]:
    """SQuAD-style: lower case, no [n] markers, punctuation or articles."""
    text = strip_markers(text).lower().translate(_PUNCT)
    return _ARTICLES.sub(" ", text).split()


def token_f1(prediction: str, reference: str) -> float:
    """Harmonic mean of token precision and recall (SQuAD's F1)."""
    pred, ref = answer_tokens(prediction), answer_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def quotes_valid(answer: Answer, texts: Mapping[str, str]) -> bool | None:
    """Every quote is ``text[start:end]`` of its file; None when nothing is cited."""
    if not answer.citations:
        return None
    return all(
        c.source in texts and texts[c.source][c.start : c.end] == c.quote for c in answer.citations
    )


# -- faithfulness -------------------------------------------------------------------------

SUPPORT_RECALL = 0.8  # share of a sentence's terms a passage must hold to support it


def marked_sentences(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """The answer's sentences without markers, each with the citation numbers it carries."""
    out = []
    for piece in answer_sentences(text, end_at_markers=True):
        sentence = strip_markers(piece)
        if re.search(r"[A-Za-z]", sentence):
            out.append((sentence, tuple(cited_numbers(piece))))
    return out


def supported(sentence: str, evidence: Iterable[str]) -> bool:
    """Lexical support: the sentence is inside an evidence text, or that text holds at least
    :data:`SUPPORT_RECALL` of its terms (stemmed, stop words out)."""
    norm, wanted = normalize(sentence), set(terms(sentence))
    for text in evidence:
        if norm in normalize(text):
            return True
        if wanted and len(wanted & set(terms(text))) / len(wanted) >= SUPPORT_RECALL:
            return True
    return False


@dataclass(frozen=True)
class Faithfulness:
    sentences: int
    unsupported: tuple[str, ...]

    @property
    def share(self) -> float:
        return 1.0 - len(self.unsupported) / self.sentences if self.sentences else 0.0


def faithfulness(answer: Answer, passages: Sequence[Passage] = ()) -> Faithfulness | None:
    """Which answer sentences a passage they cite supports; None for an abstention.

    A sentence with ``[n]`` markers is checked against those citations' quotes and passages; one
    without markers against every citation of the answer. Nothing cited supports nothing.
    """
    if answer.abstained:
        return None
    by_id = {p.chunk_id: p.text for p in passages}
    by_n = {c.n: [c.quote, by_id.get(c.chunk_id, "")] for c in answer.citations}
    everything = [t for texts in by_n.values() for t in texts]
    sentences = marked_sentences(answer.answer)
    unsupported = tuple(
        s
        for s, ns in sentences
        if not supported(s, [t for n in ns for t in by_n.get(n, [])] if ns else everything)
    )
    return Faithfulness(len(sentences), unsupported)


@dataclass(frozen=True)
class ClaimSupport:
    sentences: int  # the answer's sentences before any were removed
    unsupported: tuple[str, ...]  # "sentence (reason)", removed or still in the answer

    @property
    def share(self) -> float:
        return 1.0 - len(self.unsupported) / self.sentences if self.sentences else 0.0


def claim_support(
    answer: Answer,
    passages: Sequence[Passage] = (),
    lexicon: Lexicon | None = None,
    document: Callable[[Citation], str] | None = None,
) -> ClaimSupport | None:
    """The share of the answer's sentences, before any were removed, whose numbers, names and
    rare words the passages they cite hold (:mod:`sciqa.claims`): the sentences it still has,
    checked again, plus ``Answer.removed``. None for an abstention that removed nothing.

    A cited passage not among ``passages`` is represented by its title and quote.
    ``document(citation)`` gives what the cited chunk's document says around it
    (:meth:`sciqa.pipeline.Pipeline.context_of`), as the LLM answerer's check reads it; the
    question is read as both answerers read it: as searched (``Answer.query``, misspellings
    corrected), without the instructions written into it."""
    by_id = {p.chunk_id: claims.evidence(p) for p in passages}
    cited = {c.n: by_id.get(c.chunk_id, f"{c.title}\n{c.quote}") for c in answer.citations}
    around = {c.n: document(c) for c in answer.citations} if document else None
    checked = (
        []
        if answer.abstained
        else claims.check_answer(
            answer.answer,
            cited,
            lexicon=lexicon,
            asked=clean_question(answer.query or answer.question),
            around=around,
            subject=False,  # what the passages hold; answered_correctly scores the subject
        )
    )
    if not checked and not answer.removed:
        return None
    # A sentence removed for only saying the question again claimed nothing unsupported.
    unsupported = [
        f"{r.sentence} ({r.reason})" for r in answer.removed if r.reason != echoes.ECHO
    ] + [f"{strip_markers(s)} ({v.reason})" for s, v in checked if not v.supported]
    return ClaimSupport(len(checked) + len(answer.removed), tuple(unsupported))


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between the closest ranks; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
