"""Which files of which sources an ingest reads, and which it skips and why.

A file is known in the store by its source name (its path inside its folder; a file given
alone: its name), so two sources cannot both hold a file of one name, nor the same text twice:
the file a source held last time keeps its place, then first come, first served.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sciqa import sources
from sciqa.documents import SourceFile, discover, read_file, shown
from sciqa.schema import Skipped


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
