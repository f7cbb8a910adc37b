"""The model's own reading of a claim: does the passage an answer sentence cites answer the
question, as the sentence says?

The lexical claim check (:mod:`sciqa.claims`) proves an answer's numbers and names stand in the
passage it cites, not that the passage says them of what the question asks about: "The
Vessaline tram network has 31 stations [1]" passes when the passage gives 31 stations to the
metro. So, after that check, the LLM answerer asks the same model one short question per answer
sentence (``prompts/verify.txt``: the cited passages, the question, and the sentence as the
proposed answer; one word back) and removes a sentence it answers FALSE to. A reply that is
neither, or a failed call, leaves the sentence to the lexical check alone: this is a second
filter, never the only one.

The question is part of what the model reads: asked only whether the passage states the
sentence, the pinned 1.5B instrument said TRUE to another tunnel's length or a sighting's date
given as a birth date; asked whether the passage answers the question as the sentence says, it
declines most of those (wrong answers on the atlas set 41 -> 27, on fresh 25 -> 13; README).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sciqa.redaction import redact
from sciqa.resources import prompt
from sciqa.text import strip_markers

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

REASON = "the model's own check: the cited passage does not answer the question so"
_VERDICT = re.compile(r"\W*(true|false)\b", re.IGNORECASE)
# Whom a passage's "he" may mean: the question's names its document holds elsewhere.
ELSEWHERE = (
    "(The passage is part of a document that also names {names}; "
    "the passage may call them he, she, it, they or the team.)\n\n"
)
REPLY_TOKENS = 3  # TRUE or FALSE, and room for a full stop


def states(
    chat_model: BaseChatModel,
    question: str,
    sentence: str,
    passages: Sequence[str],
    named: Sequence[str] = (),
) -> bool | None:
    """Does the model read ``passages`` (the cited ones' texts) as answering ``question`` as
    ``sentence`` does? None when its reply says neither, or the call failed. ``named``: the
    question's names the passages' documents hold and the passages do not (a passage of an
    interview says "he"), told to the model."""
    from langchain_core.messages import HumanMessage

    claim = strip_markers(sentence, as_models_write_them=True)
    text = prompt("verify.txt").format(
        passage="\n\n".join(p.replace('"""', '"') for p in passages),
        context=ELSEWHERE.format(names=", ".join(named)) if named else "",
        question=question,
        claim=claim,
    )
    try:
        reply = chat_model.bind(max_tokens=REPLY_TOKENS).invoke([HumanMessage(text)])
    except Exception as e:  # the answer stands on the lexical check; say why this one did not run
        log.warning("the claim check's model call failed: %s", redact(str(e))[:200])
        return None
    found = _VERDICT.match(str(reply.content))
    return None if found is None else found[1].lower() == "true"
