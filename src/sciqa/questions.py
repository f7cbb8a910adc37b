"""Reading a question as it arrives: its text made plain (:func:`normalize`), and the parts of
one that asks two things at once: "What is it called, and in which month did ...?"

Each part is retrieved for and answered on its own, so that a passage answering the second half
is not crowded out by those answering the first.
"""

from __future__ import annotations

import re
import unicodedata

from sciqa.conversation import is_follow_up
from sciqa.errors import QuestionError
from sciqa.text import question_sentences

_WH = (
    r"(?:what|which|who|whom|whose|when|where|why|how|in which|in what|through what|at what|"
    r"on what|for what|from which|from what)\b"
)
# ", and which ...", " and how many ...": a second question joined to the first.
_JOINED = re.compile(rf",?\s+(?:and|but|also|plus)\s+(?={_WH})", re.IGNORECASE)


def normalize(question: str) -> str:
    """``question`` in NFKC form (a fullwidth copy reads as its ASCII twin), stripped.

    Raises :class:`QuestionError` for text that is not valid Unicode (a lone surrogate, as
    Python decodes bytes that are not UTF-8 with ``surrogateescape``).
    """
    try:
        question.encode("utf-8")
    except UnicodeEncodeError as e:
        raise QuestionError(
            f"the question is not valid text (character {e.start + 1} is a lone surrogate, "
            "what bytes that are not UTF-8 become); ask it again as UTF-8 text"
        ) from None
    return unicodedata.normalize("NFKC", question).strip()


def checked(question: str, limit: int) -> str:
    """``question`` normalized; :class:`QuestionError` when it is empty or longer than
    ``limit`` characters (``SCIQA_MAX_QUESTION_CHARS``)."""
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("the question is empty; ask something about the documents")
    question = normalize(question)
    if len(question) > limit:
        raise QuestionError(
            f"the question is {len(question):,} characters long; the limit is {limit:,} "
            "(SCIQA_MAX_QUESTION_CHARS). Ask a shorter question"
        )
    return question


def split_question(question: str) -> list[str]:
    """The questions ``question`` asks, in order: itself when it asks one thing.

    Sentences that ask nothing ("Amazon started a program with NSF in 2019.") stay with the
    question after them; a part shorter than three words is not split off.
    """
    parts: list[str] = []
    context = ""
    for sentence in question_sentences(" ".join(question.split())):
        if not sentence.endswith("?"):
            context = f"{context} {sentence}".strip()
            continue
        pieces = _JOINED.split(sentence)
        if any(len(p.split()) < 3 for p in pieces):
            pieces = [sentence]
        for piece in pieces:
            piece = piece.rstrip(" ,;")
            piece = piece[:1].upper() + piece[1:]
            parts.append(f"{context} {piece if piece.endswith('?') else piece + '?'}".strip())
            context = ""
    if context and parts:  # trailing words after the last question belong to it
        parts[-1] = f"{parts[-1]} {context}"
    return parts if len(parts) > 1 else [question]


def standalone_parts(question: str) -> list[str]:
    """:func:`split_question`'s parts, each readable alone: a part that leans on the one before
    ("When did X start? And in how many cities?") is read together with it."""
    parts = split_question(question)
    return [f"{parts[i - 1]} {p}" if i and is_follow_up(p) else p for i, p in enumerate(parts)]
