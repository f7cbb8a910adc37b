"""Who is speaking: the speaker labels of an interview ("Roth: In the last five years ...").

"What does Kearns say about differential privacy?" is not answered by Roth's paragraph, though
it is about differential privacy and the article names Kearns. In a transcript every paragraph
opens with its speaker's name and a colon; a sentence belongs to the last label before it.
Pure functions over text.
"""

from __future__ import annotations

import re

# A label opens a line: one to three capitalised words, then ": " ("Roth: ", "Michael Kearns: ").
_LABEL = re.compile(r"^((?:[A-Z][\w.'’-]*\s){0,2}[A-Z][\w.'’-]*):\s", re.MULTILINE)
_NAME = re.compile(r"\b[A-Z][\w'’-]+")
# Labels that name no person: "Credit: ...", "Note: ...", "Q: ...".
_NOT_SPEAKERS = frozenset({"credit", "credits", "note", "source", "photo", "image", "q", "a"})


def _surname(label: str) -> str:
    return label.split()[-1].lower()


def speakers(document: str) -> set[str]:
    """The surnames (lower case) that open two or more paragraphs of ``document`` as labels:
    a transcript's speakers ("Credit:" once is no interview)."""
    counts: dict[str, int] = {}
    for m in _LABEL.finditer(document):
        name = _surname(m[1])
        if name not in _NOT_SPEAKERS:
            counts[name] = counts.get(name, 0) + 1
    return {name for name, n in counts.items() if n >= 2}


def speaker_at(text: str, offset: int) -> str | None:
    """The surname of the last speaker label at or before ``offset`` in ``text``, if any."""
    found = None
    for m in _LABEL.finditer(text):
        if m.start() > offset:
            break
        if _surname(m[1]) not in _NOT_SPEAKERS:
            found = _surname(m[1])
    return found


def another_speaker(asked: str, sentence: str, document: str) -> str | None:
    """The speaker of ``sentence`` (a sentence of ``document``) when the question ``asked`` asks
    about another of the document's speakers and not about this one; else None."""
    spoken = speakers(document)
    at = document.find(sentence)
    if not spoken or at < 0:
        return None
    named = {w.lower().removesuffix("'s").removesuffix("’s") for w in _NAME.findall(asked)}
    who = speaker_at(document, at)
    if who not in spoken or who in named or not (named & spoken):
        return None
    return who
