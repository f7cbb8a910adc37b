"""Whether a cited passage gives a claim's value for what the question asks about.

The lexical check (:mod:`sciqa.claims`) proves that a claim's numbers stand somewhere in the
passage it cites. A near miss passes it: "4,100 tonnes" for "How many tonnes did it make in
2011?" when the passage gives 4,100 tonnes for 2009 and names 2011 elsewhere; "born on 19
December 1821" when that is the date the island was sighted. So a number the claim gives (and
the question does not) must stand in a sentence of a cited passage that, with the two
sentences before it, holds the numbers the question names (those the claim repeats, or all),
and that speaks of the birth or death the question asks about (the rules the offline answerer
keeps, :mod:`sciqa.answerer.answerer`).
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
    to ``question``, with the question's numbers in it or the two sentences before it, and
    speaks of the birth or death the question asks about. A claim that adds no number, or
    whose numbers stand in no text as digits (a passage's "ten" for the claim's "10"), is not
    judged here: the lexical check reads number words."""
    claim = strip_markers(claim)
    asked = types.standalone_numbers(question)
    given = types.numbers(claim) - types.numbers(question)
    holding = [t for t in texts if given & types.numbers(t)]  # only these are read sentence-wise
    if not given or not holding:
        return True
    # The question's numbers the claim repeats ("in 2009", of "2009 and 2011"), or all of them
    # when it repeats none ("4,100 tonnes" for "How many tonnes in 2011?").
    asked = (asked & types.numbers(claim)) or asked
    for text in holding:
        before: list[str] = []
        for sentence in (s.text for s in split_sentences(Span(0, len(text), text))):
            if (
                given & types.numbers(sentence)
                and asked <= types.numbers(" ".join([*before[-2:], sentence]))
                and types.states_the_event(question, sentence)
            ):
                return True
            before.append(sentence)
    return False
