"""Who is speaking: the speaker labels of an interview ("Roth: In the last five years ...").

"What does Kearns say about differential privacy?" is not answered by Roth's paragraph, though
it is about differential privacy and the article names Kearns. In a transcript each turn opens
with its speaker's name and a colon; a sentence belongs to the turn it is in. A question line
("Q." or "Q:") or another label ("Note:") ends a turn. A label is a speaker's only when it names
a person: not a common English word ("Where:", "Salary:", "Update:"), and it opens at least two
turns. Pure functions over text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sciqa.lexical import english

# A label opens a line: one to three capitalised words, then ": " ("Roth: ", "Michael Kearns: "),
# or the interviewer's "Q. ".
_LABEL = re.compile(r"^(?:((?:[A-Z][\w.'’-]*\s){0,2}[A-Z][\w.'’-]*):|Q\.)\s", re.MULTILINE)
_NAME = re.compile(r"\b[A-Z][\w'’-]+")
COMMON = 5_000  # pyspellchecker frequency at or above which a word is common English


def _person(label: str | None) -> str | None:
    """The label's surname (lower case) if it can be a person's, else None."""
    if not label:
        return None
    surname = label.split()[-1].lower()
    return None if english().get(surname, 0) >= COMMON or len(surname) < 2 else surname


@lru_cache(maxsize=64)
def _turns(document: str) -> tuple[tuple[int, str | None], ...]:
    """(where each turn starts, its speaker or None) in ``document``; kept for the documents
    read last."""
    return tuple((m.start(), _person(m[1])) for m in _LABEL.finditer(document))


def speakers(document: str) -> set[str]:
    """The surnames (lower case) that open two or more turns of ``document``."""
    counts: dict[str, int] = {}
    for _, who in _turns(document):
        if who:
            counts[who] = counts.get(who, 0) + 1
    return {who for who, n in counts.items() if n >= 2}


def speaker_at(text: str, offset: int) -> str | None:
    """The speaker of the turn ``offset`` of ``text`` is in, if any."""
    found = None
    for start, who in _turns(text):
        if start > offset:
            break
        found = who
    return found


def _named(asked: str) -> set[str]:
    """The question's capitalised words as surnames are matched ("When ..." opens it: no name)."""
    words = [m[0] for m in _NAME.finditer(asked.strip()) if m.start()]
    return {w.lower().removesuffix("'s").removesuffix("’s").rstrip("'’") for w in words}


def another_speakers_passage(asked: str, passage: str, document: str) -> str | None:
    """The speaker of ``passage`` (a chunk of ``document``) when every turn it holds is another
    speaker's than the one the question ``asked`` names; else None."""
    spoken = speakers(document)
    base = document.find(passage) if spoken and passage else -1
    if base < 0:
        return None
    named = _named(asked)
    if not named & spoken:
        return None
    end = base + len(passage)
    inside = [who for start, who in _turns(document) if base < start < end]
    whose = [speaker_at(document, base), *inside]
    if any(w in named for w in whose) or not all(w in spoken for w in whose):
        return None
    return whose[0]


def another_speaker(asked: str, sentence: str, document: str, passage: str = "") -> str | None:
    """The speaker of ``sentence`` (a sentence of ``passage``, a chunk of ``document``) when
    the question ``asked`` names another of the document's speakers and not this one; else
    None (also when the sentence cannot be found)."""
    spoken = speakers(document)
    if not spoken:
        return None
    base = document.find(passage) if passage else -1
    within = passage.find(sentence) if base >= 0 else -1
    at = base + within if within >= 0 else document.find(sentence)
    if at < 0:
        return None
    named = _named(asked)
    who = speaker_at(document, at)
    if who not in spoken or who in named or not (named & spoken):
        return None
    return who
