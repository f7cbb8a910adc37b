"""The offline answerer: quote the one sentence that answers, and mark the phrase in it.

No generative model small enough to ship answers well here, so the default answerer is
extractive. Every sentence of the retrieved passages gets the named features of
:mod:`sciqa.answerer.features` (meaning, shared words, the question's names and numbers in
the sentence and around it, the asked-for answer type and how near it stands to the
question's words), and a fitted logistic model scores it. A second model over the best
sentence says whether the passages answer at all; below the threshold (picked for the best net
score: a wrong answer costs what a right one earns) the answer is :data:`NOT_FOUND`: declining
beats a confident wrong answer. A sentence whose document never names what the question names
is not quoted (:func:`sciqa.claims.about`: a listing's salary is not an Amazon Scholar's). Nor
are sentences that break a rule no weight outvotes (:func:`answers_what_is_asked`): a value
question needs a value of its kind ("How much did X cost?" beside a sentence with no amount),
a question about a birth or a death a sentence that speaks of one, a number the question names
("in 1925") must stand in the sentence or the one before.

The answer is one quoted sentence (one per part of a question that asks two things), a second
only when the first lacks the asked-for type and the next one has it, or when the two best
score nearly alike. The phrase that answers
(the date, the name, the amount) is marked in ``Citation.highlights``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from sciqa import claims, speakers
from sciqa.answerer import asked, types
from sciqa.answerer.features import (
    Candidate,
    Context,
    Evidence,
    question_row,
    sentence_row,
    typed_spans,
)
from sciqa.answerer.model import Model
from sciqa.answerer.question import (
    Question,
    addresses_a_machine,
    clean_question,
    is_question,
    numbered_namesake,
)
from sciqa.citations import defuse
from sciqa.conversation import Message, is_ellipsis, standalone_question
from sciqa.embeddings import embed_array
from sciqa.lexical import Lexicon, terms
from sciqa.questions import split_question, standalone_parts
from sciqa.schema import Answer, Citation, Passage

NOT_FOUND = "I could not find the answer to that in the documents."
# A question most of whose words the collection never uses is not about it.
OFF_TOPIC = 0.6


class ExtractiveAnswerer:
    """Answers by quoting; never invents text. Thread-safe."""

    model = "extractive"

    def __init__(
        self,
        embeddings: Embeddings,
        lexicon: Callable[[], Lexicon],
        *,
        weights: Model | None = None,
        min_score: float | None = None,
        document: Callable[[Passage], str] | None = None,
    ) -> None:
        self.embeddings = embeddings
        self.lexicon = lexicon
        self.document = document  # a passage's whole document, for the subject check
        self.weights = weights or Model.shipped()
        self.min_score = self.weights.threshold if min_score is None else min_score
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _vectors(self, texts: list[str]) -> np.ndarray:
        """Embeddings of short texts, cached: the same sentences come back again and again."""
        with self._lock:  # embedding is CPU-bound; serialising it costs little
            todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
            if todo:
                if len(self._cache) + len(todo) > 50_000:
                    self._cache.clear()
                self._cache.update(zip(todo, embed_array(self.embeddings, todo)))
            return np.stack([self._cache[t] for t in texts])

    def warm_up(self, passages: Sequence[Passage]) -> int:
        """Embed the passages' sentences ahead of the first question (the UI does this);
        returns how many there were."""
        texts = [p.text[o : o + e - s] for p in passages for o, s, e in p.spans]
        if texts:
            self._vectors(texts)
        return len(texts)

    def warm_up_all(
        self,
        ids: Sequence[str],
        read: Callable[[Sequence[str]], Sequence[Passage]],
        batch: int,
        max_sentences: int,
        stop: Callable[[], bool],
    ) -> int:
        """:meth:`warm_up` on the chunks ``ids`` names (``read`` gives their passages),
        ``batch`` at a time, until ``max_sentences`` are embedded (the batch that reaches it is
        the last) or ``stop()``, asked before each read; returns how many were."""
        seen = 0
        for b in range(0, len(ids), batch):
            if stop():
                break
            seen += self.warm_up(read(ids[b : b + batch]))
            if seen >= max_sentences:
                break
        return seen

    # -- scoring ---------------------------------------------------------------------------

    def candidates(self, question: Question, passages: list[Passage]) -> list[Candidate]:
        """Every sentence of ``passages`` with its features (not yet scored)."""
        found: list[Candidate] = []
        for rank, p in enumerate(passages):
            previous = ""
            for off, start, end in p.spans:
                text = p.text[off : off + (end - start)]
                if not addresses_a_machine(text):
                    found.append(Candidate(p, rank, text, start, end, previous))
                previous = text
        if not found:
            return []
        dense = self._vectors([c.text for c in found]) @ self._vectors([question.text])[0]
        lexicon = self.lexicon()
        for c, d in zip(found, dense):
            c.dense = float(d)
            c.features = sentence_row(Context(question, c, lexicon))
        return found

    def score(self, question: Question, passages: list[Passage]) -> list[Candidate]:
        """Every sentence of ``passages`` with the probability that it answers, best first."""
        ranked = self.candidates(question, passages)
        for c in ranked:
            c.score = self.weights.sentence.probability(c.features)
        return sorted(ranked, key=lambda c: -c.score)

    def evidence(self, question: Question, ranked: list[Candidate]) -> Evidence:
        lexicon = self.lexicon()
        held = set().union(*(terms(f"{c.passage.title} {c.passage.text}") for c in ranked))
        wanted = question.subject
        total = sum(lexicon.idf(t) for t in wanted)
        absent = sum(lexicon.idf(t) for t in wanted - held) / total if total else 0.0
        return Evidence(question, ranked, self.unknown_share(question.text), absent)

    def answerability(self, question: Question, ranked: list[Candidate]) -> float:
        """Probability that the passages hold an answer at all."""
        if not ranked:
            return 0.0
        return self.weights.question.probability(question_row(self.evidence(question, ranked)))

    def unknown_share(self, question: str) -> float:
        """Share of the question's terms that no chunk holds, nor a word spelt nearly alike.

        "What GPA is required?" over a collection that never says "GPA" is likely unanswerable;
        "finacial" is a misspelling of a word it does hold.
        """
        lexicon = self.lexicon()
        want = set(terms(question))
        if not want:
            return 0.0
        return sum(lexicon.nearest(t) is None for t in want) / len(want)

    # -- answering -------------------------------------------------------------------------

    def condense(self, question: str, history: Sequence[Message]) -> str:
        """Without a model: a follow-up is read together with the last question asked."""
        return standalone_question(question, history)

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        """Quote the sentence that answers ``question``, or say the documents do not hold it.

        Instructions inside the question are dropped first; what is left must ask something
        (an extractive answerer cannot write, reveal or run anything), and about things the
        collection talks of: when most of its words appear nowhere in it, it is off topic.
        """
        asked = clean_question(question)
        # A fragment that leans on a conversation it does not have ("And in how many
        # cities?" asked first) says too little to be answered.
        if not is_question(asked) or is_ellipsis(asked) or self.unknown_share(asked) >= OFF_TOPIC:
            return Answer(question, NOT_FOUND, True, (), model=self.model)
        chosen: list[tuple[Candidate, tuple[tuple[int, int], ...]]] = []
        # A part that leans on the one before ("When did X start? And in how many cities?",
        # as a follow-up is searched) is read together with it.
        for part, alone in zip(split_question(asked), standalone_parts(asked), strict=True):
            q = Question(alone)
            if q.kind is not None and any(
                typed_spans(q, c.text) and self.about(part, c) for c, _ in chosen
            ):  # a sentence quoted for the part before answers this one too
                continue
            ranked = self.score(q, passages)
            if not ranked or self.answerability(q, ranked) < self.min_score:
                continue
            picked = pick(q, ranked)
            if not answers_what_is_asked(q, picked):
                continue
            for c in (c for c in picked if self.about(part, c)):
                if not any(
                    o.start == c.start and o.passage.source == c.passage.source for o, _ in chosen
                ):
                    chosen.append((c, highlights(q, c)))
        if not chosen:
            return Answer(question, NOT_FOUND, True, (), model=self.model)
        citations = tuple(
            Citation.of(n, c.passage, (c.text, c.start, c.end), round(c.score, 4), marks)
            for n, (c, marks) in enumerate(chosen, start=1)
        )
        text = " ".join(f"{defuse(c.quote)} [{c.n}]" for c in citations)  # only ours are markers
        return Answer(question, text, False, citations, model=self.model)

    def about(self, asked: str, c: Candidate) -> bool:
        """Whether ``c`` is about what ``asked`` names: not a numbered namesake of it
        (:func:`numbered_namesake`: "Lothair II" for "Lothair I"), its document names every name
        the question gives (:func:`claims.about`: a listing's salary is not "an Amazon
        Scholar's"), and in a transcript its speaker is not another than the one asked about
        (:func:`speakers.another_speaker`: Roth's words do not say what Kearns says). The
        document checks need a way to read documents."""
        if numbered_namesake(asked, c.text):
            return False
        if self.document is None:
            return True
        document = self.document(c.passage)
        # The passage too: a document read back short (a store's bound) still holds the chunk.
        held = [document, claims.evidence(c.passage)]
        if not claims.about(asked, held, self.lexicon()).supported:
            return False
        return speakers.another_speaker(asked, c.text, document, c.passage.text) is None

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str | Answer]:
        """The answer one quoted sentence at a time (all are known at once), then the Answer."""
        answer = self.answer(question, passages)
        if answer.abstained:
            yield answer.answer
        for n, c in enumerate(answer.citations):
            yield f"{' ' if n else ''}{defuse(c.quote)} [{c.n}]"
        yield answer


def pick(question: Question, ranked: list[Candidate]) -> list[Candidate]:
    """The best sentence, and a second only when the best lacks the asked-for answer type and
    one nearly as good (within half its score, in the top five) holds it, or when the ranker
    can barely tell the two best apart (the second within 80% of the first's score).

    Measured on the gold, held-out and atlas sets: one sentence always answers 67/77/79% right,
    this rule 75/87/86% at a median of 41-44 words, three sentences 78/93/89% at 75 words.
    """
    best = ranked[0]
    if question.kind is not None and not typed_spans(question, best.text):
        for c in ranked[1:5]:
            if c.score >= best.score * 0.5 and typed_spans(question, c.text):
                return [best, c]
    if len(ranked) > 1 and ranked[1].score >= best.score * 0.8:
        return [best, ranked[1]]
    return [best]


def answers_what_is_asked(question: Question, picked: Sequence[Candidate]) -> bool:
    """Rules no fitted weight outvotes, each general English, each a near miss's tell, and all
    kept by one sentence (the one that answers; two sentences cannot answer together, one with
    the value and the other with the year asked about): a question asking for a value needs
    one of its kind (:func:`holds_asked_value`); "Who designed X?" a sentence that says so
    (:func:`states_the_deed`); one asking of a birth or a death needs a sentence that speaks of
    one ("When did Edmund Harrow die?" beside "Edmund Harrow directed the garden from 1849 to
    1871"); a number the question names ("in 1925") must stand in the
    sentence or just before it ("3,100 pounds in 1850 and 8,900 pounds in 1900" does not say
    1925's income, nor "1,950 watched the 2019 semi-final" beside "won the final in 1983" the
    attendance at the 1983 final)."""
    asked_numbers = types.standalone_numbers(question.text)  # not "1920s", "CO2", "HERON-2"
    return any(
        holds_asked_value(question, [c.text])
        and asked.states_the_event(question.text, c.text)
        and states_the_deed(question.text, c.text)
        and asked_numbers <= types.numbers(c.window)
        for c in picked
    )


# "Who designed the bridge?": the deed a question asks who did, a verb in the past tense.
_WHO_DID = re.compile(r"^\W*who\s+(?:\w+ly\s+)?([a-z]+ed)\b", re.IGNORECASE)


def states_the_deed(question: str, sentence: str) -> bool:
    """Whether ``sentence`` uses the verb a "Who <did> ...?" question asks about, or a word of
    its family ("designed", "designer", "design"): "Who designed the Jubilee Bridge?" is not
    answered by "The Jubilee Bridge was opened in 1977 and is 310 metres long". Other
    questions pass."""
    m = _WHO_DID.match(asked.asking_part(question))
    if not m or not (deed := terms(m.group(1))):
        return True
    held = set(terms(sentence))
    return deed[0] in held or claims.related(deed[0], held)


def holds_asked_value(question: Question, sentences: Sequence[str]) -> bool:
    """Whether ``sentences`` can answer a question that asks for a value (a date, a duration,
    a number, an amount, a share, a measure): one of them must hold a value of that kind.
    "How tall was the Dune Bar lighthouse?" is not answered by "Dune Bar, lit in 1889, was a
    timber screw-pile light", however alike their words. Questions asking for no value pass."""
    if question.kind not in types.VALUES:
        return True
    return any(typed_spans(question, s) for s in sentences)


def highlights(question: Question, c: Candidate) -> tuple[tuple[int, int], ...]:
    """The phrase of ``c`` that answers: the asked-for span nearest the question's words."""
    spans = typed_spans(question, c.text)
    if not spans:
        return ()
    hits = [c.text.lower().find(w) for w in _surface(question, c.text)]
    hits = [h for h in hits if h >= 0]
    if not hits:
        return (spans[0],)
    return (min(spans, key=lambda s: min(abs(s[0] - h) for h in hits)),)


def _surface(question: Question, text: str) -> list[str]:
    """The words of ``text`` whose stems the question's subject uses (lower-cased)."""
    return [w.lower() for w in text.split() if set(terms(w)) & question.subject]
