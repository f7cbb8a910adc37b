"""How a chunk is kept in Chroma and read back: its metadata, the text that is embedded and
indexed for it, and the ``Passage`` a stored row becomes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sciqa.schema import Passage

if TYPE_CHECKING:
    from sciqa.chunking import Chunk


def metadata(c: Chunk) -> dict[str, str | int]:
    """What Chroma keeps beside a chunk's text and vector."""
    return {
        "source": c.source,
        "title": c.title,
        "section": c.section,
        "location": c.location,
        "start": c.start,
        "end": c.end,
        "spans": json.dumps(c.spans),
    }


def passages_of(got: Any) -> list[Passage]:
    """The chunks a ``collection.get`` returned as ``Passage`` s (score 0: not retrieved)."""
    return [
        Passage(
            chunk_id=cid,
            text=doc or "",
            source=str(meta["source"]),
            title=str(meta["title"]),
            section=str(meta["section"]),
            location=str(meta.get("location", "")),
            start=int(meta["start"]),
            end=int(meta["end"]),
            spans=tuple(tuple(s) for s in json.loads(str(meta["spans"]))),
            score=0.0,
        )
        for cid, doc, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [])
    ]


def index_text(title: str, text: str) -> str:
    """What is embedded and indexed for a chunk: its document title gives it context."""
    return f"{title}\n{text}" if title else text
