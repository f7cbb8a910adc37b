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


def another_speaker(asked: str, text: str, document: str, within: str = "") -> str | None:
    """The speaker of ``text`` (a sentence or a chunk of ``document``; found inside ``within``,
    its chunk, when given) when every turn it spans is another speaker's than the one the
    question ``asked`` names; else None (also when ``text`` cannot be found)."""
    spoken = speakers(document)
    named = _named(asked)
    if not named & spoken:
        return None
    base = document.find(within) if within else -1
    inner = within.find(text) if base >= 0 else -1
    at = base + inner if inner >= 0 else document.find(text)
    if at < 0:
        return None
    inside = [who for start, who in _turns(document) if at < start < at + len(text)]
    whose = [speaker_at(document, at), *inside]
    if any(w in named for w in whose) or not all(w in spoken for w in whose):
        return None
    return whose[0]
