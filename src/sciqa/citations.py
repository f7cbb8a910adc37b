"""Citations are a contract: every ``[n]`` in an answer points at a passage the model was given.

A language model's answer cites passages by the numbers they had in the prompt. Here those markers
are parsed (also as they stream in), markers that point at no given passage are dropped, the rest
are renumbered in order of first use, and each becomes a :class:`~sciqa.schema.Citation` whose
quote is the sentence of its passage that best supports the answer sentence citing it: verbatim,
with its offsets in the source file.

Only sciqa writes markers. Document text placed in an answer (a quote) or in a prompt goes
through :func:`defuse` first, so that a document sentence ending in "[2]." can never become a
marker that opens source 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sciqa.lexical import terms
from sciqa.schema import Citation, Passage
from sciqa.text import (
    MARKER,
    MODEL_MARKER,
    answer_sentences,
    cited_numbers,
    strip_markers,
    tidy,
)

_NUMBER = re.compile(r"\d+")
_OPENERS = "[【<"
_CLOSERS = "]】>"
_LONGEST_MARKER = 160  # an unclosed "[" or "<" longer than this is text, not a marker
# What a marker's brackets become in document text: they read the same, but are not a marker.
_DEFUSED = str.maketrans({"[": "［", "]": "］", "【": "［", "】": "］", "<": "‹", ">": "›"})
# A supported sentence shares at least this share of its content terms with its quote.
SUPPORT = 0.5


@dataclass
class Markers:
    """Turns an answer's raw text, piece by piece, into text whose markers are all valid.

    ``feed`` returns the text that is safe to show now; an unfinished ``[`` at the end of a piece
    is held back until it closes. Marker numbers are passage numbers in; citation numbers out.
    """

    passages: int
    order: dict[int, int] = field(default_factory=dict)  # passage number -> citation number
    dropped: list[int] = field(default_factory=list)  # invented passage numbers
    _pending: str = ""

    def feed(self, piece: str) -> str:
        text = self._pending + piece
        cut = max(text.rfind(c) for c in _OPENERS)
        tail = text[cut:] if cut >= 0 else ""
        if tail and not any(c in tail for c in _CLOSERS) and len(tail) <= _LONGEST_MARKER:
            self._pending = tail  # perhaps the start of a marker: wait for the rest
            return self._rewrite(text[:cut])
        self._pending = ""
        return self._rewrite(text)

    def close(self) -> str:
        text, self._pending = self._pending, ""
        return self._rewrite(text)

    def _rewrite(self, text: str) -> str:
        return MODEL_MARKER.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        out: list[str] = []
        numbers = match.group(1) or match.group(2) or ""
        for number in (int(n) for n in _NUMBER.findall(numbers)):
            if not 1 <= number <= self.passages:
                self.dropped.append(number)
                continue
            n = self.order.setdefault(number, len(self.order) + 1)
            if f"[{n}]" not in out:
                out.append(f"[{n}]")
        return "".join(out)


def rewrite(text: str, passages: int) -> tuple[str, Markers]:
    """``text`` with invented markers dropped and the rest renumbered (all at once)."""
    markers = Markers(passages)
    out = markers.feed(text) + markers.close()
    return tidy(out), markers


def drop(text: str, keep: Sequence[bool]) -> str:
    """``text`` without the sentences (as :func:`~sciqa.text.answer_sentences` splits it)
    whose ``keep`` is False, each with the space or line break before it; list items left
    empty go too."""
    out, at = [], 0
    for sentence, kept in zip(answer_sentences(text), keep):
        start = text.index(sentence, at)
        if kept:
            out += [text[at:start], sentence]
        at = start + len(sentence)
    out.append(text[at:])
    return tidy(re.sub(r"(?m)^[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t]*(?:\n|$)", "", "".join(out)))


def plain(sentence: str) -> str:
    """A sentence as shown on its own: no markers, no list bullet."""
    return re.sub(
        r"^(?:[-*•]|\d{1,2}[.)])\s+", "", strip_markers(sentence, as_models_write_them=True)
    )


def renumber(text: str, order: dict[int, int], passages: int) -> tuple[str, Markers]:
    """``text`` (numbered by ``order``: passage -> citation) numbered again by first use, for
    when some of its markers went with the sentences that held them."""
    return rewrite(numbered_by_passage(text, order), passages)


def numbered_by_passage(text: str, order: dict[int, int]) -> str:
    """``text`` whose markers are citation numbers (``order``: passage -> citation), with
    passage numbers instead; a number ``order`` does not give becomes [0], no passage."""
    back = {n: p for p, n in order.items()}
    return MARKER.sub(lambda m: f"[{back.get(int(m[1]), 0)}]", text)


def passage_sentences(passage: Passage) -> list[tuple[str, int, int]]:
    """The sentences of ``passage`` as (text, start in file, end in file)."""
    return [
        (passage.text[off : off + (end - start)], start, end) for off, start, end in passage.spans
    ]


def support(claim: str, sentence: str) -> float:
    """Share of the content terms of ``claim`` that ``sentence`` holds (0..1)."""
    want = set(terms(MODEL_MARKER.sub(" ", claim)))
    if not want:
        return 0.0
    return len(want & set(terms(sentence))) / len(want)


def best_quote(claim: str, passage: Passage) -> tuple[str, int, int, float]:
    """The sentence of ``passage`` that best supports ``claim``, with its file offsets."""
    best: tuple[str, int, int, float] | None = None
    for text, start, end in passage_sentences(passage):
        s = support(claim, text)
        if best is None or s > best[3]:
            best = (text, start, end, s)
    if best is None:  # a passage without sentence spans: quote it whole
        return passage.text, passage.start, passage.end, support(claim, passage.text)
    return best


def cite(text: str, passages: Sequence[Passage], order: dict[int, int]) -> tuple[Citation, ...]:
    """One citation per passage used, numbered as in ``text`` (already rewritten).

    Each quote is the passage sentence that best supports the answer sentences citing it.
    """
    by_n = {n: passages[p - 1] for p, n in order.items()}
    claims: dict[int, list[str]] = {n: [] for n in by_n}
    for sentence in answer_sentences(text):
        for n in set(cited_numbers(sentence)):
            if n in claims:
                claims[n].append(sentence)
    citations = []
    for n in sorted(by_n):
        passage = by_n[n]
        claim = " ".join(claims[n]) or text
        quote, start, end, score = best_quote(claim, passage)
        citations.append(Citation.of(n, passage, (quote, start, end), round(score, 4)))
    return tuple(citations)


def attribute(text: str, passages: Sequence[Passage]) -> tuple[str, dict[int, int]]:
    """Add markers to an answer that has none: each sentence cites the passage that supports it.

    Returns the marked text and the passage -> citation numbering; an empty numbering means no
    sentence is supported by any passage (the answer is not grounded in them).
    """
    order: dict[int, int] = {}
    out = []
    for sentence in answer_sentences(text):
        scores = [(best_quote(sentence, p)[3], i) for i, p in enumerate(passages, start=1)]
        score, p = max(scores, default=(0.0, 0))
        if score >= SUPPORT:
            n = order.setdefault(p, len(order) + 1)
            sentence = f"{sentence} [{n}]"
        out.append(sentence)
    return " ".join(out), order


def defuse(text: str) -> str:
    """Document text as it may stand in an answer or a prompt: whatever would read as a marker
    ("[2]", "【2】", "<passage n=2>") gets look-alike brackets ("［2］"), so it is none."""
    return MODEL_MARKER.sub(lambda m: m.group(0).translate(_DEFUSED), text)


def iter_rewritten(pieces: Iterator[str], markers: Markers) -> Iterator[str]:
    """Stream ``pieces`` through ``markers``: what comes out is safe to show as it arrives."""
    for piece in pieces:
        out = markers.feed(piece)
        if out:
            yield out
    rest = markers.close()
    if rest:
        yield rest
