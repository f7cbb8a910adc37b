"""Named features: what the two fitted models read.

:data:`SENTENCE` scores one sentence of the retrieved passages as the answer; :data:`QUESTION`
reads the best sentence and the question to say whether the passages answer at all. Each is a
dict of name -> function, and the weights file names its weights the same way
(``model.json``), so reordering a line cannot silently pair a weight with another feature.

The features that carry abstention are about the question's subject: an answer must be about
what was asked. A sentence that holds a salary but sits in a listing for another role, or a
date about another programme, misses the question's anchors (its names and numbers) in the
sentence and the words around it; the fitted models learn how much that costs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sciqa.answerer import types
from sciqa.answerer.question import Question
from sciqa.lexical import Lexicon, terms
from sciqa.schema import Passage


@dataclass
class Candidate:
    """One sentence of a retrieved passage, as the answerer weighs it.

    ``text`` is the passage's ``text[offset:offset + end - start]`` and ``file[start:end]``.
    """

    passage: Passage
    rank: int  # the passage's rank in retrieval, 0 = best
    text: str
    start: int
    end: int
    previous: str = ""  # the sentence before it in the passage ("" for the first)
    dense: float = 0.0  # cosine similarity of the question and the sentence
    score: float = 0.0  # the fitted probability that it answers
    features: dict[str, float] = field(default_factory=dict)

    @property
    def window(self) -> str:
        """The sentence with what a reader sees around it: the one before and the title."""
        return f"{self.passage.title} {self.previous} {self.text}"


@dataclass(frozen=True)
class Context:
    """What the sentence features are computed from."""

    question: Question
    candidate: Candidate
    lexicon: Lexicon

    def share(self, wanted: frozenset[str], text: str) -> float:
        """IDF-weighted share of ``wanted`` held by ``text`` (1.0 when nothing is wanted)."""
        total = sum(self.lexicon.idf(t) for t in wanted)
        if not total:
            return 1.0
        held = set(terms(text))
        return sum(self.lexicon.idf(t) for t in wanted & held) / total


def typed_spans(question: Question, sentence: str) -> list[tuple[int, int]]:
    """Spans of the asked-for type in ``sentence`` that say something the question does not."""
    if question.kind is None:
        return []
    asked = question.terms
    return [
        (a, b)
        for a, b in types.spans(sentence, question.kind)
        if not set(terms(sentence[a:b])) <= asked or not terms(sentence[a:b])
    ]


def _type_ok(c: Context) -> float:
    return 1.0 if c.question.kind is None or typed_spans(c.question, c.candidate.text) else 0.0


def _type_near(c: Context) -> float:
    """A typed span within a few words of a word the question uses: 1 adjacent, falling off."""
    spans = typed_spans(c.question, c.candidate.text)
    if not spans:
        return 0.0
    text = c.candidate.text
    hits = [i for i, w in enumerate(text.split()) if set(terms(w)) & c.question.subject]
    if not hits:
        return 0.0
    best = min(
        abs(len(text[:a].split()) - i) for a, _ in spans for i in hits
    )  # words between the span and the nearest question word
    return 1.0 / (1.0 + best / 4)


def _anchors_missing(c: Context) -> float:
    """IDF-weighted share of the question's names and numbers missing around the sentence
    (a name the whole collection uses weighs little)."""
    if not c.question.anchors:
        return 0.0
    return 1.0 - c.share(c.question.anchors, c.candidate.window)


def _anchors_missing_passage(c: Context) -> float:
    """The same over the whole passage and its title: a name the passage never mentions."""
    if not c.question.anchors:
        return 0.0
    return 1.0 - c.share(
        c.question.anchors, f"{c.candidate.passage.title} {c.candidate.passage.text}"
    )


def _missing_top(c: Context) -> float:
    """How specific the most specific subject word missing around the sentence is: its IDF
    over the largest IDF the collection has (0 when every subject word is there).

    "Which company manufactures the vans?" beside a sentence about the vans that never says
    who makes them: "manufactures" is missing, and it is a rare word."""
    held = set(terms(c.candidate.window))
    missing = c.question.subject - held
    if not missing:
        return 0.0
    top = c.lexicon.idf("\0")  # a term no chunk holds has the largest IDF
    return max(c.lexicon.idf(t) for t in missing) / top


def _focus_near(c: Context) -> float:
    """A typed span within three words of what the question asks for ("how many X": a number
    just before X)."""
    spans = typed_spans(c.question, c.candidate.text)
    if not spans or not c.question.focus:
        return 0.0
    text = c.candidate.text
    at = [i for i, w in enumerate(text.split()) if set(terms(w)) & c.question.focus]
    starts = [len(text[:a].split()) for a, _ in spans]
    ends = [len(text[:b].split()) for _, b in spans]
    return float(any(-3 <= i - e <= 0 or 0 <= s - i <= 3 for i in at for s, e in zip(starts, ends)))


def _novelty(c: Context) -> float:
    words = set(terms(c.candidate.text))
    return len(words - c.question.terms) / len(words) if words else 0.0


SENTENCE: dict[str, Callable[[Context], float]] = {
    "dense": lambda c: c.candidate.dense,
    "lex": lambda c: c.share(c.question.terms, c.candidate.text),
    "window": lambda c: c.share(c.question.subject, c.candidate.window),
    "anchors_missing": _anchors_missing,
    "missing_top": _missing_top,
    "anchors_missing_passage": _anchors_missing_passage,
    "focus": lambda c: c.share(c.question.focus, c.candidate.window),
    "type_ok": _type_ok,
    "type_near": _type_near,
    "focus_near": _focus_near,
    "novelty": _novelty,
    "is_question": lambda c: float(c.candidate.text.rstrip().endswith("?")),
    "short": lambda c: float(len(c.candidate.text.split()) < 5),
    "rank": lambda c: 1.0 / (1 + c.candidate.rank),
}


@dataclass(frozen=True)
class Evidence:
    """What the answerability features read: the question, its ranked sentences, and the
    collection-level facts about its words."""

    question: Question
    ranked: list[Candidate]
    unknown: float  # share of the question's terms the collection never uses (nor a near one)
    absent: float  # IDF-weighted share of its subject no retrieved passage holds

    @property
    def best(self) -> Candidate:
        return self.ranked[0]


QUESTION: dict[str, Callable[[Evidence], float]] = {
    "best": lambda e: e.best.score,
    "best_anchors_missing": lambda e: e.best.features["anchors_missing"],
    "best_missing_top": lambda e: e.best.features["missing_top"],
    "best_anchors_missing_passage": lambda e: e.best.features["anchors_missing_passage"],
    "margin": lambda e: e.best.score - (e.ranked[1].score if len(e.ranked) > 1 else 0.0),
    "best_type_near": lambda e: e.best.features["type_near"],
    "best_focus_near": lambda e: e.best.features["focus_near"],
    "best_window": lambda e: e.best.features["window"],
    "best_focus": lambda e: e.best.features["focus"],
    "best_dense": lambda e: e.best.dense,
    "best_type_ok": lambda e: e.best.features["type_ok"],
    "asks_type": lambda e: float(e.question.kind is not None),
    "unknown": lambda e: e.unknown,
    "absent": lambda e: e.absent,
}


def sentence_row(context: Context) -> dict[str, float]:
    return {name: float(f(context)) for name, f in SENTENCE.items()}


def question_row(evidence: Evidence) -> dict[str, float]:
    return {name: float(f(evidence)) for name, f in QUESTION.items()}
