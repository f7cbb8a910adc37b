import pytest

from sciqa.chunking import chunk_documents, count_tokens, encoding
from sciqa.documents import Span, parse
from sciqa.text import split_sentences

from .conftest import CORPUS


def test_tokenizer_is_cl100k_and_offline() -> None:
    assert encoding().encode("hello world") == [15339, 1917]  # cl100k_base ids


def test_sentences_keep_abbreviations_and_offsets() -> None:
    text = "Q. How has it evolved? Roth: In 2019, the U.S. Census said “no.” Then Dr. Smith left."
    spans = split_sentences(Span(10, 10 + len(text), text))
    assert [s.text for s in spans] == [
        "Q. How has it evolved?",
        "Roth: In 2019, the U.S. Census said “no.”",
        "Then Dr. Smith left.",
    ]
    for s in spans:
        assert text[s.start - 10 : s.end - 10] == s.text


@pytest.mark.parametrize("max_tokens,overlap", [(128, 24), (64, 0), (300, 60)])
def test_chunks_respect_budget_boundaries_and_offsets(max_tokens: int, overlap: int) -> None:
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        docs = parse(path.name, text)
        chunks = chunk_documents(docs, max_tokens, overlap)
        assert len({c.id for c in chunks}) == len(chunks)
        for c in chunks:
            # a chunk is whole sentences joined by one space or a blank line
            assert count_tokens(c.text) <= max_tokens + 2 * len(c.spans)
            for off, start, end in c.spans:
                assert c.text[off : off + end - start] == text[start:end]
        # consecutive chunks of one document share up to `overlap` tokens of whole sentences
        for a, b in zip(chunks, chunks[1:]):
            if a.title == b.title and a.location == b.location and overlap:
                shared = [s for s in b.spans if s[1] < a.end]
                assert sum(count_tokens(text[s[1] : s[2]]) for s in shared) <= overlap


def test_chunk_ids_are_stable_and_content_derived() -> None:
    text = (CORPUS / "000_daec2444bc2564f3.txt").read_text(encoding="utf-8")
    first = [c.id for c in chunk_documents(parse("a.txt", text), 128, 24)]
    again = [c.id for c in chunk_documents(parse("a.txt", text), 128, 24)]
    other = [c.id for c in chunk_documents(parse("b.txt", text), 128, 24)]
    assert first == again and not set(first) & set(other)
