"""Removing sources: ``sciqa remove PATH`` drops a source and every chunk of its files from
Chroma, the BM25 index and the manifest, journaled as an ingest is (``indexing.py``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from sciqa import sources
from sciqa.documents import shown
from sciqa.errors import IngestError
from sciqa.indexing import guarded, previous_sources
from sciqa.manifest import Manifest
from sciqa.schema import IngestReport
from sciqa.store import Store


def remove(store: Store, named: Sequence[str], *, dry_run: bool = False) -> IngestReport:
    """Drop the sources ``named`` (``sources.key`` form) and every chunk of their files from
    Chroma, the BM25 index and the manifest. A name that is not a source is an error, and then
    nothing changes. Like an ingest, it records the sources left first, lists the files to drop
    as pending before it deletes any, and holds the ingest lock, so a killed removal is
    finished by the next ``sciqa ingest``."""
    began = time.perf_counter()

    def plan() -> tuple[list[sources.Entry], Manifest | None, list[str], dict[str, str]]:
        entries = previous_sources(store) or []
        known = [e.path for e in entries]
        for k in named:
            if k not in known:
                raise IngestError(_not_a_source(k, known))
        m = store.manifest()
        owned = sources.owners(m.files if m else {}, known)
        dropped = [s for s, k in owned.items() if k in named]
        return entries, m, dropped, owned

    def report(dropped: list[str], owned: dict[str, str], deleted: int = 0) -> IngestReport:
        return IngestReport(
            removed=tuple(dropped),
            root_of={s: owned[s] for s in dropped},
            chunks_deleted=deleted,
            seconds=time.perf_counter() - began,
            dry_run=dry_run,
        )

    if dry_run:
        _, _, dropped, owned = plan()
        return report(dropped, owned)

    def write() -> IngestReport:
        entries, m, dropped, owned = plan()
        left = [e for e in entries if e.path not in named]
        sources.record(store.dir, left)  # first: a kill from here on finishes the removal
        if m is None:
            return report(dropped, owned)
        m.files = {s: {**v, "root": owned[s]} for s, v in m.files.items() if s not in dropped}
        m.roots = [e.path for e in left]
        m.pending = sorted(set(m.pending) | set(dropped))
        m.bm25 = ""
        m.write(store.manifest_path)
        deleted = store.delete_sources(dropped)
        m.bm25 = store.seal_bm25()
        gone = set(dropped)
        m.pending = [s for s in m.pending if s not in gone]
        m.write(store.manifest_path)
        return report(dropped, owned, deleted)

    with store.ingest_lock():
        return guarded(store, store.settings, write)


def _not_a_source(k: str, known: list[str]) -> str:
    inside = next(
        (s for s in known if s != sources.BUNDLED and Path(k).is_relative_to(s) and k != s), None
    )
    hint = (
        f"; it is inside the source {shown(inside)}: delete the file there and run "
        f"`sciqa ingest {shown(inside)}`"
        if inside
        else "; `sciqa sources` lists them"
    )
    return f"{shown(k)} is not a source of the store, nothing was removed{hint}"
