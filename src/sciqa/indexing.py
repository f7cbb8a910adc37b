"""Ingest: add, update and remove the store's sources, doing only the work that changed.

A store holds sources (folders or files, and the bundled corpus; ``sources.py``). An ingest
reads the sources it is given, and keeps the others as they are: it makes the store mirror each
source it read (a file gone from that folder is removed), adds a source the store did not hold,
and leaves the files of the other sources untouched. With no source named it reads them all.
``remove`` drops sources and their chunks.

Each file is identified by its source name (its path inside its folder) and content hash.
Unchanged files are skipped, a changed file's chunks are replaced, a removed file's chunks are
deleted. A file whose name or content another source already holds is skipped and named (file
names are the store's ids: the first source keeps its file). Chunks are embedded and written in
batches that span files (one model call, one upsert per batch); the manifest is updated after
each batch with the files it finished, so an interrupted ingest resumes where it stopped. A
changed file's old chunks are deleted only once its new ones are all stored, so the store keeps
answering from the old version if the run is killed or the disk fills. A file ingested before
that cannot be read now (an I/O error, a file being rewritten) keeps its chunks.

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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from langchain_core.embeddings import Embeddings

from sciqa import sources
from sciqa.chunking import TOKENIZER, Chunk, chunk_documents
from sciqa.documents import SourceFile, discover, parse, read_file, shown
from sciqa.embeddings import embed_array
from sciqa.errors import IngestError, SciQAError, StoreError
from sciqa.schema import IngestReport, Skipped
from sciqa.settings import Settings
from sciqa.store import Manifest, Store, index_text, read_only, read_only_error

# 2: a job listing is titled with its role ("Applied Scientist · IL, Haifa"); 3: offsets index
# the text as open() reads it (a BOM kept, CRLF read as LF), so such files are chunked again
PARSER_VERSION = 3

T = TypeVar("T")
log = logging.getLogger("sciqa")


def chunking_config(settings: Settings) -> dict[str, object]:
    return {
        "tokenizer": TOKENIZER,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "parser": PARSER_VERSION,
    }


class Read:
    """The usable files of the sources read, the source each came from, and what was skipped
    (with the source each skip belongs to)."""

    def __init__(self) -> None:
        self.files: dict[str, SourceFile] = {}
        self.owner: dict[str, str] = {}
        self.skipped: list[Skipped] = []
        self.skipped_in: list[str] = []
        # source name of each file that exists but cannot be used -> its index in ``skipped``
        self.unreadable: dict[str, int] = {}


def read_sources(
    keys: Sequence[str],
    *,
    held: Mapping[str, tuple[str, str]] | None = None,
    incumbent: Mapping[str, str] | None = None,
    follow_links: bool = False,
) -> Read:
    """Every usable file of the sources ``keys`` (``sources.key`` form), by source name.

    ``held`` maps the name of each file other sources keep to (sha256, source): a file of the
    same name or content is skipped. Within ``keys``, a file keeps its name if ``incumbent``
    says it came from the same source last time; the others go first come, first served. A file
    that exists but cannot be used (empty, binary, too large, not UTF-8, not a regular file, an
    I/O error) is also noted in ``unreadable``. A link that leaves its folder is skipped unless
    ``follow_links`` (and is not "unreadable": what the store has of it is removed).
    """
    held, incumbent = held or {}, incumbent or {}
    found: list[tuple[str, str, SourceFile | Skipped]] = []  # (source, file name, read)
    for k in keys:
        for item in discover([sources.folder(k)], follow_links=follow_links):
            if isinstance(item, Skipped):
                found.append((k, "", item))
            else:
                found.append((k, item[1], read_file(*item)))

    def challenger(i: int) -> bool:  # False (first) for a file its source held last time
        k, name, read = found[i]
        return not (isinstance(read, SourceFile) and incumbent.get(name) == k)

    names = {name: src for name, (_, src) in held.items()}
    by_hash = {sha: (name, src) for name, (sha, src) in held.items()}
    decided: dict[int, Skipped] = {}
    out = Read()
    for i in sorted(range(len(found)), key=challenger):  # stable: else in discovery order
        k, name, read = found[i]
        if isinstance(read, Skipped):
            decided[i] = read
        elif read.sha256 in by_hash:
            other, src = by_hash[read.sha256]
            decided[i] = Skipped(str(read.path), f"same content as {other}{_in(src, k)}")
        elif name in names or name in out.files:
            src = names.get(name) or out.owner[name]
            why = f"another file is already named {name!r}{_in(src, k)}"
            decided[i] = Skipped(str(read.path), why)
        else:
            out.files[name] = read
            out.owner[name] = k
            by_hash[read.sha256] = (name, k)
    for i, (k, name, read) in enumerate(found):
        if i in decided:
            if isinstance(read, Skipped) and name:  # exists, cannot be used
                out.unreadable[name] = len(out.skipped)
            out.skipped.append(decided[i])
            out.skipped_in.append(k)
    return out


def _in(source: str, reading: str) -> str:
    """ " in SOURCE" when a clash is with another source than the one being read."""
    return "" if source == reading else f" in {shown(source)}"


def read_all(
    roots: Sequence[Path], *, follow_links: bool = False
) -> tuple[dict[str, SourceFile], list[Skipped]]:
    """Every usable file under ``roots`` by source name, and the files skipped with why."""
    got = read_sources([str(sources.absolute(r)) for r in roots], follow_links=follow_links)
    return got.files, got.skipped


def chunk_file(file: SourceFile, settings: Settings) -> list[Chunk]:
    docs = parse(file.source, file.text)
    return chunk_documents(docs, settings.chunk_tokens, settings.chunk_overlap)


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
        return _guarded(
            store,
            settings,
            lambda: _ingest(
                store, embeddings, settings, named, default, False, rebuild, follow_links, began
            ),
        )


def _guarded(store: Store, settings: Settings, write: Callable[[], T]) -> T:
    """Run ``write`` (holding the ingest lock), its failures said in words one can act on."""
    try:
        return write()
    except SciQAError:
        raise
    except Exception as e:
        if _disk_full(e, store.dir):
            raise StoreError(
                f"the disk holding {settings.home} is full ({_short(e)}). Free some space, "
                "then run `sciqa ingest` again to finish: nothing was lost, the store answers "
                "as it did before, with the files finished before the disk filled"
            ) from e
        if read_only(e):
            raise read_only_error(store.dir, e) from e
        if type(e).__module__.startswith("chromadb"):
            raise StoreError(
                f"Chroma could not write to the store at {store.dir} ({_short(e)}). Nothing "
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
            raise IngestError(
                shown(f"nothing to ingest under {k} ({'; '.join(why) or 'no .txt or .md files'})")
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


def _short(e: BaseException, limit: int = 160) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    # index is stale ("") until rebuilt. A changed file keeps its old entry (its old chunks
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
    written, more_deleted = _write(store, embeddings, settings, manifest, todo, got.owner)
    deleted += more_deleted
    if work or not manifest.bm25 or store.bm25_build() != manifest.bm25:
        manifest.bm25 = store.rebuild_bm25()
    manifest.pending = []
    manifest.write(store.manifest_path)
    return IngestReport(
        **report,
        chunks_added=written,
        chunks_deleted=deleted,
        seconds=time.perf_counter() - began,
    )


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
        m.bm25 = store.rebuild_bm25()
        gone = set(dropped)
        m.pending = [s for s in m.pending if s not in gone]
        m.write(store.manifest_path)
        return report(dropped, owned, deleted)

    with store.ingest_lock():
        return _guarded(store, store.settings, write)


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


def _write(
    store: Store,
    embeddings: Embeddings,
    settings: Settings,
    manifest: Manifest,
    todo: dict[str, SourceFile],
    owner: Mapping[str, str],
) -> tuple[int, int]:
    """Chunk, embed and store ``todo`` in batches of ``settings.ingest_batch`` chunks that may
    span files; returns (chunks written, old chunks deleted).

    A batch is one embedding call and one upsert. When a file's last chunk is stored, the chunks
    its previous version left are deleted, its entry is updated and it leaves ``pending`` (the
    manifest is written once per batch), so a run stopped at any point is continued by the next.
    """
    written = deleted = 0
    pending: list[Chunk] = []
    left: dict[str, int] = {}  # chunks of a started file not stored yet
    new_ids: dict[str, set[str]] = {}  # ids of the chunks of each started file
    done: list[str] = []  # files wholly stored since the manifest was last written

    def flush() -> None:
        nonlocal written, deleted, pending
        if pending:
            texts = [index_text(c.title, c.text) for c in pending]
            store.add(pending, embed_array(embeddings, texts))
            written += len(pending)
            for c in pending:
                left[c.source] -= 1
                if not left[c.source]:
                    del left[c.source]
                    done.append(c.source)
            bars.chunks(len(pending))
        if done:
            # what the previous version (or an interrupted run) left of these files
            deleted += store.delete_stale({s: new_ids.pop(s) for s in done})
            for source in done:
                manifest.files[source] = {
                    "sha256": todo[source].sha256,
                    "chunks": chunk_counts[source],
                    "root": owner[source],
                }
            finished = set(done)
            manifest.pending = [s for s in manifest.pending if s not in finished]
            manifest.write(store.manifest_path)
            bars.files(len(done))
            done.clear()
        pending = []

    batch = settings.ingest_batch
    chunk_counts: dict[str, int] = {}
    with _Progress(len(todo), settings.progress) as bars:
        for source, file in todo.items():
            chunks = chunk_file(file, settings)
            chunk_counts[source] = len(chunks)
            new_ids[source] = {c.id for c in chunks}
            if not chunks:
                done.append(source)
                continue
            left[source] = len(chunks)
            for chunk in chunks:
                pending.append(chunk)
                if len(pending) >= batch:
                    flush()
        flush()
    return written, deleted


class _Progress:
    """Two bars on stderr: files finished (of all to do) and chunks embedded; or nothing."""

    def __init__(self, files: int, enabled: bool) -> None:
        self._bars: list[Any] = []
        if enabled and files:
            from tqdm import tqdm

            self._bars = [
                tqdm(total=files, desc="Ingesting files", unit="file", leave=False, position=0),
                tqdm(desc="Embedding chunks", unit="chunk", leave=False, position=1),
            ]

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        for bar in reversed(self._bars):
            bar.close()

    def files(self, n: int) -> None:
        if self._bars:
            self._bars[0].update(n)

    def chunks(self, n: int) -> None:
        if self._bars:
            self._bars[1].update(n)
