"""The model's own reading of a claim: does the passage an answer sentence cites answer the
question, as the sentence says?

The lexical claim check (:mod:`sciqa.claims`) proves an answer's numbers and names stand in the
passage it cites, not that the passage says them of what the question asks about: "The
Vessaline tram network has 31 stations [1]" passes when the passage gives 31 stations to the
metro. So, after that check, the LLM answerer asks the same model one short question per answer
sentence (``prompts/verify.txt``: the cited passages, the question, and the sentence as the
proposed answer; one word back) and removes a sentence it is not sure enough of: its P(TRUE) /
(P(TRUE) + P(FALSE)), read from the log-probabilities of that one word, below
``SCIQA_VERIFY_THRESHOLD`` (:data:`DOUBT` by default). The word alone says less: the pinned
1.5B instrument gives most of its replies between 0.3 and 0.8, right answers and wrong ones
alike, and the threshold decides how many of each go (README, "Quality"). A server without
log-probabilities is judged by its word; a reply that is neither, or a failed call, leaves the
sentence to the lexical check alone: this is a second filter, never the only one.

The question is part of what the model reads: asked only whether the passage states the
sentence, the pinned 1.5B instrument said TRUE to another tunnel's length or a sighting's date
given as a birth date; asked whether the passage answers the question as the sentence says, it
declines most of those (wrong answers on the atlas set 41 -> 27, on fresh 25 -> 13; README).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sciqa.redaction import redact
from sciqa.resources import prompt
from sciqa.settings import Settings
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
TOP_LOGPROBS = 5  # the reply's likeliest first tokens: TRUE, FALSE and their spellings
_SAYS = {"true": True, "yes": True, "false": False, "no": False}
# A sentence stays when the model is at least this sure its passage answers so (the default of
# SCIQA_VERIFY_THRESHOLD, where it is measured).
DOUBT: float = Settings.model_fields["verify_threshold"].default


def belief(
    chat_model: BaseChatModel,
    question: str,
    sentence: str,
    passages: Sequence[str],
    named: Sequence[str] = (),
) -> float | None:
    """How sure the model is (0 to 1) that ``passages`` (the cited ones' texts) answer
    ``question`` as ``sentence`` does: P(TRUE) / (P(TRUE) + P(FALSE)) from the reply's token
    log-probabilities when the server gives them, else 1.0 or 0.0 from the word it replied.
    None when the reply says neither, or the call failed. ``named``: the question's names the
    passages' documents hold and the passages do not (a passage of an interview says "he"),
    told to the model."""
    from langchain_core.messages import HumanMessage

    claim = strip_markers(sentence, as_models_write_them=True)
    text = prompt("verify.txt").format(
        passage="\n\n".join(p.replace('"""', '"') for p in passages),
        context=ELSEWHERE.format(names=", ".join(named)) if named else "",
        question=question,
        claim=claim,
    )
    message = [HumanMessage(text)]
    try:
        try:
            reply = chat_model.bind(
                max_tokens=REPLY_TOKENS, logprobs=True, top_logprobs=TOP_LOGPROBS
            ).invoke(message)
        except Exception as e:  # a server that refuses log-probabilities is asked without them
            if getattr(e, "status_code", None) != 400:
                raise
            reply = chat_model.bind(max_tokens=REPLY_TOKENS).invoke(message)
    except Exception as e:  # the answer stands on the lexical check; say why this one did not run
        log.warning("the claim check's model call failed: %s", redact(str(e))[:200])
        return None
    if (weighed := _weighed(reply.response_metadata.get("logprobs"))) is not None:
        return weighed
    found = _VERDICT.match(str(reply.content))
    return None if found is None else float(found[1].lower() == "true")


def _weighed(logprobs: object) -> float | None:
    """P(TRUE) / (P(TRUE) + P(FALSE)) at the first reply token whose alternatives hold either
    word (any case, "yes" and "no" too), or None when the reply carries no log-probabilities."""
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    for token in content or ():
        mass = {True: 0.0, False: 0.0}
        for alt in token.get("top_logprobs") or ():
            word = str(alt.get("token", "")).strip().strip("\"'.").lower()
            if word in _SAYS and isinstance(lp := alt.get("logprob"), (int, float)):
                mass[_SAYS[word]] += math.exp(lp)
        if mass[True] + mass[False] > 0:
            return mass[True] / (mass[True] + mass[False])
    return None
