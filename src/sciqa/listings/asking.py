"""A question about which job listings exist, answered from the collection's job chunks.

:func:`ask` reads the question (or a follow-up that changes the place or filter of the last
one: "what about Haifa?"), groups the job chunks into listings and lists those that fit, each
cited; None hands the question to the answerers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from sciqa.conversation import Message
from sciqa.listings.answering import answer, group
from sciqa.listings.question import parse, parse_follow_up
from sciqa.schema import Answer, Passage


def ask(
    question: str,
    history: Sequence[Message] | None,
    jobs: Callable[[], Sequence[Passage]],
) -> Answer | None:
    """The answer to ``question`` if it asks which job listings exist, else None (also for a
    collection without job listings). ``jobs`` gives the collection's job chunks in file
    order; it is called only for such a question."""
    t0 = time.perf_counter()
    query, searched = parse(question), question
    previous = [m["content"] for m in history or () if m.get("role") == "user"]
    if query is None and previous:
        query = parse_follow_up(question, previous[-1])
        searched = query.describe() if query else question
    if query is None:
        return None
    found = group(jobs())
    if not found:
        return None
    t1 = time.perf_counter()
    listed = answer(question, query, found, known_places=searched != question)
    if listed is None:
        return None
    chunks = {p.chunk_id: p for li in found for p in li.chunks}
    cited = dict.fromkeys(c.chunk_id for c in listed.citations)
    return replace(
        listed,
        query=searched,
        passages=tuple(chunks[cid] for cid in cited),
        timings={"retrieve_ms": _ms(t0, t1), "answer_ms": _ms(t1)},
    )


def _ms(start: float, end: float | None = None) -> float:
    return round(((end if end is not None else time.perf_counter()) - start) * 1000, 1)
