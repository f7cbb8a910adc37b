"""The model's own claim check (:mod:`sciqa.verification`): after the lexical check, the LLM
answerer asks the model whether each sentence's cited passage states it."""

from __future__ import annotations

import logging
import math
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from sciqa import verification
from sciqa.generation import LLMAnswerer
from tests.test_generation import PASSAGES, _run

ANSWER = "Amazon launched the Amazon Scholars program in 2019. [1]"


class Scripted(FakeListChatModel):
    """Replies in order (the answer streamed, then the check invoked), and keeps what each
    invoked call was sent: the claim checks'."""

    sent: list[list[BaseMessage]] = Field(default_factory=list)

    def _call(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> str:
        self.sent.append(messages)
        return super()._call(messages, *args, **kwargs)


def _answerer(*replies: str) -> tuple[LLMAnswerer, Scripted]:
    chat = Scripted(responses=list(replies))
    return LLMAnswerer(chat, model="fake", endpoint="http://fake/v1"), chat


def test_a_sentence_the_model_reads_as_not_stated_is_removed() -> None:
    """The lexical check passes it (2019 and the names are in passage 1); the model's reading
    does not, so the answer says the documents do not hold it, and why."""
    answerer, chat = _answerer(ANSWER, "FALSE")
    _, answer = _run(answerer)
    assert answer.abstained and not answer.citations
    assert [r.reason for r in answer.removed] == [verification.REASON]
    asked = str(chat.sent[0][-1].content)
    assert "Proposed answer: Amazon launched the Amazon Scholars program in 2019." in asked
    assert "Question: When did the Scholars program start?" in asked
    assert PASSAGES[0].text in asked and PASSAGES[1].text not in asked  # only what it cites


def test_a_sentence_the_model_reads_as_stated_is_kept() -> None:
    answerer, _ = _answerer(ANSWER, "TRUE.")
    _, answer = _run(answerer)
    assert not answer.abstained and answer.answer == ANSWER and not answer.removed


def test_an_answer_is_checked_as_the_answer_to_its_question() -> None:
    """The model reads the question beside the sentence: a passage that states "2019" of
    something else does not answer "When did the Scholars program start?"."""
    answerer, chat = _answerer("2019 [1]", "True")
    _, answer = _run(answerer, question="When did the Scholars program start?")
    assert answer.answer == "2019 [1]"
    asked = str(chat.sent[0][-1].content)
    assert "Question: When did the Scholars program start?\nProposed answer: 2019\n" in asked


@pytest.mark.parametrize("reply", ["Maybe.", "", "The passage says 2019."])
def test_a_reply_that_is_neither_true_nor_false_leaves_the_lexical_check(reply: str) -> None:
    answerer, _ = _answerer(ANSWER, reply or " ")
    _, answer = _run(answerer)
    assert answer.answer == ANSWER and not answer.removed


def test_a_failed_check_keeps_the_answer_and_says_so_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class FailsSecond(Scripted):
        def _call(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> str:
            raise ConnectionError("the server went away, key sk-abcdefghijklmnopqrstuvwx")
            return super()._call(messages, *args, **kwargs)

    chat = FailsSecond(responses=[ANSWER])
    answerer = LLMAnswerer(chat, model="fake", endpoint="http://fake/v1")
    with caplog.at_level(logging.WARNING, logger="sciqa.verification"):
        _, answer = _run(answerer)
    assert answer.answer == ANSWER
    assert "claim check's model call failed" in caplog.text and "sk-abc" not in caplog.text


def test_the_check_can_be_turned_off() -> None:
    chat = Scripted(responses=[ANSWER])
    answerer = LLMAnswerer(chat, model="fake", endpoint="http://fake/v1", verify=False)
    _, answer = _run(answerer)
    assert answer.answer == ANSWER and chat.sent == []


def test_a_question_that_asks_two_things_is_checked_whole_then_a_part_at_a_time() -> None:
    """A sentence answering one part is not the answer to the whole: the whole question, then
    each part, is put to the model until it says TRUE; FALSE to all removes the sentence."""
    question = "When did the Scholars program start? And what do the NSF grants total?"
    answerer, chat = _answerer(ANSWER, "FALSE", "TRUE")
    _, answer = _run(answerer, question=question)
    assert answer.answer == ANSWER and not answer.removed
    asked = [str(m[-1].content) for m in chat.sent]
    assert f"Question: {question}\n" in asked[0]
    assert "Question: When did the Scholars program start?\n" in asked[1]

    answerer, chat = _answerer(ANSWER, "FALSE", "FALSE", "FALSE")
    _, answer = _run(answerer, question=question)
    assert answer.abstained and [r.reason for r in answer.removed] == [verification.REASON]
    asked = [str(m[-1].content) for m in chat.sent]
    assert len(asked) == 3 and "Question: And what do the NSF grants total?\n" in asked[2]


class Weighing(Scripted):
    """Replies as a server that gives each reply token's likeliest alternatives: the check's
    reply carries P(TRUE) = ``true``. ``refuses``: the server answers 400 to a request for
    log-probabilities, as some OpenAI-compatible ones do."""

    true: float = 0.5
    refuses: bool = False
    asked_for: list[bool] = Field(default_factory=list)

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:  # fmt: skip
        self.asked_for.append(bool(kwargs.get("logprobs")))
        text = self._call(messages, stop, run_manager, **kwargs)
        if kwargs.get("logprobs") and self.refuses:
            raise Refused("logprobs is not supported by this model")
        alternatives = [
            {"token": "TRUE", "logprob": math.log(self.true * 0.9)},
            {"token": "FALSE", "logprob": math.log((1 - self.true) * 0.9)},
            {"token": "True", "logprob": math.log(self.true * 0.1)},
            {"token": "False", "logprob": math.log((1 - self.true) * 0.1)},
        ]
        logprobs = {"content": [{"token": text, "top_logprobs": alternatives}]}
        meta = {"logprobs": logprobs} if kwargs.get("logprobs") else {}
        return ChatResult(
            generations=[ChatGeneration(message=AIMessage(text, response_metadata=meta))]
        )


class Refused(Exception):
    status_code = 400


@pytest.mark.parametrize(
    ("true", "kept"), [(0.9, True), (verification.DOUBT, True), (verification.DOUBT - 0.01, False)]
)
def test_the_model_must_be_sure_enough_that_the_passage_says_it(true: float, kept: bool) -> None:
    """With log-probabilities, the sentence stays when P(TRUE) / (P(TRUE) + P(FALSE)), over
    the spellings of both words, is at least DOUBT, whatever word the reply happened to be."""
    chat = Weighing(responses=[ANSWER, "FALSE" if kept else "TRUE"], true=true)
    _, answer = _run(LLMAnswerer(chat, model="fake", endpoint="http://fake/v1"))
    assert (answer.answer == ANSWER) is kept and answer.abstained is not kept
    assert chat.asked_for[-1] is True


def test_a_server_that_refuses_log_probabilities_is_asked_for_the_word_alone() -> None:
    chat = Weighing(responses=[ANSWER, "FALSE", "FALSE"], true=0.9, refuses=True)
    _, answer = _run(LLMAnswerer(chat, model="fake", endpoint="http://fake/v1"))
    assert answer.abstained and [r.reason for r in answer.removed] == [verification.REASON]
    assert chat.asked_for[-2:] == [True, False]
