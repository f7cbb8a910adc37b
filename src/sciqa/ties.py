"""Whether a cited passage gives a claim's value for what the question asks about.

The lexical check (:mod:`sciqa.claims`) proves that a claim's numbers stand somewhere in the
passage it cites. A near miss passes it: "4,100 tonnes" for "How many tonnes did it make in
2011?" when the passage gives 4,100 tonnes for 2009 and names 2011 elsewhere; "born on 19
December 1821" when that is the date the island was sighted. So a number the claim gives (and
the question does not) must stand in a sentence of a cited passage that, with the two
sentences before it, holds the numbers the question names (those the claim repeats, or all),
and that speaks of the birth or death the question asks about (the rules the offline answerer
keeps, :mod:`sciqa.answerer.answerer`). And a number must count what the passage counts with it
(:func:`counts_alike`): "Lorraine Tate made 214 appearances" does not follow from "Lorraine Tate
scored 214 goals", though every word of it stands in the passage (the question's own words,
"appearances", are not required of a passage: models echo them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sciqa.answerer import types
from sciqa.answerer.asked import states_the_event
from sciqa.documents import Span
from sciqa.lexical import terms
from sciqa.text import split_sentences, strip_markers

REASON = "the cited passage gives it for something other than what was asked"
COUNTS_REASON = "the cited passage counts something else with that number"
# A number written as digits, not the tail of another ("2.38", "A4", "1,000").
_NUMBER = r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)"
# A number and the word after it that says what it counts: "214 goals", "31 new stations".
_COUNT = re.compile(
    rf"(?<!-){_NUMBER}(?:\.\d+)?\s+"
    r"(?:(?:more|fewer|other|new|different|separate|extra)\s+)?([^\W\d_][\w-]*)"
)
_YEAR = re.compile(r"1\d{3}|20\d{2}")


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
                and states_the_event(question, sentence)
            ):
                return True
            before.append(sentence)
    return False


def counted(text: str) -> set[tuple[str, str]]:
    """(number, stem of what it counts) for each number written as digits and followed by a
    word that is no unit ("12 metres" is a measure, and "metres" is spelt "meters" too), nor a
    year ("In 1983 Ashby Marsh won": a date, not 1983 of anything)."""
    found = set()
    for m in _COUNT.finditer(text):
        word = m.group(2)
        if _YEAR.fullmatch(m.group(1)) or types.UNIT.fullmatch(word) or not (stem := terms(word)):
            continue
        found.add((m.group(1).replace(",", ""), stem[0]))
    return found


def counts_alike(question: str, claim: str, texts: Sequence[str]) -> bool:
    """Whether each number ``claim`` gives with what it counts ("made 214 appearances") is
    followed within six words, in one of ``texts``, by the same word: a passage that says
    "scored 214 goals" gives 214 for goals, not appearances. A number no text writes as digits
    is not judged here, nor one the question gives with the same word."""
    given = counted(strip_markers(claim)) - counted(question)
    if not given:
        return True
    numbers = {n for n, _ in given}  # only these are read on in the texts
    after: dict[str, set[str]] = {}
    for text in texts:
        for m in re.finditer(_NUMBER, text):
            if (n := m.group(1).replace(",", "")) in numbers:
                after.setdefault(n, set()).update(terms(" ".join(text[m.end() :].split()[:6])))
    return all(n not in after or word in after[n] for n, word in given)
