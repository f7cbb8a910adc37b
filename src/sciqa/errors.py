"""Errors sciqa raises on purpose, each with a message that says what to do.

    SciQAError
     ├── ConfigError        a setting is missing or invalid (unknown provider, no API key)
     ├── QuestionError      the question is empty or too long
     ├── IngestError        a path to ingest is missing or has nothing readable; a path
     │                      to remove is not a source
     ├── StoreError         the vector store cannot be used as it is (corrupt, disk full)
     │    ├── StoreMismatchError   built with another embedding model
     │    ├── StoreLockedError     another process is writing to it
     │    └── StoreReadOnlyError   its files cannot be written (Chroma writes even to answer)
     └── ModelError         a model server failed or could not be reached

The CLI turns any of these into one line on stderr and a non-zero exit; the UI shows the
message in the page. Anything else escaping sciqa is a bug.
"""

from __future__ import annotations


class SciQAError(Exception):
    """Base class: a failure the user can act on; ``str(error)`` says how."""


class ConfigError(SciQAError):
    """A setting is missing or invalid."""


class QuestionError(SciQAError, ValueError):
    """The question cannot be answered as given (empty, blank, too long)."""


class IngestError(SciQAError):
    """The documents to ingest cannot be read."""


class StoreError(SciQAError):
    """The vector store is missing, corrupt or locked."""


class StoreMismatchError(StoreError):
    """The store was built with settings that the current ones cannot query."""


class StoreLockedError(StoreError):
    """Another process (an ingest, a database browser) holds the store's lock."""


class StoreReadOnlyError(StoreError):
    """The store's files or folder cannot be written: a read-only folder, file or disk."""


class ModelError(SciQAError):
    """A language or embedding model failed, or its server could not be reached.

    ``endpoint`` is the server's base URL and ``reason`` a few words on what went wrong
    ("could not connect", "HTTP 500"), when known: what the offline fallback's notice says.
    """

    def __init__(self, message: str, *, endpoint: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.reason = reason
