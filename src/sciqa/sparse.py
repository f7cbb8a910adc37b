"""The sparse index: BM25 (bm25s) over every chunk, with the chunk ids and term statistics.

Saved under ``<home>/store/bm25/``: the bm25s model, ``ids.json`` (the chunk ids in index
order), ``lexicon.json`` (how many chunks hold each term, and a word each term was seen as:
see ``lexical.py``) and ``build.txt``, the build id that the manifest's ``bm25`` names when the
index matches the collection. The folder is replaced whole, never edited in place.

In server mode (SCIQA_CHROMA_URL) the index stays under ``<home>/store`` and is built from the
server's collection when it is missing or its id count differs from the collection's
(:func:`load_or_build`), so any machine pointed at the same server can answer.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sciqa.lexical import Lexicon, term_words, terms
from sciqa.providers import short

log = logging.getLogger("sciqa")


class SparseIndex:
    """BM25 over chunk texts: the chunk ids in index order, the bm25s model (None when there
    are no chunks) and the term statistics (:class:`~sciqa.lexical.Lexicon`) of every chunk."""

    def __init__(self, ids: Sequence[str], model: Any, lexicon: Lexicon) -> None:
        self.ids = list(ids)
        self.model = model
        self.lexicon = lexicon

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> SparseIndex:
        """Index ``texts`` (what :func:`sciqa.store.index_text` gives for each chunk)."""
        import bm25s

        tokenized = []
        df: Counter[str] = Counter()
        surface: dict[str, str] = {}
        for text in texts:
            pairs = term_words(text)
            toks = [t for t, _ in pairs]
            tokenized.append(toks)
            df.update(set(toks))
            for t, w in pairs:
                surface.setdefault(t, w)
        model = None
        if ids:
            model = bm25s.BM25()
            model.index(tokenized, show_progress=False)
        return cls(ids, model, Lexicon(len(ids), dict(df), surface))

    @classmethod
    def read(cls, folder: Path) -> SparseIndex:
        """The index saved in ``folder``; raises (OSError, ValueError, ...) if it is garbled."""
        import bm25s

        ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
        lex = json.loads((folder / "lexicon.json").read_text(encoding="utf-8"))
        model = None
        if ids:
            model = bm25s.BM25.load(str(folder), mmap=False, show_progress=False)
            if model.scores["num_docs"] != len(ids):
                raise ValueError(f"{len(ids)} ids for {model.scores['num_docs']} documents")
        lexicon = Lexicon(int(lex["n_docs"]), dict(lex["df"]), dict(lex.get("surface", {})))
        return cls(ids, model, lexicon)

    def save(self, folder: Path) -> str:
        """Write the index to ``folder``, replacing the old one whole; returns its build id."""
        build = uuid.uuid4().hex
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
        old = folder.parent / f".{folder.name}.old.{build}"
        try:
            if self.model:
                self.model.save(str(tmp), show_progress=False)
            (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
            lex = self.lexicon
            (tmp / "lexicon.json").write_text(
                json.dumps({"n_docs": lex.n_docs, "df": lex.df, "surface": lex.surface}),
                encoding="utf-8",
            )
            (tmp / "build.txt").write_text(build, encoding="utf-8")
            if folder.exists():
                os.replace(folder, old)
            os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
        return build

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Up to ``k`` chunk ids with a positive BM25 score for ``query``, best first."""
        q = [t for t in terms(query) if t in self.model.vocab_dict] if self.model else []
        if not q:
            return []
        k = min(k, len(self.ids))
        docs, scores = self.model.retrieve([q], k=k, show_progress=False)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


def saved_build(folder: Path) -> str | None:
    """The build id of the index saved in ``folder``, or None if there is none (or it was
    invalidated)."""
    try:
        return (folder / "build.txt").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def load_or_build(
    folder: Path,
    build: str | None,
    count: Callable[[], int],
    chunks: Callable[[], tuple[list[str], list[str]]],
) -> SparseIndex:
    """The index saved in ``folder`` if it matches the collection, else one built from the
    collection's ``chunks()`` (ids and index texts): when an ingest is running or was killed, a
    server another machine filled, or the saved index cannot be read.

    ``build`` is the manifest's ``bm25``: the build that matches ("" while an ingest changes
    it), or None when that is unknown (no manifest, one written before that field, or a Chroma
    server), and then the saved index matches if it has ``count()`` ids.
    """
    tracked = build is not None
    problem: Exception | None = None
    try:
        if build is not None:
            fresh = build != "" and saved_build(folder) == build
        else:
            ids_file = folder / "ids.json"
            fresh = (
                ids_file.exists()
                and len(json.loads(ids_file.read_text(encoding="utf-8"))) == count()
            )
        if fresh:
            return SparseIndex.read(folder)
    except Exception as e:  # a garbled or half-copied index: it is only derived data
        problem = e
        if tracked:  # so that the next ingest rebuilds it on disk
            with contextlib.suppress(OSError):
                (folder / "build.txt").unlink(missing_ok=True)
    index = SparseIndex.build(*chunks())
    if problem is not None:
        log.warning(
            "sciqa: warning: the BM25 index in %s cannot be read (%s); using one rebuilt "
            "from the collection. Run `sciqa ingest` to repair it on disk",
            folder,
            short(f"{type(problem).__name__}: {problem}", 160),
        )
    elif tracked:
        log.warning(
            "sciqa: warning: an ingest into %s is running or did not finish; answering "
            "from what is stored so far. Run `sciqa ingest` again to finish it",
            folder.parent,
        )
    if not tracked:  # the old rule: save it for the next process (best effort)
        with contextlib.suppress(OSError):
            index.save(folder)
    return index
