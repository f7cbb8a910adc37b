"""Words for BM25 and for the extractive answerer's overlap score: lower-cased, stop words out,
a light English stemmer so "scholars" meets "scholar"."""

from __future__ import annotations

import difflib
import math
import re
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

# A word is letters and digits of any script ("Zürich", "Vasić's" are one word each, not "z" and
# "rich"), read without accents (:func:`fold`: "Vasic" finds "Vasić").
_WORD = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*")
# The version of :func:`terms`: a sparse index made with another is built again (``bm25.py``).
# 2: words of any script, accents folded (1 read only ASCII letters: "Vasić" was "vasi").
TERMS_VERSION = 2
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "tell",
        "please",
        "say",
        "said",
        "also",
        "does",
    ]
)


@lru_cache(maxsize=1 << 17)  # words repeat: building BM25 over 100k chunks stems each once
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


# Letters that carry no accent to drop, written as English writes them without it.
_PLAIN = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ı": "i"})


def fold(text: str) -> str:
    """``text`` lower-cased, without accents ("Vasić" -> "vasic", "Łódź" -> "lodz")."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_PLAIN))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def terms(text: str) -> list[str]:
    """Content terms of ``text`` in order, stemmed, without stop words."""
    return [stem(w) for w in _WORD.findall(fold(text)) if w not in STOPWORDS]


def term_words(text: str) -> list[tuple[str, str]]:
    """``(term, word)`` for each content word of ``text``: the stem and how it was written."""
    return [(stem(w), w) for w in _WORD.findall(fold(text)) if w not in STOPWORDS]


@lru_cache(maxsize=1)
def english() -> Mapping[str, int]:
    """English words (pyspellchecker's list, shipped in its package): a question's word that is
    one of them is never "corrected" into a word of the collection, however near ("cope" is not
    "couple"). Loaded on first use, about 0.4 s."""
    from spellchecker import SpellChecker

    return SpellChecker(distance=1).word_frequency.dictionary


# Words long enough to be worth correcting; shorter ones ("GPA", "AWS") are mostly names.
_CORRECTABLE = re.compile(r"\b[A-Za-z][a-z]{3,}\b|\b[A-Z]{4,}\b")


def _ratio(a: str, b: str) -> float:
    return round(difflib.SequenceMatcher(None, a, b).ratio(), 2)


@dataclass(frozen=True)
class Lexicon:
    """The collection's terms: document frequencies over all chunks (for IDF weights) and, for
    each term, a word that spells it (to correct a misspelt question in real words)."""

    n_docs: int
    df: dict[str, int]
    surface: dict[str, str] = field(default_factory=dict)
    _near: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    _index: dict[str, list[str]] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n_docs + 1) / (self.df.get(term, 0) + 0.5))

    def nearest(self, term: str) -> str | None:
        """The collection's term spelt nearly like ``term`` (difflib ratio >= 0.8, same first
        letter), or None; ``term`` itself when the collection holds it.

        "finacial" finds "financial"; "gpa" finds nothing in a collection that never says GPA.
        """
        if self.df.get(term):
            return term
        with self._lock:
            if term in self._near:
                return self._near[term]
            if not self._index:  # the vocabulary by first letter: ~20x fewer words to compare
                for t in sorted(self.df):
                    self._index.setdefault(t[:1], []).append(t)
            if len(self._near) > 10_000:
                self._near.clear()
            found = difflib.get_close_matches(term, self._index.get(term[:1], []), n=5, cutoff=0.8)
            # Equally near ("levle": "level", "lever"): the word the collection uses most.
            self._near[term] = max(found, key=lambda t: (_ratio(term, t), self.df[t]), default=None)
            return self._near[term]

    def correct(self, text: str) -> str:
        """``text`` with each word the collection does not hold, but holds a near spelling of,
        replaced by that spelling ("Wat does Michael Kerns advise studnets" -> "... Kearns
        advise students"). English words, stop words and words of three letters or fewer are
        left alone."""

        def fix(m: re.Match[str]) -> str:
            word = m.group(0)
            low = word.lower()
            if low in STOPWORDS:
                return word
            term = stem(low)
            if self.df.get(term) or low in english():
                return word
            near = self.nearest(term)
            if near is None:
                return word
            fixed = self.surface.get(near, near)
            return fixed.capitalize() if word[0].isupper() else fixed

        return _CORRECTABLE.sub(fix, text)
