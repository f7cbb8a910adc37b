"""Words for BM25 and for the extractive answerer's overlap score: lower-cased, stop words out,
a light English stemmer so "scholars" meets "scholar"."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:[.'’][a-z0-9]+)*")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves tell please say said also does
    """.split()
)


def stem(word: str) -> str:
    """A deliberately small stemmer: plurals and a few common suffixes."""
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + keep
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Content terms of ``text`` in order, stemmed, without stop words."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
