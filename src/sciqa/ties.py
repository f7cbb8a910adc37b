"""Whether a cited passage gives a claim's value for what the question asks about.

The lexical check (:mod:`sciqa.claims`) proves that a claim's numbers stand somewhere in the
passage it cites. A near miss passes it: "4,100 tonnes" for "How many tonnes did it make in
2011?" when the passage gives 4,100 tonnes for 2009 and names 2011 elsewhere; "born on 19
December 1821" when that is the date the island was sighted. So a number the claim gives (and
the question does not) must stand in a sentence of a cited passage that, with the two
sentences before it, holds every number the question names, and that speaks of the birth or
death the claim states (the rules the offline answerer keeps, :mod:`sciqa.answerer.answerer`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sciqa.answerer import types
from sciqa.documents import Span
from sciqa.text import split_sentences, strip_markers

REASON = "the cited passage gives it for something other than what was asked"


def tied(question: str, claim: str, texts: Sequence[str]) -> bool:
    """Whether one sentence of ``texts`` (the cited passages, and their documents: a passage
    may start after the sentence that names the year) gives one of the numbers ``claim`` adds
    to ``question``, with every number the question names in it or the two sentences before
    it, and speaks of the birth or death the claim states. A claim that adds no number, or
    whose numbers stand in no text as digits (a passage's "ten" for the claim's "10"), is not
    judged here: the lexical check reads number words."""
    claim = strip_markers(claim)
    asked = types.numbers(question)
    given = types.numbers(claim) - asked
    if not given or not any(given & types.numbers(t) for t in texts):
        return True
    for text in texts:
        before: list[str] = []
        for sentence in (s.text for s in split_sentences(Span(0, len(text), text))):
            if (
                given & types.numbers(sentence)
                and asked <= types.numbers(" ".join([*before[-2:], sentence]))
                and types.states_the_event(claim, sentence)
            ):
                return True
            before.append(sentence)
    return False
