"""The pipeline: documents -> chunks -> store -> hybrid retrieval -> answer with citations.

``Pipeline`` is what the API, the CLI, the UI and the evals use. Tests and the UI can hand it
their own parts (embeddings, answerer); by default it builds them from ``Settings``.

A question asking which job listings there are ("Are there jobs in Israel?") is answered from
the store's listings by ``listings.py``, before any answerer: a complete, checked list beats
the few passages retrieval would hand an answerer.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from langchain_core.embeddings import Embeddings

from sciqa import indexing, listings, providers
from sciqa.answerer import ExtractiveAnswerer
from sciqa.chunking import prime_tiktoken_cache
from sciqa.conversation import Message
from sciqa.embeddings import embedding_id, make_embeddings
from sciqa.errors import ConfigError, ModelError, QuestionError, SciQAError
from sciqa.resources import default_corpus
from sciqa.retrieval import HybridRetriever
from sciqa.schema import Answer, IngestReport, Passage
from sciqa.settings import Settings
from sciqa.store import Store


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


class Pipeline:
    """One corpus, one store, one answerer. Safe to share between threads."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embeddings: Embeddings | None = None,
        answerer: Answerer | None = None,
    ) -> None:
        self.settings = settings or Settings()
        prime_tiktoken_cache(self.settings.home / "tiktoken")
        self.embeddings = embeddings or make_embeddings(self.settings)
        self.store = Store(self.settings, embedding_id(self.settings, self.embeddings))
        self.retriever = HybridRetriever(self.store, self.embeddings, self.settings.fetch_k)
        self._answerers: dict[str, Answerer] = {}
        if answerer is not None:
            self._answerers[self.settings.llm] = answerer
        self._answerers_lock = threading.Lock()
        self.answerer = self.answerer_for()
        self._ingest_lock = threading.Lock()

    def answerer_for(self, llm: str | None = None) -> Answerer:
        """The answerer called ``llm`` ('extractive' or 'openai'), built once and kept."""
        name = llm or self.settings.llm
        with self._answerers_lock:
            if name not in self._answerers:
                self._answerers[name] = self._make_answerer(name)
            return self._answerers[name]

    def _make_answerer(self, name: str) -> Answerer:
        if name == "extractive":
            return ExtractiveAnswerer(
                self.embeddings, lambda: self.store.lexicon, min_score=self.settings.min_score
            )
        if name == "openai":
            from sciqa.generation import LLMAnswerer

            return LLMAnswerer(
                providers.make_chat_model(self.settings, name),
                model=self.settings.model,
                endpoint=providers.endpoint(),
                context_tokens=self.settings.context_tokens,
                answer_tokens=self.settings.answer_tokens,
                lexicon=lambda: self.store.lexicon,
            )
        raise ConfigError(f"unknown answerer {name!r}; choose one of: extractive, openai")

    # -- ingest --------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[str | Path] | None = None,
        *,
        dry_run: bool = False,
        rebuild: bool = False,
    ) -> IngestReport:
        """Make the store mirror ``paths`` (default: the folders it was built from, else the
        configured or bundled corpus: `ingest --rebuild` never swaps a user's documents out)."""
        roots = [Path(p) for p in paths] if paths else self._built_from()
        with self._ingest_lock:
            return indexing.ingest(
                self.store,
                self.embeddings,
                self.settings,
                roots,
                dry_run=dry_run,
                rebuild=rebuild,
            )

    def _built_from(self) -> list[Path]:
        try:
            manifest = self.store.manifest()
        except SciQAError:  # unreadable: --rebuild is how it gets mended
            manifest = None
        return (
            [Path(r) for r in manifest.roots]
            if manifest and manifest.roots
            else [self.corpus_root()]
        )

    def corpus_root(self) -> Path:
        return self.settings.corpus or default_corpus()

    def ensure_ready(self) -> None:
        """Check the store can be queried; ingest the default corpus into an empty one."""
        self.store.check_compatible()
        if self.store.is_empty():
            with self._ingest_lock:
                if self.store.is_empty():
                    if self.settings.progress:
                        print(
                            f"sciqa: first run, indexing {self.corpus_root()} into "
                            f"{self.settings.store_dir}",
                            file=sys.stderr,
                        )
                    indexing.ingest(
                        self.store, self.embeddings, self.settings, [self.corpus_root()]
                    )

    # -- ask -----------------------------------------------------------------------------

    def check_question(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise QuestionError("the question is empty; ask something about the documents")
        question = question.strip()
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionError(
                f"the question is {len(question):,} characters long; the limit is {limit:,} "
                "(SCIQA_MAX_QUESTION_CHARS). Ask a shorter question"
            )
        return question

    def retrieve(
        self,
        question: str,
        *,
        history: Sequence[Message] | None = None,
        k: int | None = None,
        llm: str | None = None,
    ) -> list[Passage]:
        """The passages the answerer would be given for ``question``, best first."""
        return self._prepare(question, history, k, llm)[2]

    def _prepare(
        self,
        question: str,
        history: Sequence[Message] | None,
        k: int | None,
        llm: str | None,
    ) -> tuple[Answerer, str, list[Passage]]:
        """The answerer, the standalone question and its passages."""
        answerer = self.answerer_for(llm)
        question = self.check_question(question)
        self.ensure_ready()
        query = answerer.condense(question, history) if history else question
        # Misspelt words are searched as the collection spells them (Answer.query shows it).
        query = self.store.lexicon.correct(query)
        return answerer, query, self.retriever.retrieve(query, k or self.settings.k)

    def _list(self, question: str, history: Sequence[Message] | None) -> Answer | None:
        """The answer to a question about which job listings exist, or None for any other
        question (or a collection without job listings). A follow-up that changes the place or
        filter of such a question ("what about Haifa?") is one too."""
        t0 = time.perf_counter()
        question = self.check_question(question)
        query, searched = listings.parse(question), question
        previous = [m["content"] for m in history or () if m.get("role") == "user"]
        if query is None and previous:
            query = listings.parse_follow_up(question, previous[-1])
            searched = query.describe() if query else question
        if query is None:
            return None
        self.ensure_ready()
        found = listings.group(self.store.section("job"))
        if not found:
            return None
        t1 = time.perf_counter()
        answer = listings.answer(question, query, found, known_places=searched != question)
        if answer is None:
            return None
        chunks = {p.chunk_id: p for li in found for p in li.chunks}
        cited = dict.fromkeys(c.chunk_id for c in answer.citations)
        return replace(
            answer,
            query=searched,
            passages=tuple(chunks[cid] for cid in cited),
            timings={"retrieve_ms": _ms(t0, t1), "answer_ms": _ms(t1)},
        )

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Message] | None = None,
        k: int | None = None,
        llm: str | None = None,
    ) -> Answer:
        """Answer ``question`` from the documents, citing the passages used.

        ``history`` holds the earlier turns of a chat (OpenAI-style messages); ``llm`` picks the
        answerer ('extractive' or 'openai'; default: ``Settings.llm``).
        """
        answer = None
        for piece in self.stream(question, history=history, k=k, llm=llm):
            if isinstance(piece, Answer):
                answer = piece
        assert answer is not None, "stream() ends with an Answer"
        return answer

    def stream(
        self,
        question: str,
        *,
        history: Sequence[Message] | None = None,
        k: int | None = None,
        llm: str | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer's text as it becomes available, then the final ``Answer`` (a model's
        unsupported sentences, streamed as written, are taken out of it: ``Answer.removed``)."""
        t0 = time.perf_counter()
        listed = self._list(question, history)
        if listed is not None:
            lines = listed.answer.split("\n")
            yield from (f"{line}\n" for line in lines[:-1])
            yield lines[-1]
            yield replace(listed, timings={**listed.timings, "total_ms": _ms(t0)})
            return
        answerer, query, passages = self._prepare(question, history, k, llm)
        t1 = time.perf_counter()
        first_ms: float | None = None
        answer: Answer | None = None
        for piece in answerer.stream(query, passages):
            if isinstance(piece, Answer):
                answer = piece
            else:
                if first_ms is None:
                    first_ms = round((time.perf_counter() - t0) * 1000, 1)
                yield piece
        t2 = time.perf_counter()
        if answer is None:
            raise ModelError(f"the {answerer.model} answerer ended without an answer")
        timings = {
            "retrieve_ms": round((t1 - t0) * 1000, 1),
            "answer_ms": round((t2 - t1) * 1000, 1),
            "total_ms": round((t2 - t0) * 1000, 1),
        }
        if first_ms is not None:
            timings["first_text_ms"] = first_ms
        yield replace(
            answer,
            question=question.strip(),
            query=query,
            timings=timings,
            passages=tuple(passages),
        )


def _ms(start: float, end: float | None = None) -> float:
    return round(((end if end is not None else time.perf_counter()) - start) * 1000, 1)
