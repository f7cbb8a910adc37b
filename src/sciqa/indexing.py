"""Ingest: add, update and remove the store's sources, doing only the work that changed.

A store holds sources (folders or files, and the bundled corpus; ``sources.py``). An ingest
reads the sources it is given, and keeps the others as they are: it makes the store mirror each
source it read (a file gone from that folder is removed), adds a source the store did not hold,
and leaves the files of the other sources untouched. With no source named it reads them all.
Which files are read (and skipped) is ``reading.py``; ``removal.py`` drops sources.

Each file is identified by its source name (its path inside its folder) and content hash.
Unchanged files are skipped, a changed file's chunks are replaced, a removed file's chunks are
deleted. Chunks are embedded and written in batches that span files (``writing.py``: one model
call, one upsert per batch); the manifest is updated after each batch with the files it finished,
so an interrupted ingest resumes where it stopped. A changed file's old chunks are deleted only once
its new ones are all stored, so the store keeps answering from the old version if the run is
killed or the disk fills. A file ingested before that cannot be read now (an I/O error, a file
being rewritten) keeps its chunks.

The sources are recorded (``sources.py``) before the manifest is first written, so that a run
killed at any point, a ``--rebuild`` or a removal included, is redone from the same documents;
the next ingest after a killed one reads every source again.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from langchain_core.embeddings import Embeddings

from sciqa import sources
from sciqa.chroma import read_only, read_only_error
from sciqa.chunking import TOKENIZER
from sciqa.documents import shown
from sciqa.errors import IngestError, SciQAError, StoreError
from sciqa.manifest import Manifest
from sciqa.providers import short
from sciqa.reading import Read, read_sources
from sciqa.schema import IngestReport, Skipped
from sciqa.settings import Settings
from sciqa.store import Store
from sciqa.writing import write

# 2: a job listing is titled with its role ("Applied Scientist · IL, Haifa"); 3: offsets index
# the text as open() reads it (a BOM kept, CRLF read as LF), so such files are chunked again
PARSER_VERSION = 3

T = TypeVar("T")
log = logging.getLogger("sciqa")
progress = logging.getLogger("sciqa.progress")  # notes for a person waiting; the CLI shows them


def chunking_config(settings: Settings) -> dict[str, object]:
    return {
        "tokenizer": TOKENIZER,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "parser": PARSER_VERSION,
    }


def previous_sources(store: Store, *, mend: bool = False) -> list[sources.Entry] | None:
    """The store's sources (``sources.json``), else those a manifest written before that file
    names; None if it never recorded any. An unreadable ``sources.json`` raises, unless
    ``mend`` (an ingest that names its sources writes it again): then the manifest's list."""
    try:
        entries = sources.recorded(store.dir)  # unreadable: raises, never guesses
    except StoreError:
        if not mend:
            raise
        log.warning("sciqa: warning: %s is unreadable; using the manifest's list of sources",
                    sources.journal_path(store.dir))  # fmt: skip
        entries = None
    if entries is not None:
        return entries
    with contextlib.suppress(SciQAError):  # unreadable: --rebuild is how it gets mended
        m = store.manifest()
        if m and m.roots:
            return [
                sources.Entry(sources.key(r if r == sources.BUNDLED else Path(r))) for r in m.roots
            ]
    return None


def ingest(
    store: Store,
    embeddings: Embeddings,
    settings: Settings,
    named: Sequence[str] | None,
    *,
    default: str | None = None,
    dry_run: bool = False,
    rebuild: bool = False,
    follow_links: bool = False,
) -> IngestReport:
    """Add or read again the sources ``named`` (``sources.key`` form), keeping the others; with
    None, read every source the store holds (``default`` for a store that never recorded one).
    ``rebuild`` drops the store and reads every source. ``dry_run`` writes nothing."""
    began = time.perf_counter()
    if dry_run:
        return _ingest(
            store, embeddings, settings, named, default, True, False, follow_links, began
        )
    with store.ingest_lock():
        return guarded(
            store,
            settings,
            lambda: _ingest(
                store, embeddings, settings, named, default, False, rebuild, follow_links, began
            ),
        )


def fill(
    store: Store, embeddings: Embeddings, settings: Settings, roots: Sequence[Path], default: str
) -> IngestReport:
    """Ingest every source into an empty store (``roots``, as :func:`previous_sources` or the
    configured corpus name them), saying so to a person waiting: the first question of a new
    store, or of one a kill left unfinished."""
    if settings.progress and roots:
        unfinished = sources.recorded(store.dir) is not None
        why = "the store is empty or unfinished" if unfinished else "first run"
        progress.info(
            "sciqa: %s, indexing %s into %s", why, ", ".join(map(str, roots)), settings.store_dir
        )
    return ingest(store, embeddings, settings, None, default=default)


def guarded(store: Store, settings: Settings, write: Callable[[], T]) -> T:
    """Run ``write`` (holding the ingest lock), its failures said in words one can act on."""
    try:
        return write()
    except SciQAError:
        raise
    except Exception as e:
        why = short(str(e) or type(e).__name__, 160)
        if _disk_full(e, store.dir):
            raise StoreError(
                f"the disk holding {settings.home} is full ({why}). Free some space, "
                "then run `sciqa ingest` again to finish: nothing was lost, the store answers "
                "as it did before, with the files finished before the disk filled"
            ) from e
        if read_only(e):
            raise read_only_error(store.dir, e) from e
        if type(e).__module__.startswith("chromadb"):
            raise StoreError(
                f"Chroma could not write to the store at {store.dir} ({why}). Nothing "
                "was lost: the store answers as it did before; run `sciqa ingest` again to "
                "finish, and `sciqa ingest --rebuild` if this happens again"
            ) from e
        raise


def _ingest(
    store: Store,
    embeddings: Embeddings,
    settings: Settings,
    named: Sequence[str] | None,
    default: str | None,
    dry_run: bool,
    rebuild: bool,
    follow_links: bool,
    began: float,
) -> IngestReport:
    entries = previous_sources(store, mend=named is not None)
    known = [e.path for e in entries or []]
    if named is None:
        if entries is None and default is not None:
            named = [default]
        elif not known:
            raise IngestError(
                "the store has no sources (every one was removed); add one with "
                "`sciqa ingest PATH`, or `sciqa ingest bundled` for the bundled corpus"
            )
        else:
            named = known
    named = list(dict.fromkeys(named))
    every = known + [k for k in named if k not in known]
    before: Manifest | None = None
    if rebuild:
        with contextlib.suppress(SciQAError):  # unreadable: dropped anyway
            before = store.manifest()
    else:
        before = store.manifest()
    if before is not None and before.embedding_model != store.embedding_model and not rebuild:
        store.check_compatible()  # raises with what to do
    config = chunking_config(settings)
    # Read every source again after a killed run or with other chunker settings; else only the
    # sources named (the others' files stay as they are).
    stale = before is not None and (bool(before.pending) or before.chunking != config)
    reading = every if rebuild or stale else named
    missing = [k for k in reading if not sources.folder(k).exists()]
    if missing:
        gone = [k for k in missing if k in known]
        hint = f"; `sciqa remove {shown(gone[0])}` drops a source that is gone" if gone else ""
        raise IngestError(f"no such file or folder: {', '.join(map(shown, missing))}{hint}")
    previous = {} if before is None or rebuild else before.files
    owner_before = sources.owners(previous, known or every)
    carried = {s for s in previous if owner_before[s] in every and owner_before[s] not in reading}
    held = {s: (str(previous[s].get("sha256", "")), owner_before[s]) for s in carried}
    incumbent = {s: owner_before[s] for s in previous if s not in carried}
    got = read_sources(reading, held=held, incumbent=incumbent, follow_links=follow_links)
    for k in reading:
        has = any(o == k for o in got.owner.values()) or any(
            owner_before.get(s) == k for s in got.unreadable
        )
        if not has:
            why = [f"{s.path}: {s.reason}" for s, i in zip(got.skipped, got.skipped_in) if i == k]
            hint = f"; `sciqa remove {k}` drops this source" if k in known else ""
            raise IngestError(
                shown(
                    f"nothing to ingest under {k} "
                    f"({'; '.join(why) or 'no .txt or .md files'}){hint}"
                )
            )
    if not dry_run:
        # Before anything is written or dropped: what the store holds (a run killed from here on
        # is finished, or redone, from these sources, never the bundled corpus).
        times = {e.path: e.ingested for e in entries or []}
        sources.record(store.dir, [sources.Entry(k, times.get(k)) for k in every])
    report = _sync(
        store, embeddings, settings, every, before, got, carried, owner_before, began, dry_run,
        rebuild,
    )  # fmt: skip
    if not dry_run:
        stamp = sources.now()
        done = set(reading)
        latest = sources.recorded(store.dir) or []
        sources.record(
            store.dir,
            [sources.Entry(e.path, stamp if e.path in done else e.ingested) for e in latest],
        )
    return report


LOW_DISK_BYTES = 32 * 2**20  # after a failed write, less room than this means the disk filled


def _disk_full(e: BaseException, where: Path) -> bool:
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(e).lower()  # Chroma reports SQLite's and the system's words, or neither
    if "disk is full" in text or "no space left" in text:
        return True
    try:  # a full disk can surface as any error; the write that failed may have freed its room
        return shutil.disk_usage(where).free < LOW_DISK_BYTES
    except OSError:
        return False


def _sync(
    store: Store,
    embeddings: Embeddings,
    settings: Settings,
    every: list[str],
    before: Manifest | None,
    got: Read,
    carried: set[str],
    owner_before: dict[str, str],
    began: float,
    dry_run: bool,
    rebuild: bool = False,
) -> IngestReport:
    """Work out what changed against the manifest and, unless ``dry_run``, write it."""
    files, skipped, unreadable = got.files, got.skipped, got.unreadable
    config = chunking_config(settings)
    previous = {} if before is None or rebuild else before.files
    known = previous if before and before.chunking == config else {}
    # Files a killed or failed run was writing: their chunks may not match their entries.
    unfinished = set(before.pending) if before and not rebuild else set()
    # A file ingested before that exists but cannot be read now keeps what the store has of it.
    kept = {
        s
        for s in previous
        if s in unreadable and s not in files and s not in unfinished and s not in carried
    }
    for s in kept:
        i = unreadable[s]
        skipped[i] = Skipped(
            skipped[i].path, f"{skipped[i].reason}; the copy ingested before is kept"
        )
    added = [s for s in files if s not in previous]
    changed = [
        s
        for s in files
        if s in previous and (s in unfinished or known.get(s, {}).get("sha256") != files[s].sha256)
    ]
    unchanged = [s for s in files if s not in added and s not in changed]
    removed = [s for s in previous if s not in files and s not in kept and s not in carried]
    removed += sorted(s for s in unfinished if s not in previous and s not in files)
    root_of = {s: owner_before.get(s, "") for s in removed} | dict(got.owner)
    report: dict[str, Any] = dict(
        added=tuple(added),
        changed=tuple(changed),
        removed=tuple(removed),
        unchanged=tuple(unchanged),
        skipped=tuple(skipped),
        root_of=root_of,
    )
    if dry_run:
        return IngestReport(**report, seconds=time.perf_counter() - began, dry_run=True)

    todo = {s: files[s] for s in added + changed}
    work = bool(todo or removed or rebuild)
    dropped: set[str] = set()  # a rebuild drops everything the old manifest knew of
    if rebuild:
        with contextlib.suppress(SciQAError):  # unreadable: nothing to add
            old = store.manifest()
            dropped = set(old.files) | set(old.pending) if old else set()
    # First, say what this run will touch: those files are pending until done, and the BM25
    # build is unnamed ("") until sealed. A changed file keeps its old entry (its old chunks
    # stay until its new ones are all stored). Each entry says which source it came from.
    entries = {s: v for s, v in previous.items() if s not in removed}
    for s in entries:
        entries[s] = {**entries[s], "root": got.owner.get(s) or owner_before[s]}
    manifest = Manifest(
        store.embedding_model,
        config,
        entries,
        list(every),
        pending=sorted(set(todo) | set(removed) | dropped),
        bm25="" if work else (before.bm25 if before else None),
    )
    manifest.write(store.manifest_path)
    if rebuild:
        store.reset()
    deleted = store.delete_sources(removed)
    gone = set(removed)
    manifest.pending = [s for s in manifest.pending if s not in gone]
    written, more_deleted = write(store, embeddings, settings, manifest, todo, got.owner)
    deleted += more_deleted
    if work or not manifest.bm25 or store.bm25_build() != manifest.bm25:
        manifest.bm25 = store.seal_bm25()  # updated batch by batch: named, not rebuilt
    manifest.pending = []
    manifest.write(store.manifest_path)
    return IngestReport(
        **report,
        chunks_added=written,
        chunks_deleted=deleted,
        seconds=time.perf_counter() - began,
    )
