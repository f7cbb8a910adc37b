"""The naive baseline: the pipeline of LangChain's RAG tutorial, over the same files, with the same
embeddings and the same answerer, so an eval report can say what sciqa's cleaning, chunking and
hybrid retrieval buy.

- chunks: ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200,
  add_start_index=True)`` over each file's raw text: no parsing, no cleaning, no job/article split;
- vectors: the same embeddings, in a Chroma collection ``<collection>-naive`` beside sciqa's,
  built once and rebuilt when the files, the splitter or the embeddings change
  (``<home>/store/naive-manifest.json`` says which);
- retrieval: Chroma similarity search, top 4, dense only;
- answer: the answerer sciqa uses. It quotes sentences by their file offsets (``Passage.spans``),
  so each chunk's lines are cut into sentences with sciqa's own sentence splitter; quotes stay
  verbatim.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sciqa.documents import SourceFile, Span, discover, read_file
from sciqa.schema import Answer, Passage
from sciqa.text import split_sentences

if TYPE_CHECKING:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document

    from sciqa.answerers import Answerer
    from sciqa.pipeline import Pipeline

NAIVE_K = 4
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
SPLITTER = {
    "splitter": "RecursiveCharacterTextSplitter",
    "chunk_size": CHUNK_SIZE,
    "chunk_overlap": CHUNK_OVERLAP,
    "sentences": 1,
}
_EMBED_BATCH = 64
progress = logging.getLogger("sciqa.progress")


def read_sources(roots: list[Path]) -> dict[str, SourceFile]:
    """Every readable file under ``roots`` by source name, as sciqa's ingest names them."""
    files: dict[str, SourceFile] = {}
    for found in discover(roots):
        if isinstance(found, tuple):
            read = read_file(*found)
            if isinstance(read, SourceFile) and read.source not in files:
                files[read.source] = read
    return files


def sentence_spans(text: str, start: int) -> tuple[tuple[int, int, int], ...]:
    """(offset in ``text``, start, end in the file) of each sentence of a raw chunk that begins
    at ``start`` in its file: each line split with :func:`sciqa.text.split_sentences`."""
    spans: list[tuple[int, int, int]] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            line = Span(start + pos + lead, start + pos + lead + len(stripped), stripped)
            spans.extend((s.start - start, s.start, s.end) for s in split_sentences(line))
        pos += len(raw) + 1
    return tuple(spans)


def split_file(file: SourceFile) -> list[Document]:
    """The tutorial's chunks of one file, each with its offsets and sentence spans."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
    )
    docs = splitter.create_documents([file.text], metadatas=[{"source": file.source}])
    for doc in docs:
        start = int(doc.metadata["start_index"])
        if file.text[start : start + len(doc.page_content)] != doc.page_content:
            start = file.text.find(doc.page_content)  # never seen; keeps offsets honest
        doc.metadata.update(
            start=start,
            end=start + len(doc.page_content),
            spans=json.dumps(sentence_spans(doc.page_content, start)),
        )
        key = f"{file.source}\n{start}\n{doc.page_content}".encode()
        doc.id = hashlib.sha256(key).hexdigest()[:32]
    return docs


class NaivePipeline:
    """LangChain's tutorial RAG over the files of a sciqa pipeline's store, answered by
    ``answerer`` (default: the pipeline's own)."""

    def __init__(
        self, pipeline: Pipeline, *, answerer: Answerer | None = None, k: int = NAIVE_K
    ) -> None:
        self.pipeline = pipeline
        self.settings = pipeline.settings
        self.answerer = answerer or pipeline.answerer
        self.k = k
        self.collection = f"{self.settings.collection}-naive"
        self.manifest_path = self.settings.store_dir / "naive-manifest.json"
        self._vectorstore: Chroma | None = None

    def roots(self) -> list[Path]:
        """The folders sciqa's store mirrors (``Pipeline.roots``)."""
        return self.pipeline.roots()

    @property
    def vectorstore(self) -> Chroma:
        if self._vectorstore is None:
            from langchain_chroma import Chroma

            store = self.pipeline.store
            client = store.client
            self._vectorstore = Chroma(
                collection_name=self.collection,
                embedding_function=self.pipeline.embeddings,
                client=client,
            )
        return self._vectorstore

    def _wanted(self, files: dict[str, SourceFile]) -> dict[str, Any]:
        return {
            "embedding_model": self.pipeline.store.embedding_model,
            "splitter": SPLITTER,
            "files": {s: f.sha256 for s, f in sorted(files.items())},
        }

    def ensure_ready(self) -> float:
        """Build the naive collection unless the manifest says it is current; seconds spent."""
        began = time.perf_counter()
        self.pipeline.ensure_ready()
        files = read_sources(self.roots())
        wanted = self._wanted(files)
        try:
            have = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            have = None
        count = len(self.vectorstore.get(include=[])["ids"])
        if have and {k: have.get(k) for k in wanted} == wanted and have.get("chunks") == count:
            return 0.0
        self._build(files, wanted)
        return time.perf_counter() - began

    def _build(self, files: dict[str, SourceFile], wanted: dict[str, Any]) -> None:
        self.manifest_path.unlink(missing_ok=True)
        with contextlib.suppress(Exception):  # not there yet
            self.vectorstore.delete_collection()
        self._vectorstore = None
        docs = [d for source in sorted(files) for d in split_file(files[source])]
        if self.settings.progress:
            progress.info(
                "sciqa: eval: indexing the naive baseline (%d chunks of %d characters)",
                len(docs),
                CHUNK_SIZE,
            )
        for b in range(0, len(docs), _EMBED_BATCH):
            batch = docs[b : b + _EMBED_BATCH]
            self.vectorstore.add_documents(batch, ids=[str(d.id) for d in batch])
        self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        self.manifest_path.write_text(
            json.dumps({**wanted, "chunks": len(docs)}, indent=2, sort_keys=True), "utf-8"
        )

    def retrieve(self, question: str, *, k: int | None = None) -> list[Passage]:
        """The top ``k`` (default 4) raw chunks by similarity to the question."""
        question = self.pipeline.check_question(question)
        hits = self.vectorstore.similarity_search_with_score(question, k=k or self.k)
        return [_passage(doc, distance) for doc, distance in hits]

    def ask(self, question: str) -> Answer:
        t0 = time.perf_counter()
        passages = self.retrieve(question)
        t1 = time.perf_counter()
        answer = self.answerer.answer(question.strip(), passages)
        t2 = time.perf_counter()
        timings = {
            "retrieve_ms": round((t1 - t0) * 1000, 1),
            "answer_ms": round((t2 - t1) * 1000, 1),
            "total_ms": round((t2 - t0) * 1000, 1),
        }
        return replace(answer, question=question.strip(), timings=timings, passages=tuple(passages))


def _passage(doc: Document, distance: float) -> Passage:
    meta = doc.metadata
    return Passage(
        chunk_id=str(doc.id),
        text=doc.page_content,
        source=str(meta["source"]),
        title="",
        section="raw",
        location="",
        start=int(meta["start"]),
        end=int(meta["end"]),
        spans=tuple(tuple(s) for s in json.loads(meta["spans"])),  # type: ignore[misc]
        score=round(-float(distance), 6),
    )
