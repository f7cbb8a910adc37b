"""Read files into clean documents that remember where every paragraph sits in the file.

An Amazon Science page, as scraped, is an article followed by a "Related content" section of job
listings (a location line such as ``US, WA, Seattle`` then one long description line). Such a
file becomes one ``article`` document and one ``job`` document per listing, titled with the role
its description names and its location line ("Applied Scientist · IL, Tel Aviv"; see
:func:`~sciqa.roles.job_role`). Image file names,
photo credits, "Research areas", inline "Related content" teasers and the image caption that
opens several pages are dropped. Any other ``.txt``/``.md`` file is one ``document``.

Every paragraph keeps its character offsets into the file text, so a quote can always be checked
against the file it came from.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sciqa.roles import job_role, job_title
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
    following = ""  # the first non-empty line after line i (one pass: a file of many
    for i in range(len(lines) - 1, -1, -1):  # "Related content" lines took minutes)
        if lines[i].text == "Related content" and _LOCATION.match(following):
            return i
        following = lines[i].text or following
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
                title = job_title(job_role(desc.text), loc.text)
                jobs.append(Document(source, title, "job", loc.text, (loc, desc)))
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
    """Split one file's text into documents.

    A BOM that opens the text is read as a space: offsets stay those of ``text``.
    """
    if text.startswith("\ufeff"):
        text = " " + text[1:]
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


# The reason a link that leaves the ingested folder is skipped, as the ingest report prints it.
OUTSIDE = "links outside the folder; --follow-links to include"


def read_file(path: Path, source: str, limit: int = MAX_FILE_BYTES) -> SourceFile | Skipped:
    """Read one regular file as UTF-8 text, or say why it cannot be used.

    Never reads more than ``limit`` + 1 bytes (a file's size is not trusted: a file in /proc says
    0), and opens nothing but a regular file: a device, a FIFO or a socket is named and skipped
    before it is opened (opening some devices acts; reading a FIFO waits for a writer). The text
    is what ``open(path, encoding="utf-8").read()`` returns (a BOM kept as U+FEFF, CRLF and CR
    read as LF), so a quote's offsets index the file as Python reads it.
    """
    try:
        kind = _not_regular(os.stat(path).st_mode)
        if kind:
            return Skipped(str(path), _not_regular_reason(path, kind))
        # O_NONBLOCK: were the file swapped for a FIFO since the stat, opening it cannot block.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as f:
            kind = _not_regular(os.fstat(f.fileno()).st_mode)
            if kind:
                return Skipped(str(path), _not_regular_reason(path, kind))
            data = f.read(limit + 1)
    except OSError as e:
        return Skipped(str(path), f"cannot be read: {e.strerror or e}")
    if len(data) > limit:
        return Skipped(str(path), f"larger than {limit / 2**20:g} MB")
    if not data.strip():
        return Skipped(str(path), "empty")
    if b"\x00" in data[:8192]:
        return Skipped(str(path), "binary, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return Skipped(str(path), f"not UTF-8 text (byte {e.start})")
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as open() reads it
    return SourceFile(path, source, text, hashlib.sha256(data).hexdigest())


def _not_regular(mode: int) -> str:
    """What a file that is not a regular file is ("a FIFO"), or "" for a regular file."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular_reason(path: Path, kind: str) -> str:
    if path.is_symlink():
        return f"links to {os.path.realpath(path)}, {kind}, not a regular file"
    return f"{kind}, not a regular file"


def shown(name: str) -> str:
    """A file name as it can be printed on one line: control characters (a newline in a name)
    and undecodable bytes are written as escapes ("a\\nb"), so a name cannot fake a line of
    a report."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def discover(
    roots: Iterable[Path], *, follow_links: bool = False
) -> Iterator[tuple[Path, str] | Skipped]:
    """Yield ``(path, source name)`` for every text file under ``roots``, sorted, no symlink loops.

    The source name is the path relative to its root (the file name for a root that is a file).
    A symbolic link under a folder that leads out of it (``passwd.txt -> /etc/passwd``, a link
    to another folder) is skipped and named, unless ``follow_links``; a link that stays inside
    the folder is read like any file. A root is read wherever it leads: it was asked for.
    """
    for root in roots:
        if not root.exists():
            yield Skipped(str(root), "no such file or folder")
            continue
        if not root.is_dir():
            yield root, root.name  # read_file says if it is not a regular file
            continue
        inside = None if follow_links else root.resolve()
        seen_dirs: set[Path] = set()
        found = _walk(root, seen_dirs, inside)
        for item in sorted(found, key=lambda f: Path(f.path) if isinstance(f, Skipped) else f):
            if isinstance(item, Skipped):
                yield item
            elif item.suffix.lower() in SUFFIXES:
                yield item, item.relative_to(root).as_posix()


def _walk(folder: Path, seen: set[Path], inside: Path | None) -> Iterator[Path | Skipped]:
    """Every entry under ``folder`` but folders; a link that leaves ``inside`` (when given) is
    a :class:`Skipped` if it leads to a folder or has a text file's suffix."""
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
            if inside is not None and entry.is_symlink() and not _within(entry, inside):
                if entry.is_dir() or entry.suffix.lower() in SUFFIXES:
                    yield Skipped(str(entry), OUTSIDE)
            elif entry.is_dir():
                yield from _walk(entry, seen, inside)
            else:
                yield entry  # read_file reports a dangling link, a device, a FIFO
        except OSError:
            continue


def _within(link: Path, folder: Path) -> bool:
    """Whether ``link``, followed to the end, stays in ``folder``."""
    try:
        return link.resolve().is_relative_to(folder)
    except (OSError, RuntimeError):  # a loop leads nowhere: read_file says it cannot be read
        return True
