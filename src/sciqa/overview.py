"""What a store holds, for a page that describes it: its documents and job listings."""

from __future__ import annotations

from dataclasses import dataclass

from sciqa.store import Store


@dataclass(frozen=True)
class Overview:
    """What the store holds, for a page that describes it (:meth:`Pipeline.overview`)."""

    build: str | None  # the finished store build described (None: none yet, or unreadable)
    documents: tuple[tuple[str, str], ...] = ()  # (source, title) of each non-listing, by source
    listings: tuple[tuple[str, str, str], ...] = ()  # (source, title, location) per job listing


def describe(store: Store, build: str | None) -> Overview:
    """Read the documents and job listings of ``store`` (one pass over its metadata)."""
    got = store.collection.get(include=["metadatas"])
    documents: dict[str, str] = {}
    listings: dict[tuple[str, str], str] = {}
    for meta in got["metadatas"] or []:
        source, title = str(meta.get("source", "")), str(meta.get("title", ""))
        if meta.get("section") == "job":
            listings[(source, title)] = str(meta.get("location") or "")
        else:
            documents.setdefault(source, title or source)
    return Overview(
        build,
        tuple(sorted(documents.items())),
        tuple((source, title, at) for (source, title), at in listings.items()),
    )
