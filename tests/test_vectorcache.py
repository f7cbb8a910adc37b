"""The vector cache (SCIQA_VECTOR_CACHE): a text is embedded once, across processes and stores,
the vectors come back bit for bit, the file stays within its cap, and a cache that cannot be
used costs a warning, never an answer."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from sciqa import Pipeline, Settings
from sciqa.embeddings import MINILM_ID, MiniLMEmbeddings, make_embeddings
from sciqa.vectorcache import VectorCache

TEXTS = [
    "The glassworks opened its second furnace in 1911.",
    "Reservoir levels are read every morning at six.",
    "Members of the society meet on the first Friday of each month.",
]


class Counting(MiniLMEmbeddings):
    """The real model, counting the texts it actually runs on."""

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.computed: list[str] = []

    def compute(self, texts: list[str]) -> np.ndarray:
        self.computed.extend(texts)
        return super().compute(texts)


def cache_at(path: Path, limit: int = 1000) -> VectorCache:
    return VectorCache(path, MINILM_ID, 384, limit)


def rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]


def test_a_text_is_embedded_once_and_comes_back_bit_for_bit(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite3"
    first = Counting(cache=cache_at(path))
    plain = first.compute(TEXTS)
    assert np.array_equal(first.embed_array(TEXTS), plain)  # what the model gives, stored as is
    assert first.computed == TEXTS + TEXTS  # the uncached call above, then the cached one

    later = Counting(cache=cache_at(path))  # another process, say
    mixed = [TEXTS[2], "A new sentence nobody embedded.", TEXTS[0]]
    got = later.embed_array(mixed)
    assert later.computed == ["A new sentence nobody embedded."]
    assert np.array_equal(got[[0, 2]], plain[[2, 0]])
    assert np.array_equal(np.asarray(later.embed_query(TEXTS[1]), dtype=np.float32), plain[1])
    assert later.computed == ["A new sentence nobody embedded."]

    other_model = Counting(cache=VectorCache(path, "another-model", 384, 1000))
    other_model.embed_array(TEXTS[:2])
    assert other_model.computed == TEXTS[:2]  # vectors are the model's own


def test_the_cache_keeps_at_most_its_cap_newest_first(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite3"
    cache = cache_at(path, limit=4)
    vectors = np.random.default_rng(0).random((6, 384), dtype=np.float32)
    names = [f"text {i}" for i in range(6)]
    cache.put(names[:3], vectors[:3])
    cache.put(names[3:], vectors[3:])
    assert rows(path) == 4
    kept = cache.get(names)
    assert sorted(kept) == [2, 3, 4, 5]  # the two oldest went
    assert all(np.array_equal(kept[i], vectors[i]) for i in kept)

    with sqlite3.connect(path) as db:  # a row written by something else: not a vector of ours
        db.execute(
            "UPDATE vectors SET vector = ? WHERE key = ?", (b"x" * 10**6, cache._key(names[5]))
        )
    assert sorted(cache.get(names)) == [2, 3, 4]  # embedded again, never read


@pytest.mark.parametrize("how", ["garbage", "a folder in the way"])
def test_a_cache_that_cannot_be_used_is_a_warning_not_a_failure(
    tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "vectors.sqlite3"
    if how == "garbage":
        path.write_bytes(b"not a database at all " * 100)
    else:
        path.mkdir()
    embeddings = Counting(cache=cache_at(path))
    with caplog.at_level(logging.WARNING, logger="sciqa"):
        got = embeddings.embed_array(TEXTS)
        embeddings.embed_array(TEXTS)
    assert np.array_equal(got, embeddings.compute(TEXTS))
    (warning,) = [r.getMessage() for r in caplog.records]  # once, not per call
    assert str(path) in warning and "embedded without it" in warning


def test_settings_place_the_cache_and_size_zero_turns_it_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCIQA_VECTOR_CACHE")
    default = make_embeddings(Settings(home=tmp_path / "a"))
    default.embed_documents(TEXTS)
    assert rows(tmp_path / "a" / "cache" / "vectors.sqlite3") == 3

    off = make_embeddings(Settings(home=tmp_path / "b", vector_cache_size=0))
    off.embed_documents(TEXTS)
    assert not (tmp_path / "b" / "cache").exists()


def test_a_rebuilt_store_embeds_no_chunk_again(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    for i, text in enumerate(TEXTS):
        (folder / f"note{i}.txt").write_text(f"# Note {i}\n\n{text}\n", encoding="utf-8")
    cache = tmp_path / "vectors.sqlite3"

    def ingest(home: Path, *, rebuild: bool = False) -> tuple[Pipeline, list[str]]:
        embeddings = Counting(cache=cache_at(cache))
        p = Pipeline(Settings(home=home, progress=False), embeddings=embeddings)
        p.ingest([folder], rebuild=rebuild)
        return p, embeddings.computed

    first, computed = ingest(tmp_path / "h")
    assert len(computed) == first.store.collection.count() == 3
    again, computed = ingest(tmp_path / "h", rebuild=True)
    assert computed == [] and again.store.collection.count() == 3
    answer = again.ask("When did the glassworks open its second furnace?", k=3)
    assert "1911" in answer.answer and answer.citations
