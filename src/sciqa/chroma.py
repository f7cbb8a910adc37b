"""Opening Chroma: the embedded store under ``<home>/store/chroma`` or a server
(SCIQA_CHROMA_URL), with errors that say what to do when it cannot be opened or written.

Chroma writes to its SQLite file whenever it opens a store, even to answer, and waits for as
long as another process holds a write lock on it: :func:`connect` fails after
``settings.lock_timeout`` seconds instead.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sciqa.errors import StoreError, StoreLockedError, StoreReadOnlyError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from sciqa.settings import Settings


def _check_unlocked(db: Path, wait: float) -> None:
    """Fail, after ``wait`` seconds, if another process holds a write lock on Chroma's SQLite file.

    Chroma itself would wait for as long as the lock is held (it writes when it opens a store).
    """
    if not db.exists():
        return
    try:
        con = sqlite3.connect(db, timeout=wait, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
        finally:
            con.close()
    except sqlite3.OperationalError as e:
        if "locked" not in str(e) and "busy" not in str(e):
            return  # not a lock (a corrupt file, say): Chroma says what it is
        raise StoreLockedError(
            f"the store at {db.parent.parent} is locked by another process (waited {wait:g}s): "
            f"another `sciqa ingest`, or a program that has {db} open, is writing to it. Wait "
            "for it to finish or close that program, then try again (SCIQA_LOCK_TIMEOUT sets "
            "the wait)"
        ) from e
    except sqlite3.DatabaseError:
        return  # corrupt: Chroma says so when it opens the file


def read_only(e: BaseException) -> bool:
    """Whether ``e`` says the store cannot be written: SQLite's "attempt to write a readonly
    database" (which Chroma passes on inside its own error types), or a read-only disk."""
    if isinstance(e, OSError) and e.errno == errno.EROFS:
        return True
    text = str(e).lower()
    return "readonly database" in text or "read-only file system" in text


def read_only_error(where: object, e: BaseException) -> StoreReadOnlyError:
    """The error for a store that cannot be written, saying so (it is not corrupt)."""
    reason = " ".join(str(e).split())[:200] or type(e).__name__
    return StoreReadOnlyError(
        f"the store at {where} is read-only ({reason}); Chroma writes to it whenever it opens "
        "it, even to answer. Nothing is wrong with the store: make it writable for this user, "
        "or set SCIQA_HOME to a folder you can write to"
    )


def set_aside(settings: Settings) -> Path:
    """Move an embedded store that cannot be opened out of the way (kept, not deleted), so that
    ``sciqa ingest --rebuild`` can build a new one; returns where it went."""
    if settings.chroma_url:
        raise StoreError(
            f"the Chroma server at {settings.chroma_url} cannot be used; repair or restart it "
            "(sciqa does not delete a server's data)"
        )
    from chromadb.api.client import SharedSystemClient

    target = settings.home / f"store.unreadable-{time.strftime('%Y%m%d-%H%M%S')}"
    os.replace(settings.store_dir, target)
    SharedSystemClient.clear_system_cache()  # forget the client that failed on the old files
    return target


def connect(settings: Settings) -> ClientAPI:
    """The Chroma client for ``settings``: an HTTP client to ``chroma_url``, else a persistent
    one under ``<home>/store/chroma``; an error that says what to do when it cannot be opened."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            from urllib.parse import urlparse

            url = urlparse(settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or 8000,
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        path = settings.store_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        _check_unlocked(path / "chroma.sqlite3", settings.lock_timeout)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except StoreError:
        raise
    except Exception as e:  # chromadb raises many types for a bad path or server
        where = settings.chroma_url or str(settings.store_dir / "chroma")
        if "disk is full" in str(e) or "No space left" in str(e):
            raise StoreError(
                f"the disk holding {where} is full, and Chroma needs some room to open the "
                "store: free some space and try again (the store itself is intact)"
            ) from e
        if read_only(e):
            raise read_only_error(where, e) from e
        if isinstance(e, OSError) and not settings.chroma_url:
            raise StoreError(
                f"cannot create the store at {where}: {e.strerror or e}. Check that SCIQA_HOME "
                f"({settings.home}) is a folder you can write to"
            ) from e
        raise StoreError(
            f"cannot open the Chroma store at {where}: {e}. If it is corrupt, run "
            "`sciqa ingest --rebuild`"
        ) from e
