"""The sources a store is built from: a journal of the folders and files it mirrors.

``<home>/store/sources.json`` holds the absolute paths the last ingest was given::

    {"version": 1, "roots": ["/home/me/papers", "/home/me/notes/todo.md"]}

An ingest writes it (atomically, holding the ingest lock) before it writes the manifest or
drops anything, and nothing else deletes it: ``Store.reset`` keeps it, and it is not the
manifest. So a store killed at any point (mid ``--rebuild``, mid first ingest) or whose
``manifest.json`` was deleted is rebuilt, by ``sciqa ingest`` or the next ``sciqa ask``, from the
user's documents. Only a store that never recorded a source is filled with the configured or
bundled corpus.

``recorded`` tells "never recorded" (None) from an empty list, so that removing every source
(issue 14: ``sciqa sources``, ``sciqa remove``) can be recorded too.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from sciqa.errors import StoreError
from sciqa.store import _atomic_write

SOURCES_VERSION = 1


def journal_path(store_dir: Path) -> Path:
    return store_dir / "sources.json"


def absolute(path: str | Path) -> Path:
    """``path`` as recorded: ``~`` expanded, made absolute against the working folder, and
    ``..`` folded away (symbolic links are kept as the user named them)."""
    return Path(os.path.abspath(Path(path).expanduser()))


def recorded(store_dir: Path) -> list[Path] | None:
    """The roots the store was last built from, or None if it never recorded any."""
    path = journal_path(store_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        roots = data["roots"]
        if not isinstance(roots, list) or not all(
            isinstance(r, str) and Path(r).is_absolute() for r in roots
        ):
            raise ValueError("'roots' is not a list of absolute paths")
        return [Path(r) for r in roots]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as e:
        raise StoreError(
            f"the list of the store's sources {path} is unreadable ({e}); run `sciqa ingest` "
            "with the folders to index (for example `sciqa ingest ~/papers`) to write it again"
        ) from e


def record(store_dir: Path, roots: Sequence[Path]) -> None:
    """Say, before anything is written or dropped, that the store mirrors ``roots``."""
    roots = [absolute(r) for r in roots]
    with contextlib.suppress(StoreError):  # unreadable: written again below
        if recorded(store_dir) == roots:
            return  # unchanged: no write (and no fsync) for every ingest
    text = json.dumps({"version": SOURCES_VERSION, "roots": [str(r) for r in roots]}, indent=1)
    _atomic_write(journal_path(store_dir), text + "\n")
