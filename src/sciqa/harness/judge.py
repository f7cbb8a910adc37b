"""An LLM judge of faithfulness: does a chat model find every sentence of an answer supported by
the passages it cites? ``sciqa eval`` uses it only with ``--llm openai`` or ``--judge``; the
deterministic lexical check (``metrics.faithfulness``) runs always.

Small local models are poor at structured output, so the judge asks for one JSON object in plain
text (``prompts/judge_faithfulness.txt``) and parses the reply leniently: fenced or not, with
reasoning before it or not. A reply holding no valid verdict is "no verdict" (``None``), never a
crash; a model that cannot be reached is a :class:`~sciqa.errors.ModelError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, ValidationError

from sciqa.errors import ModelError
from sciqa.redaction import redact
from sciqa.resources import prompt
from sciqa.schema import Answer, Passage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from sciqa.settings import Settings

PROMPT = "judge_faithfulness.txt"
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


class FaithfulnessVerdict(BaseModel):
    """The judge's verdict on one answer."""

    model_config = ConfigDict(extra="ignore")

    supported: bool
    unsupported_sentences: list[str] = []
    reason: str = ""


def render_prompt(question: str, answer: Answer, passages: Sequence[Passage] = ()) -> str:
    """The judge prompt for one answer: each citation's quote, and the passage it comes from
    when it is among ``passages``."""
    by_id = {p.chunk_id: p for p in passages}
    blocks = []
    for c in answer.citations:
        passage = by_id.get(c.chunk_id)
        context = f"\n    (from the passage: {passage.text.strip()})" if passage else ""
        blocks.append(f"[{c.n}] {c.source}: {c.quote.strip()}{context}")
    return prompt(PROMPT).format(
        question=question.strip(),
        sources="\n".join(blocks) or "(none)",
        answer=answer.answer.strip(),
    )


def parse_verdict(text: str) -> FaithfulnessVerdict | None:
    """The first JSON object in ``text`` that is a valid verdict, else None."""
    text = _THINK.sub("", text)
    decoder = json.JSONDecoder()
    for chunk in [*_FENCE.findall(text), text]:
        for m in re.finditer(r"\{", chunk):
            try:
                data, _ = decoder.raw_decode(chunk, m.start())
                return FaithfulnessVerdict.model_validate(data)
            except (ValueError, ValidationError):
                continue
    return None


def judge_faithfulness(
    model: BaseChatModel, question: str, answer: Answer, passages: Sequence[Passage] = ()
) -> FaithfulnessVerdict | None:
    """Ask ``model`` whether ``answer`` is supported by what it cites. None for an abstention
    (nothing to judge) or a reply without a valid verdict."""
    if answer.abstained:
        return None
    from langchain_core.messages import HumanMessage

    try:
        reply = model.invoke([HumanMessage(render_prompt(question, answer, passages))])
    except Exception as e:  # any provider's transport or API error
        raise ModelError(f"the judge model failed: {redact(str(e))}") from e
    return parse_verdict(reply.text)


def make_judge_model(settings: Settings) -> BaseChatModel:
    """The chat model the answerer would use (``settings.model`` on the OpenAI-compatible
    endpoint), at temperature 0."""
    from sciqa.providers import make_chat_model

    return make_chat_model(settings)
