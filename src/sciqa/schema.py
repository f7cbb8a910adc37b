"""The frozen types sciqa returns: never raw LangChain objects."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Citation:
    """A passage an answer used. ``quote`` is ``file_text[start:end]`` of ``source``, verbatim.

    ``highlights`` marks the phrase that answers (a date, a name, an amount) as
    ``(start, end)`` offsets into ``quote``; empty when no phrase is singled out.
    """

    n: int
    source: str
    title: str
    section: str
    chunk_id: str
    quote: str
    start: int
    end: int
    score: float
    highlights: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(
        cls,
        n: int,
        passage: Passage,
        quote: tuple[str, int, int],
        score: float,
        highlights: tuple[tuple[int, int], ...] = (),
    ) -> Citation:
        """Citation ``n`` of ``passage``, quoting ``(text, start, end)`` of its file."""
        text, start, end = quote
        return cls(
            n=n,
            source=passage.source,
            title=passage.title,
            section=passage.section,
            chunk_id=passage.chunk_id,
            quote=text,
            start=start,
            end=end,
            score=score,
            highlights=highlights,
        )


@dataclass(frozen=True)
class Removed:
    """A sentence taken out of a model's answer, and why (e.g. 'not in the cited passage:
    "Python"')."""

    sentence: str
    reason: str


@dataclass(frozen=True)
class Answer:
    """An answer with the passages it quotes or cites as ``[n]``."""

    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...]
    timings: dict[str, float] = field(default_factory=dict)
    model: str = "extractive"
    # Every passage the answerer was given, best first: what "why these sources?" shows.
    passages: tuple[Passage, ...] = ()
    # What was searched: the question, or a follow-up rewritten to stand on its own.
    query: str = ""
    # Sentences of a model's answer that the passages they cite do not support, taken out.
    removed: tuple[Removed, ...] = ()
    # Said beside the answer when it is not what was asked for: "the model at URL did not
    # answer (reason); this answer is quoted from the documents offline". Text streamed before
    # such an answer came from the failed model: show this Answer's text instead.
    notice: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; the retrieved passages go under ``"passages"``."""
        return asdict(self)


@dataclass(frozen=True)
class Skipped:
    """A file that was not ingested, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class IngestReport:
    """What an ingest or a removal did (or, with ``dry_run``, would do), by file name.

    ``root_of`` gives the store's source (a folder or file, by absolute path, or ``bundled``)
    each named file belongs to."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    chunks_added: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    root_of: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["skipped"] = [asdict(s) for s in self.skipped]
        return d


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its ranks: what the answerer reads."""

    chunk_id: str
    text: str
    source: str
    title: str
    section: str
    location: str
    start: int
    end: int
    spans: tuple[tuple[int, int, int], ...]  # (offset in text, start in file, end in file)
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
