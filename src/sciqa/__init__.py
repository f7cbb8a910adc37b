"""sciqa: answers questions about a document collection, citing the passages it used.

    >>> import sciqa
    >>> answer = sciqa.ask("When did Amazon launch the Amazon Scholars program?")
    >>> answer.answer, answer.citations[0].source

``ask``, ``stream`` and ``ingest`` use one shared pipeline built from the environment
(``SCIQA_*``); build a :class:`Pipeline` yourself to choose its parts.
:func:`find_local_servers` lists the model servers running on this machine; pass
``server.endpoint(model)`` as ``llm`` to answer with one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path

from sciqa.answerer import NOT_FOUND
from sciqa.conversation import Message
from sciqa.discovery import LocalServer, find_local_servers
from sciqa.errors import (
    ConfigError,
    IngestError,
    ModelError,
    QuestionError,
    SciQAError,
    StoreError,
    StoreLockedError,
    StoreMismatchError,
    StoreReadOnlyError,
)
from sciqa.pipeline import Pipeline
from sciqa.providers import Endpoint
from sciqa.redaction import redact_logs as _redact_logs
from sciqa.schema import Answer, Citation, IngestReport, Passage, Removed, Skipped
from sciqa.settings import Settings

__version__ = "0.1.0"

# What sciqa logs never holds a secret it was given (a logger's filter sees only its own
# records, so the progress notes' logger gets it too).
for _name in ("sciqa", "sciqa.progress"):
    _redact_logs(logging.getLogger(_name))

__all__ = [
    "NOT_FOUND",
    "Answer",
    "Citation",
    "ConfigError",
    "Endpoint",
    "IngestError",
    "IngestReport",
    "LocalServer",
    "Message",
    "ModelError",
    "Passage",
    "Pipeline",
    "QuestionError",
    "Removed",
    "SciQAError",
    "Settings",
    "Skipped",
    "StoreError",
    "StoreLockedError",
    "StoreMismatchError",
    "StoreReadOnlyError",
    "__version__",
    "ask",
    "default_pipeline",
    "find_local_servers",
    "ingest",
    "stream",
]


@cache
def default_pipeline() -> Pipeline:
    """The pipeline behind :func:`ask`, built once from the environment."""
    return Pipeline(Settings())


def ask(
    question: str,
    *,
    history: Sequence[Message] | None = None,
    k: int | None = None,
    llm: str | Endpoint | None = None,
    fallback: bool | None = None,
) -> Answer:
    """Answer ``question`` from the documents; ``history`` holds earlier turns of the chat as
    ``{"role": "user"|"assistant", "content": ...}`` messages; ``llm`` picks the answerer;
    ``fallback`` answers offline, with ``Answer.notice``, when the model fails."""
    return default_pipeline().ask(question, history=history, k=k, llm=llm, fallback=fallback)


def stream(
    question: str,
    *,
    history: Sequence[Message] | None = None,
    k: int | None = None,
    llm: str | Endpoint | None = None,
    fallback: bool | None = None,
) -> Iterator[str | Answer]:
    """Yield pieces of the answer's text as they come, then the final :class:`Answer`, which
    is what counts: a model's sentences that their passages do not support are not in it (see
    ``Answer.removed``), and after a ``notice`` its text replaces what was streamed."""
    return default_pipeline().stream(question, history=history, k=k, llm=llm, fallback=fallback)


def ingest(
    paths: Sequence[str | Path] | None = None,
    *,
    dry_run: bool = False,
    follow_links: bool = False,
) -> IngestReport:
    """Add ``paths`` to the store or bring them up to date, keeping its other sources (default:
    every source it holds; the bundled corpus for a new store). Symbolic links that lead out of
    a folder are skipped and named in the report, unless ``follow_links``."""
    return default_pipeline().ingest(paths, dry_run=dry_run, follow_links=follow_links)
