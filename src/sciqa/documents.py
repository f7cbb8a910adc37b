"""Read files into clean documents that remember where every paragraph sits in the file.

An Amazon Science page, as scraped, is an article followed by a "Related content" section of job
listings (a location line such as ``US, WA, Seattle`` then one long description line). Such a
file becomes one ``article`` document and one ``job`` document per listing. Image file names,
photo credits, "Research areas", inline "Related content" teasers and the image caption that
opens several pages are dropped. Any other ``.txt``/``.md`` file is one ``document``.

Every paragraph keeps its character offsets into the file text, so a quote can always be checked
against the file it came from.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sciqa.schema import Skipped

SUFFIXES = frozenset({".txt", ".md", ".markdown"})
MAX_FILE_BYTES = 20 * 1024 * 1024

_LOCATION = re.compile(r"^[A-Z]{2}(?:, [^,\n]{1,40}){1,2}$")
_IMAGE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg)$", re.IGNORECASE)
_CREDIT = re.compile(r"^Credit: ")
_MARKER_LINES = frozenset({"Research areas", "Related content"})


@dataclass(frozen=True)
class Span:
    """``text == file_text[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Document:
    """A unit of meaning in a file: an article, one job listing, or a whole generic file."""

    source: str
    title: str
    section: str  # "article" | "job" | "document"
    location: str
    paragraphs: tuple[Span, ...]


@dataclass(frozen=True)
class SourceFile:
    """A readable text file with the name it is known by in the store."""

    path: Path
    source: str
    text: str
    sha256: str


def _lines(text: str) -> list[Span]:
    spans, pos = [], 0
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            spans.append(Span(pos + lead, pos + lead + len(stripped), stripped))
        else:
            spans.append(Span(pos, pos, ""))
        pos += len(raw) + 1
    return spans


def _job_section_start(lines: list[Span]) -> int | None:
    """Index of the last "Related content" line that is followed by location/description pairs."""
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].text != "Related content":
            continue
        following = [ln for ln in lines[i + 1 :] if ln.text]
        if following and _LOCATION.match(following[0].text):
            return i
    return None


def _headline_index(lines: list[Span]) -> int:
    """The headline is the first one-line block that reads like a title, not a caption."""
    i = 0
    while i < len(lines):
        if not lines[i].text:
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].text:
            j += 1
        block = lines[i:j]
        if len(block) == 1 and len(block[0].text) <= 150 and not block[0].text.endswith("."):
            return i
        i = j
    return next((k for k, ln in enumerate(lines) if ln.text), 0)


def _article(source: str, lines: list[Span]) -> Document | None:
    head = _headline_index(lines)
    kept: list[Span] = []
    skip_next = False
    for k in range(head, len(lines)):
        line = lines[k]
        if skip_next:
            skip_next = False
            if line.text:
                continue
        if not line.text or _IMAGE.search(line.text) or _CREDIT.match(line.text):
            continue
        if line.text in _MARKER_LINES:
            # An inline "Related content" is followed directly by a teaser for another article.
            skip_next = line.text == "Related content"
            continue
        kept.append(line)
    if not kept:
        return None
    return Document(source, lines[head].text, "article", "", tuple(kept))


def _jobs(source: str, lines: list[Span]) -> list[Document]:
    jobs: list[Document] = []
    seen: set[str] = set()
    content = [ln for ln in lines if ln.text]
    k = 0
    while k < len(content):
        loc = content[k]
        if _LOCATION.match(loc.text) and k + 1 < len(content):
            desc = content[k + 1]
            if desc.text not in seen:  # scraped pages repeat some listings verbatim
                seen.add(desc.text)
                jobs.append(
                    Document(source, f"Job listing, {loc.text}", "job", loc.text, (loc, desc))
                )
            k += 2
        else:
            k += 1
    return jobs


def _generic(source: str, text: str) -> list[Document]:
    paragraphs: list[Span] = []
    for m in re.finditer(r"\S(?:.*\S)?(?:\n[ \t]*\S.*)*", text):
        block = m.group(0).rstrip()
        paragraphs.append(Span(m.start(), m.start() + len(block), block))
    if not paragraphs:
        return []
    title = paragraphs[0].text.split("\n", 1)[0].lstrip("#").strip()[:150]
    return [Document(source, title, "document", "", tuple(paragraphs))]


def parse(source: str, text: str) -> list[Document]:
    """Split one file's text into documents."""
    lines = _lines(text)
    cut = _job_section_start(lines)
    if cut is None:
        return _generic(source, text)
    docs: list[Document] = []
    article = _article(source, lines[:cut])
    if article is not None:
        docs.append(article)
    docs.extend(_jobs(source, lines[cut + 1 :]))
    return docs


def read_file(path: Path, source: str) -> SourceFile | Skipped:
    """Read one file as UTF-8 text, or say why it cannot be used."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Skipped(str(path), f"larger than {MAX_FILE_BYTES // 2**20} MB")
        data = path.read_bytes()
    except OSError as e:
        return Skipped(str(path), f"cannot be read: {e.strerror or e}")
    if not data.strip():
        return Skipped(str(path), "empty")
    if b"\x00" in data[:8192]:
        return Skipped(str(path), "binary, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return Skipped(str(path), f"not UTF-8 text (byte {e.start})")
    return SourceFile(path, source, text, hashlib.sha256(data).hexdigest())


def discover(roots: Iterable[Path]) -> Iterator[tuple[Path, str] | Skipped]:
    """Yield ``(path, source name)`` for every text file under ``roots``, sorted, no symlink loops.

    The source name is the path relative to its root (the file name for a root that is a file).
    """
    for root in roots:
        if not root.exists():
            yield Skipped(str(root), "no such file or folder")
            continue
        if root.is_file():
            yield root, root.name
            continue
        seen_dirs: set[Path] = set()
        for path in sorted(_walk(root, seen_dirs)):
            if path.suffix.lower() in SUFFIXES:
                yield path, path.relative_to(root).as_posix()


def _walk(folder: Path, seen: set[Path]) -> Iterator[Path]:
    try:
        real = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        return
    if real in seen:
        return
    seen.add(real)
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir():
                yield from _walk(entry, seen)
            elif entry.is_file() or entry.is_symlink():
                yield entry  # a looping or dangling link is reported by read_file
        except OSError:
            continue
