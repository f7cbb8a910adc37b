"""The pipeline: documents -> chunks -> store -> hybrid retrieval -> answer with citations.

``Pipeline`` is what the API, the CLI, the UI and the evals use. Tests and the UI can hand it
their own parts (embeddings, answerer); by default it builds them from ``Settings``.

A question asking which job listings there are ("Are there jobs in Israel?") is answered from
the store's listings by ``listings.py``, before any answerer: a complete, checked list beats
the few passages retrieval would hand an answerer.

When a model-backed answerer fails while answering (a :class:`~sciqa.errors.ModelError`), the
offline extractive answerer answers the same question from the same passages, and the
``Answer.notice`` says so; ``fallback=False`` (or ``SCIQA_FALLBACK=false``) raises instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from langchain_core.embeddings import Embeddings

from sciqa import indexing, listings, removal, sources
from sciqa.answerer import ExtractiveAnswerer
from sciqa.answerers import Answerer, Answerers
from sciqa.conversation import Message
from sciqa.embeddings import embedding_id, make_embeddings
from sciqa.errors import ModelError, SciQAError
from sciqa.overview import Overview, describe
from sciqa.providers import Endpoint
from sciqa.questions import checked
from sciqa.resources import default_corpus
from sciqa.retrieval import HybridRetriever
from sciqa.schema import Answer, Citation, IngestReport, Passage
from sciqa.settings import Settings
from sciqa.store import Store

log = logging.getLogger("sciqa")


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
        self.embeddings = embeddings or make_embeddings(self.settings)
        self.store = Store(self.settings, embedding_id(self.settings, self.embeddings))
        self.retriever = HybridRetriever(self.store, self.embeddings, self.settings.fetch_k)
        self._answerers = Answerers(
            self.settings,
            self.embeddings,
            lambda: self.store.lexicon,
            answerer,
            document=self.context_of,
        )
        self.answerer = self.answerer_for()
        self._ingest_lock = threading.Lock()
        self._overview: Overview | None = None
        self._overview_lock = threading.Lock()

    def answerer_for(self, llm: str | Endpoint | None = None) -> Answerer:
        """The answerer called ``llm`` ('extractive' or 'openai'), or one for a model on an
        OpenAI-compatible server (an :class:`Endpoint`); built once and kept (endpoints: the
        last :data:`~sciqa.answerers.MAX_ENDPOINT_ANSWERERS` used)."""
        return self._answerers.get(llm)

    def context_of(self, cited: Passage | Citation) -> str:
        """The whole document a cited chunk is part of (its article, or its one job listing):
        what its reader knows of whom its "he", "the team" or "the role" means. The claim check
        reads it for the question's names that the chunk does not repeat."""
        return "\n".join(c.text for c in self.store.document(cited.source, cited.title))

    # -- ingest --------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[str | Path] | None = None,
        *,
        dry_run: bool = False,
        rebuild: bool = False,
        follow_links: bool = False,
    ) -> IngestReport:
        """Add ``paths`` (folders or files) to the store, or bring them up to date, keeping its
        other sources; each folder read is mirrored (its files gone from it are removed). The
        string ``"bundled"`` names the bundled corpus (``Path("bundled")`` is a folder).

        With no ``paths``: every source the store holds (:meth:`roots`; the configured or bundled
        corpus for a store that never recorded one). ``rebuild`` drops the store and reads every
        source again. Symbolic links that lead out of a folder are skipped and named in the
        report, unless ``follow_links``."""
        named = [sources.key(p) for p in paths] if paths else None
        with self._ingest_lock:
            return indexing.ingest(
                self.store,
                self.embeddings,
                self.settings,
                named,
                default=sources.key(self.corpus_root()),
                dry_run=dry_run,
                rebuild=rebuild,
                follow_links=follow_links,
            )

    def remove(self, paths: Sequence[str | Path], *, dry_run: bool = False) -> IngestReport:
        """Drop the sources ``paths`` (as :meth:`ingest` names them) and their chunks; a path
        that is not a source raises :class:`IngestError` and nothing changes."""
        with self._ingest_lock:
            return removal.remove(self.store, [sources.key(p) for p in paths], dry_run=dry_run)

    def sources(self) -> list[sources.Summary]:
        """Each source the store holds, oldest first: its files, chunks, and when it was last
        ingested."""
        return sources.summarize(self.store.dir)

    def roots(self) -> list[Path]:
        """The folders and files the store holds (the bundled corpus by its folder): those
        recorded (``sources.json``, kept through any kill), else those named by a manifest
        written before that file existed; only a store that never recorded any gets the
        configured or bundled corpus (one whose sources were all removed has none)."""
        entries = indexing.previous_sources(self.store)
        if entries is None:
            return [self.corpus_root()]
        return [sources.folder(e.path) for e in entries]

    def corpus_root(self) -> Path:
        """The configured corpus (``SCIQA_CORPUS``), else the bundled one: what a new store is
        filled with."""
        return self.settings.corpus or default_corpus()

    def ensure_ready(self) -> None:
        """Check the store can be queried; fill an empty one from :meth:`roots` (the user's
        documents if it ever recorded any, so also after a killed ingest or a deleted
        manifest). An ingest another process finished since the last question is picked up
        here (:meth:`Store.follow`)."""
        self.store.check_compatible()
        self.store.follow()
        if self.store.is_empty():
            with self._ingest_lock:
                if self.store.is_empty():
                    default = sources.key(self.corpus_root())
                    indexing.fill(self.store, self.embeddings, self.settings, self.roots(), default)

    def overview(self) -> Overview:
        """The documents and job listings the store holds, read once per store build: after an
        ingest (this process's or another's, picked up by :meth:`Store.follow`) the next call
        reads them again; while one runs, the last overview stays, as answers still come from
        what was there. A dictionary look-up and a manifest ``stat`` otherwise."""
        try:
            self.store.follow()
            m = self.store.manifest()
            build = (m.bm25 or None) if m else None
        except SciQAError:  # unreadable: each question says so
            build = None
        with self._overview_lock:
            last = self._overview
            if last is not None and (build is None or last.build == build):
                return last
            self._overview = describe(self.store, build)
            return self._overview

    def warm_up(
        self,
        *,
        batch: int = 8,
        max_sentences: int = 20_000,
        stop: Callable[[], bool] = lambda: False,
    ) -> int:
        """Have the extractive answerer embed every sentence of the store once, ``batch``
        chunks at a time, until ``max_sentences`` or ``stop()``; returns how many sentences it
        embedded (0 for another answerer).

        The answerer caches sentence vectors; scoring a question's passages is what costs time
        the first time they come up. Small batches keep a question asked meanwhile from waiting
        long behind this (the answerer embeds one batch at a time)."""
        answerer = self.answerer_for("extractive")
        if not isinstance(answerer, ExtractiveAnswerer):
            return 0
        ids = self.store.collection.get(include=[])["ids"]

        def read(chunk_ids: Sequence[str]) -> list[Passage]:
            return list(self.store.passages(chunk_ids).values())

        return answerer.warm_up_all(ids, read, batch, max_sentences, stop)

    # -- ask -----------------------------------------------------------------------------

    def check_question(self, question: str) -> str:
        """``question`` normalized; :class:`QuestionError` if empty or over the limit."""
        return checked(question, self.settings.max_question_chars)

    def retrieve(
        self,
        question: str,
        *,
        history: Sequence[Message] | None = None,
        k: int | None = None,
        llm: str | Endpoint | None = None,
    ) -> list[Passage]:
        """The passages the answerer would be given for ``question``, best first."""
        return self._prepare(question, history, k, self.answerer_for(llm), None)[2]

    def _prepare(
        self,
        question: str,
        history: Sequence[Message] | None,
        k: int | None,
        answerer: Answerer,
        offline: Answerer | None,
    ) -> tuple[Answerer, str, list[Passage], ModelError | None]:
        """The answerer, the standalone question, its passages, and the model's failure if
        condensing a follow-up failed and ``offline`` took over."""
        question = self.check_question(question)
        self.ensure_ready()
        failure = None
        try:
            query = answerer.condense(question, history) if history else question
        except ModelError as e:
            if offline is None:
                raise
            failure, answerer = e, offline
            query = offline.condense(question, history or [])
        # Misspelt words are searched as the collection spells them (Answer.query shows it).
        query = self.store.lexicon.correct(query)
        return answerer, query, self.retriever.retrieve(query, k or self.settings.k), failure

    def _list(self, question: str, history: Sequence[Message] | None) -> Answer | None:
        """The answer to a question about which job listings exist (:mod:`sciqa.listings`),
        or None for any other question."""

        def jobs() -> tuple[Passage, ...]:
            self.ensure_ready()
            return self.store.section("job")

        return listings.ask(self.check_question(question), history, jobs)

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Message] | None = None,
        k: int | None = None,
        llm: str | Endpoint | None = None,
        fallback: bool | None = None,
    ) -> Answer:
        """Answer ``question`` from the documents, citing the passages used.

        ``history`` holds the earlier turns of a chat (OpenAI-style messages); ``llm`` picks the
        answerer ('extractive', 'openai', or an :class:`Endpoint`; default: ``Settings.llm``);
        ``fallback`` (default: ``Settings.fallback``) answers offline when the model fails,
        saying so in ``Answer.notice``, instead of raising :class:`ModelError`.
        """
        answer = None
        for piece in self.stream(question, history=history, k=k, llm=llm, fallback=fallback):
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
        llm: str | Endpoint | None = None,
        fallback: bool | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer's text as it becomes available, then the final ``Answer`` (a model's
        unsupported sentences, streamed as written, are taken out of it: ``Answer.removed``).

        If the model fails and ``fallback`` is on, nothing more is streamed: the final
        ``Answer`` is the offline one, with a ``notice``, and replaces the text streamed so far
        (which came from the failed model).
        """
        t0 = time.perf_counter()
        listed = self._list(question, history)
        if listed is not None:
            lines = listed.answer.split("\n")
            yield from (f"{line}\n" for line in lines[:-1])
            yield lines[-1]
            yield replace(listed, timings={**listed.timings, "total_ms": _ms(t0)})
            return
        answerer = self.answerer_for(llm)
        use_fallback = self.settings.fallback if fallback is None else fallback
        offline = self.answerer_for("extractive") if use_fallback else None
        if offline is answerer:
            offline = None  # nothing to fall back to
        answerer, query, passages, failure = self._prepare(question, history, k, answerer, offline)
        t1 = time.perf_counter()
        first_ms: float | None = None
        answer: Answer | None = None
        try:
            for piece in answerer.stream(query, passages):
                if isinstance(piece, Answer):
                    answer = piece
                else:
                    if first_ms is None:
                        first_ms = round((time.perf_counter() - t0) * 1000, 1)
                    yield piece
            if answer is None:
                raise ModelError(f"the {answerer.model} answerer ended without an answer")
        except ModelError as e:
            if offline is None or answerer is offline:
                raise
            failure = e
            answer = offline.answer(query, passages)
        t2 = time.perf_counter()
        timings = {
            "retrieve_ms": round((t1 - t0) * 1000, 1),
            "answer_ms": round((t2 - t1) * 1000, 1),
            "total_ms": round((t2 - t0) * 1000, 1),
        }
        if first_ms is not None:
            timings["first_text_ms"] = first_ms
        notice = ""
        if failure is not None:
            notice = fallback_notice(failure)
            log.info("%s", notice)  # the caller shows it: the Answer carries it
        yield replace(
            answer,
            question=question.strip(),
            query=query,
            timings=timings,
            passages=tuple(passages),
            notice=notice,
        )


def _ms(start: float, end: float | None = None) -> float:
    return round(((end if end is not None else time.perf_counter()) - start) * 1000, 1)


def fallback_notice(error: ModelError) -> str:
    """One line for an answer the offline answerer gave because the model failed."""
    where = f"the model at {error.endpoint}" if error.endpoint else "the model"
    return (
        f"{where} did not answer ({error.reason or error}); this answer is quoted from the "
        "documents offline"
    )
