"""A visitor's session: its turns, and answering the next question in it (no Gradio here)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from sciqa import Answer, Endpoint, Message, ModelError, Pipeline, SciQAError
from sciqa_ui.collection import Collection
from sciqa_ui.rendering import error_html, error_message, final_html, question_html, streaming_html
from sciqa_ui.why import why_error_html, why_html

log = logging.getLogger("sciqa_ui")


@dataclass(frozen=True)
class Turn:
    """One question and what was shown for it. A session's state is a list of these."""

    question: str
    html: str = ""  # the assistant message as shown ("" while waiting for the first words)
    answer: Answer | None = None
    error: str | None = None


def history(turns: Sequence[Turn]) -> list[Message]:
    """The conversation as the pipeline wants it: only turns that were answered."""
    messages: list[Message] = []
    for t in turns:
        if t.answer is not None:
            messages.append({"role": "user", "content": t.question})
            messages.append({"role": "assistant", "content": t.answer.answer})
    return messages


def chat_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """The Chatbot's value: a user message and, once there is one, the reply, per turn."""
    messages = []
    for t in turns:
        messages.append({"role": "user", "content": question_html(t.question)})
        if t.html:
            messages.append({"role": "assistant", "content": t.html})
    return messages


def turn_for_message(turns: Sequence[Turn], index: int) -> Turn | None:
    """The turn a Chatbot message index belongs to (each turn is two messages)."""
    i = index // 2
    return turns[i] if 0 <= i < len(turns) else None


def respond(
    pipeline: Pipeline,
    question: str,
    turns: Sequence[Turn],
    *,
    collection: Collection,
    llm: str | Endpoint | None = None,
    k: int | None = None,
) -> Iterator[tuple[list[Turn], str | None]]:
    """Answer ``question`` in a session: yields (the session's turns, "why" HTML or None).

    First the question alone (the page shows it at once), then the answer as it streams, then
    the finished answer with its sources and the "why these sources?" view. Errors become a
    message in the chat. ``turns`` is never changed: each yield is a new list.
    """
    question = (question or "").strip()
    if not question:
        return
    before = list(turns)
    n = len(before)
    turn = Turn(question)
    yield [*before, turn], None
    text = ""
    answer: Answer | None = None
    try:
        for piece in pipeline.stream(question, history=history(before), k=k, llm=llm):
            if isinstance(piece, Answer):
                answer = piece
            elif piece:
                text += piece
                yield [*before, replace(turn, html=streaming_html(text, n))], None
    except Exception as e:
        if not isinstance(e, SciQAError):
            log.exception("answering %r failed", question)
        failed = replace(turn, html=error_html(e), error=error_message(e))
        yield [*before, failed], why_error_html(question, failed.error or "")
        return
    if answer is None:  # the pipeline always ends with an Answer; be safe anyway
        failed = replace(turn, html=error_html(ModelError("no answer came back")))
        yield [*before, failed], None
        return
    if answer.notice:  # the model failed and the offline answerer stood in: say so in the log
        log.warning("%s", answer.notice)
    done = replace(turn, html=final_html(answer, n, collection), answer=answer)
    yield [*before, done], why_html(answer, fetch_k=pipeline.settings.fetch_k)
