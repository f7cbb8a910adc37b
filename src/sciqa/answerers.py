"""The answerers a pipeline can use, built when first asked for and kept.

``extractive`` (:mod:`sciqa.answerer`, offline) and ``openai`` (:mod:`sciqa.generation`, the
model ``Settings`` names) are kept for good; an answerer for a model on a server found at run
time (an :class:`~sciqa.providers.Endpoint`, as the web page offers them) is kept among the
last :data:`MAX_ENDPOINT_ANSWERERS` used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from langchain_core.embeddings import Embeddings

from sciqa import providers
from sciqa.answerer import ExtractiveAnswerer
from sciqa.conversation import Message
from sciqa.errors import ConfigError
from sciqa.lexical import Lexicon
from sciqa.providers import Endpoint
from sciqa.schema import Answer, Passage
from sciqa.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

# Answerers kept for endpoints chosen at run time (the web page's local models), least
# recently used dropped first; the named ones ('extractive', 'openai') are always kept.
MAX_ENDPOINT_ANSWERERS = 8


class Answerer(Protocol):
    """What turns a question and its passages into an ``Answer``."""

    model: str

    def condense(self, question: str, history: Sequence[Message]) -> str:
        """``question`` rewritten, with the chat so far, to stand on its own for retrieval."""
        ...

    def answer(self, question: str, passages: list[Passage]) -> Answer: ...

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str | Answer]:
        """Pieces of the answer's text as they come, then the final ``Answer``."""
        ...


class Answerers:
    """The answerers by name or endpoint; safe to share between threads."""

    def __init__(
        self,
        settings: Settings,
        embeddings: Embeddings,
        lexicon: Callable[[], Lexicon],
        given: Answerer | None = None,
        document: Callable[[Passage], str] | None = None,
    ) -> None:
        self.settings, self.embeddings, self.lexicon = settings, embeddings, lexicon
        self.document = document  # a passage's whole document, for the subject checks
        self._kept: dict[str | Endpoint, Answerer] = {}
        if given is not None:
            self._kept[settings.llm] = given
        self._lock = threading.Lock()

    def get(self, llm: str | Endpoint | None = None) -> Answerer:
        """The answerer called ``llm`` ('extractive' or 'openai'; default ``Settings.llm``), or
        one for a model on an OpenAI-compatible server (an :class:`Endpoint`)."""
        key = llm or self.settings.llm
        with self._lock:
            answerer = self._kept.pop(key, None) or self._make(key)
            self._kept[key] = answerer  # last in the dict: most recently used
            endpoints = [k for k in self._kept if isinstance(k, Endpoint)]
            for old in endpoints[:-MAX_ENDPOINT_ANSWERERS]:
                del self._kept[old]
            return answerer

    def _make(self, key: str | Endpoint) -> Answerer:
        if key == "extractive":
            return ExtractiveAnswerer(
                self.embeddings,
                self.lexicon,
                min_score=self.settings.min_score,
                document=self.document,
            )
        if key == "openai":
            chat_model = providers.make_chat_model(self.settings, "openai")
            return self._llm(chat_model, self.settings.model, providers.endpoint())
        if isinstance(key, Endpoint):
            chat_model = providers.endpoint_chat_model(self.settings, key)
            return self._llm(chat_model, key.model, key.base_url)
        raise ConfigError(f"unknown answerer {key!r}; choose one of: extractive, openai")

    def _llm(self, chat_model: BaseChatModel, model: str, endpoint: str) -> Answerer:
        from sciqa.generation import LLMAnswerer

        return LLMAnswerer(
            chat_model,
            model=model,
            endpoint=endpoint,
            context_tokens=self.settings.context_tokens,
            answer_tokens=self.settings.answer_tokens,
            lexicon=self.lexicon,
            document=self.document,
            verify=self.settings.verify_claims,
            verify_threshold=self.settings.verify_threshold,
        )
