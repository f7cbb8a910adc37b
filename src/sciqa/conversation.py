"""Follow-up questions: turn "and in which cities?" into a question that stands on its own.

Without a language model this is a heuristic: a short question, or one that leans on the
conversation ("it", "they", "and ...", "what about ..."), is retrieved together with the last
question the user asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypedDict


class Message(TypedDict):
    """An OpenAI-style chat message."""

    role: str
    content: str


_LEANS_ON_CONTEXT = re.compile(
    r"^(?:and|but|also|so|what about|how about|and what|then)\b|"
    r"\b(?:it|its|they|them|their|that|those|this|these|there|he|she|his|her)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    return len(question.split()) <= 5 or bool(_LEANS_ON_CONTEXT.search(question))


def standalone_question(question: str, history: Sequence[Message]) -> str:
    """The question to retrieve with: the question itself, or joined to the last user turn."""
    previous = [m["content"] for m in history if m.get("role") == "user" and m.get("content")]
    if not previous or not is_follow_up(question):
        return question
    return f"{previous[-1]} {question}"
