"""The sources a store is built from: a journal of the folders and files it holds.

``<home>/store/sources.json`` lists each source once, oldest first, with when an ingest of it
last finished::

    {"version": 2, "sources": [
      {"path": "bundled", "ingested": "2026-12-01T05:30:00Z"},
      {"path": "/home/me/papers", "ingested": null}]}

A source is a folder or a file, by its absolute path, or ``bundled``: the corpus shipped with
sciqa, wherever this installation keeps it (a reinstall moves it; the name stays). ``ingested``
is null until an ingest of that source finishes. Version 1 held ``{"roots": [paths]}``: it is
read as sources never timed (the bundled corpus's path read as ``bundled``).

An ingest or a removal writes it (atomically, holding the ingest lock) before it writes the
manifest or drops anything, and nothing else deletes it: ``Store.reset`` keeps it, and it is not
the manifest. So a store killed at any point (mid ``--rebuild``, mid first ingest, mid
``sciqa remove``) or whose ``manifest.json`` was deleted is rebuilt, by ``sciqa ingest`` or the
next ``sciqa ask``, from the user's sources. Only a store that never recorded a source is filled
with the configured or bundled corpus; one whose sources were all removed records an empty list
and stays empty.

Which source each file came from is in the manifest (``files[name]["root"]``, the source's
``path`` as here); ``owners`` works it out for entries written before that field.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sciqa.errors import StoreError
from sciqa.manifest import Manifest, atomic_write
from sciqa.resources import default_corpus

SOURCES_VERSION = 2
BUNDLED = "bundled"  # the name of the corpus shipped with sciqa, on the command line and here


@dataclass(frozen=True)
class Entry:
    """One source as the journal holds it: ``bundled`` or an absolute path, and the UTC time
    (ISO 8601) an ingest of it last finished, None if none has."""

    path: str
    ingested: str | None = None


def journal_path(store_dir: Path) -> Path:
    return store_dir / "sources.json"


def absolute(path: str | Path) -> Path:
    """``path`` as recorded: ``~`` expanded, made absolute against the working folder, and
    ``..`` folded away (symbolic links are kept as the user named them)."""
    return Path(os.path.abspath(Path(path).expanduser()))


def key(path: str | Path) -> str:
    """How a source given by the user is recorded: the string ``"bundled"`` (not a ``Path``
    of that name: ``./bundled`` is a folder) and the bundled corpus's own folder are
    ``bundled``; anything else is its absolute path."""
    if isinstance(path, str) and path == BUNDLED:
        return BUNDLED
    full = absolute(path)
    return BUNDLED if full == bundled_folder() else str(full)


def bundled_folder() -> Path:
    return absolute(default_corpus())


def folder(source: str) -> Path:
    """Where a recorded source's files are read from."""
    return bundled_folder() if source == BUNDLED else Path(source)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def recorded(store_dir: Path) -> list[Entry] | None:
    """The sources the store holds, oldest first, or None if it never recorded any."""
    path = journal_path(store_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version", 1) == 1:
            entries = [Entry(key(Path(r)), None) for r in _absolute_paths(data["roots"])]
        else:
            items = data["sources"]
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ValueError("'sources' is not a list of objects")
            _absolute_paths([i["path"] for i in items if i["path"] != BUNDLED])
            entries = [Entry(str(i["path"]), _time(i.get("ingested"))) for i in items]
        return _unique(entries)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
        raise StoreError(
            f"the list of the store's sources {path} is unreadable ({e}); run `sciqa ingest` "
            "with the folders to index (for example `sciqa ingest ~/papers`) to write it again"
        ) from e


def _absolute_paths(values: Any) -> list[str]:
    if not isinstance(values, list) or not all(
        isinstance(r, str) and Path(r).is_absolute() for r in values
    ):
        raise ValueError("not a list of absolute paths")
    return values


def _time(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"'ingested' is {value!r}, not a time")
    return value


def _unique(entries: Iterable[Entry]) -> list[Entry]:
    seen: dict[str, Entry] = {}
    for e in entries:
        seen.setdefault(e.path, e)
    return list(seen.values())


def record(store_dir: Path, entries: Sequence[Entry]) -> None:
    """Say, before anything is written or dropped, that the store holds ``entries``."""
    entries = _unique(entries)
    with contextlib.suppress(StoreError):  # unreadable: written again below
        if recorded(store_dir) == entries:
            return  # unchanged: no write (and no fsync)
    items = [{"path": e.path, "ingested": e.ingested} for e in entries]
    text = json.dumps({"version": SOURCES_VERSION, "sources": items}, indent=1)
    atomic_write(journal_path(store_dir), text + "\n")


def owners(files: Mapping[str, Mapping[str, Any]], sources: Sequence[str]) -> dict[str, str]:
    """The source each manifest entry came from: its ``root``, or for an entry written before
    that field, the first of ``sources`` that holds a file of that name (else "": no source
    holds it now, and the next ingest removes it)."""
    owned: dict[str, str] = {}
    for name, entry in files.items():
        root = entry.get("root")
        if isinstance(root, str):
            owned[name] = root
            continue
        for s in sources:
            where = folder(s)
            if (where / name).exists() if where.is_dir() else where.name == name:
                owned[name] = s
                break
        else:
            owned[name] = ""
    return owned


@dataclass(frozen=True)
class Summary:
    """What ``sciqa sources`` shows of one source."""

    source: str  # "bundled" or an absolute path
    path: str  # where its files are read from
    kind: str  # "bundled", "folder", "file", or "missing"
    files: int
    chunks: int
    ingested: str | None
    unfinished: int  # files an interrupted ingest left to redo

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def summarize(store_dir: Path) -> list[Summary]:
    """Every source of the store with its files and chunks (from the manifest), oldest first.
    A store that never recorded a source has none."""
    entries = recorded(store_dir) or []
    manifest = Manifest.read(store_dir / "manifest.json")
    files = manifest.files if manifest else {}
    pending = set(manifest.pending) if manifest else set()
    owned = owners(files, [e.path for e in entries])
    out = []
    for e in entries:
        mine = [n for n, s in owned.items() if s == e.path]
        where = folder(e.path)
        kind = (
            BUNDLED
            if e.path == BUNDLED
            else "folder"
            if where.is_dir()
            else "file"
            if where.exists()
            else "missing"
        )
        out.append(
            Summary(
                source=e.path,
                path=str(where),
                kind=kind,
                files=len(mine),
                chunks=sum(int(files[n].get("chunks", 0)) for n in mine),
                ingested=e.ingested,
                unfinished=len([n for n in mine if n in pending]),
            )
        )
    return out
