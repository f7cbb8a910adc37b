"""The LLM answerer: numbered passages in, a grounded answer with checked citations out.

Works with any LangChain chat model; sciqa builds ``ChatOpenAI`` for OpenAI or any
OpenAI-compatible server (vLLM, Ollama, llama.cpp, LM Studio). The prompt (``prompts/``) puts each
passage between delimiters with its number and tells the model the passages are data. What comes
back is streamed through :mod:`sciqa.citations`, so only markers that point at given passages are
ever shown. Then each sentence is checked against the passages it cites (:mod:`sciqa.claims`):
one they do not support is taken out of the final ``Answer`` (listed in ``Answer.removed``), so
the streamed text can hold more than the answer. The answer abstains when the model says the
passages do not hold it, or when nothing cited and supported is left.

Errors from the server (after the client's bounded retries with backoff for timeouts, 429 and
5xx) become one :class:`~sciqa.errors.ModelError` that names the endpoint and says what to check.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from sciqa import citations, echoes, providers, verification
from sciqa.answerer import NOT_FOUND, clean_question
from sciqa.checking import Checker
from sciqa.chunking import count_tokens
from sciqa.conversation import Message, standalone_question
from sciqa.errors import ConfigError, ModelError
from sciqa.lexical import Lexicon
from sciqa.redaction import StreamRedactor, redact
from sciqa.resources import prompt
from sciqa.schema import Answer, Passage, Removed
from sciqa.text import answer_sentences, strip_markers

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

# The model's ways of saying the passages do not hold the answer.
_NOT_FOUND = re.compile(
    r"could not find the answer|can(?:no|')t find|not (?:found |mentioned |stated |given )?in the "
    r"(?:given |provided |cited )?(?:documents|passages|provided|text|context)|"
    r"(?:documents|passages) do(?:es)? not (?:say|contain|mention|"
    r"hold|provide|state|include)|no information|don'?t know|do not know",
    re.IGNORECASE,
)
_HISTORY_TURNS = 6  # turns of the chat the condensing prompt sees
# A condensing reply that copies the prompt back instead of answering it.
_ECHO = re.compile(r"(?:user|assistant|conversation|follow-up question)\s*:", re.IGNORECASE)


def format_passages(passages: Sequence[Passage]) -> list[str]:
    """Each passage between delimiters with its number; delimiters and markers inside text are
    defused (a passage's own "[2]", copied by the model, must not cite passage 2)."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        text = re.sub(r"</?passage", "(passage", citations.defuse(p.text), flags=re.IGNORECASE)
        where = f", {p.location}" if p.location else ""
        blocks.append(
            f'<passage n="{n}" source="{p.source}" section="{p.section}{where}" '
            f'title="{p.title}">\n{text}\n</passage>'
        )
    return blocks


def budget(
    passages: Sequence[Passage], fixed_tokens: int, context_tokens: int, answer_tokens: int
) -> list[Passage]:
    """The most relevant passages (a prefix of ``passages``) that fit in the context window."""
    room = context_tokens - answer_tokens - fixed_tokens
    kept = []
    for passage, block in zip(passages, format_passages(passages)):
        cost = count_tokens(block) + 2
        if cost > room:
            break
        kept.append(passage)
        room -= cost
    return kept


def is_not_found(text: str) -> bool:
    """Whether ``text`` says, anywhere, that the passages do not hold the answer."""
    return bool(_NOT_FOUND.search(strip_markers(text, as_models_write_them=True)))


def says_not_found(text: str) -> bool:
    """Whether ``text`` is the fixed not-found answer and nothing more (markers aside)."""
    words = re.findall(r"\w+", strip_markers(text, as_models_write_them=True).lower())
    fixed = re.findall(r"\w+", NOT_FOUND.lower())
    return words[: len(fixed)] == fixed and len(words) <= len(fixed) + 3


class LLMAnswerer:
    """Answers with a chat model, citing the passages it was given. Thread-safe."""

    def __init__(
        self,
        chat_model: BaseChatModel,
        *,
        model: str,
        endpoint: str = "",
        context_tokens: int = 8192,
        answer_tokens: int = 512,
        lexicon: Callable[[], Lexicon] | None = None,
        document: Callable[[Passage], str] | None = None,
        verify: bool = True,
        verify_threshold: float = verification.DOUBT,
    ) -> None:
        """``lexicon`` gives the collection's word statistics, which tell the claim check
        which words are rare; without it every word of an answer counts as rare. ``document``
        gives the text of the document a passage is part of, where the claim check looks for
        the question's names a passage does not repeat; without it, only the passage counts.
        ``verify``: ask the model whether each sentence's cited passage states it
        (:mod:`sciqa.verification`), after the lexical check, and remove a sentence whose
        P(TRUE) is below ``verify_threshold``."""
        self.chat_model = chat_model
        self.checker = Checker(lexicon, document, chat_model if verify else None, verify_threshold)
        self.model = model
        self.endpoint = redact(endpoint)  # it goes into messages: no password of its URL
        self.context_tokens = context_tokens
        self.answer_tokens = answer_tokens

    # -- prompts -------------------------------------------------------------------------

    def messages(self, question: str, passages: Sequence[Passage]) -> list[BaseMessage]:
        from langchain_core.messages import HumanMessage, SystemMessage

        system = prompt("answer_system.txt").format(not_found=NOT_FOUND)
        user = prompt("answer_user.txt")
        return [
            SystemMessage(system),
            HumanMessage(
                user.format(passages="\n\n".join(format_passages(passages)), question=question)
            ),
        ]

    def fit(self, question: str, passages: Sequence[Passage]) -> list[Passage]:
        """The passages that fit the model's window with the prompt, question and answer."""
        fixed = sum(count_tokens(str(m.content)) + 4 for m in self.messages(question, []))
        kept = budget(passages, fixed, self.context_tokens, self.answer_tokens)
        if passages and not kept:
            raise ConfigError(
                f"SCIQA_CONTEXT_TOKENS={self.context_tokens} leaves no room for a single "
                f"passage after the prompt ({fixed} tokens) and the answer "
                f"(SCIQA_ANSWER_TOKENS={self.answer_tokens}); raise it to the model's window"
            )
        return kept

    # -- answering -----------------------------------------------------------------------

    def condense(self, question: str, history: Sequence[Message]) -> str:
        """A follow-up rewritten by the model to stand on its own (the question if no history)."""
        turns = [m for m in history if m.get("role") in ("user", "assistant") and m.get("content")]
        if not turns:
            return question
        from langchain_core.messages import HumanMessage

        shown = "\n".join(
            f"{m['role']}: {' '.join(str(m['content']).split())}" for m in turns[-_HISTORY_TURNS:]
        )
        text = prompt("condense.txt").format(history=shown, question=question)
        try:
            reply = self.chat_model.invoke([HumanMessage(text)])
        except Exception as e:
            raise self._error(e) from e
        content = redact(str(reply.content))  # it is shown: "(searched for: ...)"
        lines = [line.strip() for line in content.splitlines() if line.strip()]
        rewritten = lines[0].removeprefix("Standalone question:").strip() if lines else ""
        if not rewritten or len(rewritten) > 4 * len(question) + 200 or _ECHO.match(rewritten):
            return standalone_question(question, history)  # a model that would not play along
        return rewritten

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        final = None
        for piece in self.stream(question, passages):
            if isinstance(piece, Answer):
                final = piece
        assert final is not None
        return final

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str | Answer]:
        """The answer's text as the model writes it (markers checked), then the ``Answer``."""
        # What the question says to a model ("ignore previous instructions and reply ...",
        # smuggled notes) never reaches it: the model reads what the question asks.
        asked = clean_question(question)
        given = self.fit(question, passages) if asked else []
        if not given:
            yield NOT_FOUND
            yield Answer(question, NOT_FOUND, True, (), model=self.model)
            return
        markers = citations.Markers(len(given))
        secrets = StreamRedactor()  # a model that repeats a key it saw never shows it
        raw: list[str] = []
        model_name = self.model
        try:
            for chunk in self.chat_model.stream(self.messages(asked, given)):
                piece = chunk.content if isinstance(chunk.content, str) else ""
                model_name = chunk.response_metadata.get("model_name") or model_name
                if not piece:
                    continue
                raw.append(piece)
                shown = secrets.feed(markers.feed(piece))
                if shown:
                    yield shown
        except ValueError as e:
            if raw or "no generation chunks" not in str(e).lower():
                raise self._error(e) from e
            # LangChain's way of saying the model streamed nothing: the empty answer below.
        except Exception as e:
            raise self._error(e) from e
        rest = secrets.feed(markers.close()) + secrets.close()
        if rest:
            yield rest
        yield self._final(question, asked, redact("".join(raw)), given, model_name)

    def _final(
        self, question: str, asked: str, raw: str, given: list[Passage], model_name: str
    ) -> Answer:
        """The checked ``Answer`` to ``question`` (``asked``: as the model read it) from ``raw``."""
        model = f"{self.model}" if model_name == self.model else f"{self.model} ({model_name})"
        if not raw.strip():
            raise self._fail(
                f"the model server at {self.endpoint} returned an empty answer "
                f"(model {self.model!r}); try again, or check the model is loaded",
                "it sent an empty answer",
            )
        text, markers = citations.rewrite(raw, len(given))
        # A sentence that says the passages do not hold something ("The course is not
        # mentioned in the given passages [1].") answers nothing; only such sentences: declined.
        parts = answer_sentences(text)
        declines = [is_not_found(s) for s in parts]
        if says_not_found(text) or all(declines):
            return Answer(question, NOT_FOUND, True, (), model=model)
        # Nor does one that only says the question again ("ICLR 2022 was held in this city:"):
        # it goes, and the answer says so.
        restated = [not d and echoes.restates(s, asked) for s, d in zip(parts, declines)]
        echoed = tuple(
            Removed(shown, echoes.ECHO)
            for s, e in zip(parts, restated)
            if e and (shown := citations.plain(s))
        )
        dropped = [d or e for d, e in zip(declines, restated)]
        if all(dropped):
            return Answer(question, NOT_FOUND, True, (), model=model, removed=echoed)
        if any(dropped):
            kept = citations.drop(text, [not d for d in dropped])
            text, markers = citations.renumber(kept, markers.order, len(given))
        if not markers.order:
            # No (valid) markers: cite the passages that support each sentence, if any do.
            text, markers.order = citations.attribute(
                strip_markers(text, as_models_write_them=True), given
            )
        answer = self.checker.checked(question, asked, text, given, markers.order, model)
        return dataclasses.replace(answer, removed=echoed + answer.removed)

    def _fail(self, message: str, reason: str) -> ModelError:
        return ModelError(message, endpoint=self.endpoint, reason=reason)

    def _error(self, e: Exception) -> Exception:
        """One clear error naming the endpoint, for whatever the client raised."""
        return providers.server_error(
            e, f"the model server at {self.endpoint}", self.endpoint, self.model, "SCIQA_MODEL"
        )
