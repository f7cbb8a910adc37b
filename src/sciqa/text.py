"""Text as sciqa reads and writes it: sentences, and the ``[n]`` citation markers.

Every rule for where a sentence ends, and for what a marker looks like, is here, side by side,
because each reader needs a slightly different one:

- :func:`split_sentences`: a paragraph of a document, each sentence with its offsets in the
  file (chunking; the eval baseline's raw chunks). Careful with initials and abbreviations;
- :func:`answer_sentences`: an answer with its markers. A marker after the full stop stays
  with its sentence (the claim check, dropping sentences); ``end_at_markers`` is the eval's
  faithfulness reading, where any run of markers ends one;
- :func:`question_sentences`: a question, cut at every stop (:mod:`sciqa.questions`, the
  answerer's reading of a question);
- :data:`MARKER`, the marker sciqa writes, and :data:`MODEL_MARKER`, every way a model writes
  one; :func:`strip_markers` takes either out, :func:`tidy` the spacing that leaves.
"""

from __future__ import annotations

import re

from sciqa.documents import Span

# -- citation markers -----------------------------------------------------------------------

# The marker sciqa writes: "[n]", n the number of a citation (or, in a prompt, of a passage).
MARKER = re.compile(r"\[(\d{1,3})\]")
# A marker with the white space before it: what goes when an answer is read without them.
SPACED_MARKER = re.compile(r"\s*" + MARKER.pattern)
# [1]  [1, 2]  [1][2]  [Passage 3]  [p3]  and fullwidth 【1】, as models write them; and the
# prompt's own delimiters echoed back by small models: <passage n="3" ...> cites passage 3,
# </passage> is dropped.
MODEL_MARKER = re.compile(
    r"[\[【]\s*(?:passages?\s*|p\.?\s*)?(\d{1,3}(?:\s*[,;]\s*(?:passages?\s*|p\.?\s*)?\d{1,3})*)"
    r"\s*[\]】]|<passage\b[^>]*?\bn=\W?(\d{1,3})[^>]*>|</?passage\b[^>]*>",
    re.IGNORECASE,
)


def tidy(text: str) -> str:
    """Clean up what dropping markers leaves behind: doubled spaces, a space before a stop."""
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def strip_markers(text: str, *, as_models_write_them: bool = False) -> str:
    """``text`` without its citation markers.

    sciqa's own ``[n]`` go with the white space before them ("in 2019 [1]." is "in 2019.").
    ``as_models_write_them``: every form of :data:`MODEL_MARKER` goes, and the spacing left
    behind is tidied (:func:`tidy`); for a model's text, before or after it is rewritten."""
    if as_models_write_them:
        return tidy(MODEL_MARKER.sub("", text))
    return SPACED_MARKER.sub("", text).strip()


def cited_numbers(text: str) -> list[int]:
    """The numbers of the ``[n]`` markers in ``text``, in order, repeats included."""
    return [int(n) for n in MARKER.findall(text)]


# -- sentences of a document ----------------------------------------------------------------

# A sentence ends at . ! ? (plus closing quotes/brackets) before white space and a capital,
# digit or opening quote; not after an initial ("J.", "Q.") or a common abbreviation.
_BOUNDARY = re.compile(r"""[.!?]['"”’)\]]*\s+(?=[A-Z0-9“"‘(\[])""")
_ABBREV = re.compile(
    r"(?:\b[A-Z]|\b(?:Dr|Mr|Mrs|Ms|Prof|Inc|Ltd|Jr|Sr|St|vs|etc|e\.g|i\.e|No|Fig|al|U\.S))[.]$"
)
_CLOSERS = "'\"”’)]"
_ABBREV_CHARS = 8  # the longest abbreviation, its full stop and the character before it


def split_sentences(span: Span) -> list[Span]:
    """Split a paragraph into sentences; each keeps its offsets in the file."""
    out: list[Span] = []
    begin = 0
    text = span.text
    for m in _BOUNDARY.finditer(text):
        end = m.start() + len(m.group(0).rstrip())
        stop = end
        while stop > begin and text[stop - 1] in _CLOSERS:
            stop -= 1
        # Only the end of the sentence so far is looked at: "J. K. L. ..." stays linear.
        if _ABBREV.search(text, max(begin, stop - _ABBREV_CHARS), stop):
            continue
        piece = text[begin:end]
        if piece.strip():
            out.append(Span(span.start + begin, span.start + end, piece))
        begin = m.end()
    if text[begin:].strip():
        out.append(Span(span.start + begin, span.end, text[begin:]))
    return out


# -- sentences of an answer and of a question -------------------------------------------------

# A stop, unless a marker follows it ("... in 2019. [1]" keeps its marker); a marker before a
# capital; a line break.
_ANSWER_END = re.compile(r"(?<=[.!?])\s+(?![\[【]\s*\d)|(?<=[\]】])\s+(?=[A-Z0-9\"“‘(])|\n+")
# After a run of markers, whatever follows; or at . ! ? (and markers) before a capital.
_ANSWER_END_AT_MARKERS = re.compile(
    r"""(?:\s*\[\d+\])+[.!?]?\s+|[.!?]["'”’)\]]*(?:\s*\[\d+\])*\s+(?!\[\d)(?=["“‘(\[]?[A-Z0-9])"""
)
_QUESTION_END = re.compile(r"(?<=[.!?])\s+")
_QUESTION_END_AT_COLONS = re.compile(r"(?<=[.!?:])\s+")


def answer_sentences(text: str, *, end_at_markers: bool = False) -> list[str]:
    """The sentences of an answer, markers kept, white space around them stripped.

    By default a sentence ends at . ! ? unless a marker follows (it stays with the sentence
    before), after a marker before a capital, and at a line break. ``end_at_markers``: it ends
    after any run of markers whatever follows, or at . ! ? (with its markers) before a capital,
    and not at a bare line break: how the eval's faithfulness metric has always read answers."""
    ends = _ANSWER_END_AT_MARKERS if end_at_markers else _ANSWER_END
    out, begin = [], 0
    for m in [*ends.finditer(text), None]:
        end = m.end() if m else len(text)
        if piece := text[begin:end].strip():
            out.append(piece)
        begin = end
    return out


def question_sentences(question: str, *, at_colons: bool = False) -> list[str]:
    """``question`` cut after every . ! ? followed by white space (no capital needed: people
    type "what about X? and Y?"); ``at_colons``: after a colon too ("Answer this: when ...?"
    asks its last part)."""
    return (_QUESTION_END_AT_COLONS if at_colons else _QUESTION_END).split(question)
