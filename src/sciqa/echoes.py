"""An answer sentence that only says the question again ("ICLR 2022 was held in this city:")
answers nothing, though its passage holds every word of it. Pure functions."""

from __future__ import annotations

import re

from sciqa.lexical import STOPWORDS, stem
from sciqa.text import MARKER

_WORD = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:[.'’][A-Za-z0-9]+)*")

ECHO = "says only what the question says"
_NEGATION = {"not", "no", "never", "none", "nor", "neither", "nothing", "nobody", "nowhere"}
_YES_NO = re.compile(r"\s*(?:yes|no)\b", re.IGNORECASE)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def restates(sentence: str, question: str) -> bool:
    """Whether ``sentence`` says nothing ``question`` did not: every word of it but stop words
    is one of the question's (by stem), every number one of its numbers. "ICLR 2022 was held in
    this city:" and "The model predicted Amazon would need 2020 vans." (asked how many vans it
    predicted for 2020) answer nothing, though the passages hold every word. A yes or a no,
    and a negation the question lacks, are something said."""
    bare = MARKER.sub("", sentence)
    if _YES_NO.match(bare):
        return False
    said = {w.lower() for w in _WORD.findall(question)}
    stems = {stem(w) for w in said}
    numbers = set(_DIGITS.findall(question))
    if any(n not in numbers for n in _DIGITS.findall(bare)):
        return False
    for word in (w.lower() for w in _WORD.findall(bare)):
        if word in _NEGATION or word.endswith(("n't", "n’t")):
            if word not in said:
                return False
        elif word not in STOPWORDS and word not in said and stem(word) not in stems:
            return False
    return True
