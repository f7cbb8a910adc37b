"""The store's journal: the manifest, the atomic writes that keep it whole, the ingest lock.

``<home>/store/manifest.json`` holds the embedding model, chunker settings, tokenizer and each
ingested file's hash. It is written first and last, atomically: before an ingest touches a
file's chunks it lists the file under ``pending``, and only when the file's new chunks are all
stored (its old ones deleted after) does the file's entry change and leave ``pending``; ``bm25``
names the BM25 build (``sparse.py``) that matches the collection. So a run killed at any point
leaves a manifest that says what may be out of step, and the next ingest redoes exactly that.
One ingest writes at a time (``ingest.lock``, released by the system if the process dies).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sciqa.errors import StoreError, StoreLockedError

MANIFEST_VERSION = 1


@dataclass
class Manifest:
    embedding_model: str
    chunking: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    version: int = MANIFEST_VERSION
    # Files an unfinished ingest may have written or deleted chunks of: not to be trusted.
    pending: list[str] = field(default_factory=list)
    # The BM25 build that matches the collection; "" while an ingest changes it; None: unknown
    # (stores written before this field), checked by counting chunks instead.
    bm25: str | None = None

    @classmethod
    def read(cls, path: Path) -> Manifest | None:
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**data)
            if not isinstance(manifest.files, dict) or not isinstance(manifest.pending, list):
                raise ValueError("'files' or 'pending' has the wrong type")
            return manifest
        except (OSError, ValueError, TypeError) as e:
            raise StoreError(
                f"the store manifest {path} is unreadable ({e}); "
                "run `sciqa ingest --rebuild` to rebuild the store from the documents"
            ) from e

    def write(self, path: Path) -> None:
        # compact: json's C encoder does not indent, and this is rewritten after every batch
        atomic_write(path, json.dumps(self.__dict__, sort_keys=True, separators=(",", ":")))

    def copy(self) -> Manifest:
        """A copy whose ``files`` and ``pending`` can be changed without touching this one."""
        return Manifest(
            **{**self.__dict__, "files": dict(self.files), "pending": list(self.pending)}
        )


class ManifestFile:
    """The manifest at ``path``, parsed again only when the file changes (every ask reads it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cached: tuple[tuple[int, int, int], Manifest | None] | None = None

    def read(self) -> Manifest | None:
        """A copy of the manifest on disk (callers such as an ingest change it), or None."""
        try:
            st = self.path.stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)  # replaced, never edited in place
        except FileNotFoundError:
            return None
        if self._cached is None or self._cached[0] != stamp:
            self._cached = (stamp, Manifest.read(self.path))
        m = self._cached[1]
        return None if m is None else m.copy()

    @property
    def stamp(self) -> tuple[int, int, int] | None:
        """Which version of the file the last :meth:`read` parsed (None before any)."""
        return self._cached[0] if self._cached else None


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file beside it, synced, then
    renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def ingest_lock(store_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the store in ``store_dir`` for one ingest, across processes (the system releases it
    if the process dies); wait ``timeout`` seconds for another ingest to finish."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no lock across processes
        yield
        return
    store_dir.mkdir(parents=True, exist_ok=True)
    with open(store_dir / "ingest.lock", "a+", encoding="utf-8") as f:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    f.seek(0)
                    holder = f.read().strip()
                    raise StoreLockedError(
                        f"another ingest (process {holder or '?'}) is writing to the store "
                        f"at {store_dir}; wait for it to finish, then try again "
                        "(SCIQA_LOCK_TIMEOUT sets how long to wait)"
                    ) from None
                time.sleep(0.1)
        try:
            f.seek(0)
            f.truncate()
            f.write(str(os.getpid()))
            f.flush()
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
