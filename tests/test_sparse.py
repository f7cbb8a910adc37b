"""The BM25 index updated in place (issue 17): the same scores as one built afresh, consistent
after a kill inside one of its writes, read by several processes at once, and an older sciqa's
bm25s folder migrated once. Fake embeddings; nothing loads the MiniLM model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sciqa import sparse_search
from sciqa.bm25 import saved_build, stored_ids
from sciqa.sparse import MERGE_AT, SparseIndex

from .test_store import _text, make_pipeline, write_corpus

QUERIES = ("alpha survey", "beta sample site 3", "effect units", "gamma", "delta number 7 site")


def _chunks(topic: str, n: int) -> list[tuple[str, str, str]]:
    return [
        (f"{topic}-{i}", f"{topic}.txt", f"{topic} survey {i} found {topic} in sample site {i % 4}")
        for i in range(n)
    ]


def _results(index: SparseIndex) -> dict[str, dict[str, float]]:
    """Each query's scores, by chunk (the order of equal scores follows the order indexed)."""
    return {q: dict(index.search(q, 1000)) for q in QUERIES}


@pytest.mark.parametrize("exact_ties", [True, False], ids=["small", "large"])
def test_add_then_remove_scores_as_a_fresh_build(
    exact_ties: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not exact_ties:  # the way a store of more than EXACT_TIES chunks chooses its best
        monkeypatch.setattr(sparse_search, "EXACT_TIES", 0)
    kept = _chunks("alpha", 30) + _chunks("beta", 20)
    fresh = SparseIndex.build(kept)
    grown = SparseIndex.build(_chunks("alpha", 30))
    for b in range(0, 40, 3):  # many small writes: merged postings, dead slots left behind
        grown.add((_chunks("beta", 20) + _chunks("delta", 20))[b : b + 3])
    grown.add([("gamma-0", "gamma.txt", "gamma survey replaced later")])
    grown.add([("gamma-0", "gamma.txt", "gamma survey again")])  # the same id: replaced
    grown.add(_chunks("beta", 20)[:5])  # again (a redone batch): replaced, not doubled
    grown.delete_stale({"delta.txt": set(), "gamma.txt": set()})
    assert grown.count() == fresh.count() == 50
    rows = grown.db.execute("SELECT count(*) FROM postings GROUP BY tid").fetchall()
    assert max(n for (n,) in rows) < 2 * MERGE_AT  # merged by size tier
    assert _results(grown) == _results(fresh)
    assert grown.lexicon.df == fresh.lexicon.df and grown.lexicon.n_docs == fresh.lexicon.n_docs
    assert "delta" not in grown.lexicon.df


def test_a_reader_sees_another_connections_writes(tmp_path: Path) -> None:
    writer = SparseIndex.open(tmp_path)
    writer.add(_chunks("alpha", 5))
    reader = SparseIndex.read(tmp_path)
    assert len(reader.search("alpha", 10)) == 5
    writer.add(_chunks("beta", 5))
    writer.delete_stale({"alpha.txt": {"alpha-4"}})
    assert [c for c, _ in reader.search("alpha", 3)] == ["alpha-4"]
    assert len(reader.search("beta", 10)) == 5 and reader.lexicon.df["beta"] == 5
    writer.clear()
    assert reader.search("beta", 10) == [] and reader.count() == 0


def test_incremental_ingest_add_then_remove_equals_a_fresh_store(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "delta.txt").write_text(_text("delta"), encoding="utf-8")
    grown = make_pipeline(tmp_path / "grown")
    grown.ingest([corpus])
    grown.ingest([extra])
    assert grown.store.bm25_search("delta survey", 3)
    grown.remove([str(extra)])
    fresh = make_pipeline(tmp_path / "fresh")
    fresh.ingest([corpus])
    for q in QUERIES:
        assert dict(grown.store.bm25_search(q, 1000)) == dict(fresh.store.bm25_search(q, 1000))
    assert grown.store.lexicon.df == fresh.store.lexicon.df


CHILD = """
import os, signal, sys
from pathlib import Path
from langchain_core.embeddings import DeterministicFakeEmbedding
from sciqa import Pipeline, Settings
from sciqa import sparse

calls = []
real = sparse.SparseIndex._merge
def dying(self, db, tids):  # inside the write transaction of the second batch's BM25 update
    calls.append(1)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, db, tids)
sparse.SparseIndex._merge = dying
settings = Settings(home=Path(sys.argv[1]), progress=False, ingest_batch=2)
Pipeline(settings, embeddings=DeterministicFakeEmbedding(size=384)).ingest([sys.argv[2]])
"""


def test_a_kill_inside_a_bm25_write_leaves_a_store_that_answers_and_mends(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    home = tmp_path / "home"
    make_pipeline(home, ingest_batch=2).ingest([corpus])
    (corpus / "beta.txt").write_text(_text("beta", extra="Moved to site kappa."), encoding="utf-8")
    (corpus / "delta.txt").write_text(_text("delta"), encoding="utf-8")
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(home), str(corpus)],
        capture_output=True,
        env={**os.environ, "SCIQA_PROGRESS": "false"},
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    manifest = json.loads((home / "store" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pending"] and manifest["bm25"] == ""

    killed = make_pipeline(home)  # answers from what was stored (rolled back to the last write)
    assert killed.retrieve("alpha survey number 3", k=3)[0].source == "alpha.txt"
    assert set(stored_ids(home / "store" / "bm25")) <= set(killed.store.collection.get()["ids"])

    make_pipeline(home).ingest([corpus])  # the next ingest finishes the job
    fresh = make_pipeline(tmp_path / "fresh")
    fresh.ingest([corpus])
    mended = make_pipeline(home)
    assert sorted(stored_ids(home / "store" / "bm25")) == sorted(
        mended.store.collection.get()["ids"]
    )
    for q in (*QUERIES, "kappa"):
        assert dict(mended.store.bm25_search(q, 1000)) == dict(fresh.store.bm25_search(q, 1000))
    manifest = json.loads((home / "store" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pending"] == [] and manifest["bm25"] == saved_build(home / "store" / "bm25")


READER = """
import sys, time
from pathlib import Path
from sciqa.sparse import SparseIndex

index = SparseIndex.read(Path(sys.argv[1]))
print(len(index.search("alpha survey", 5)), flush=True)
deadline = time.monotonic() + 120
while time.monotonic() < deadline:  # until the writer's new file is found
    if index.search("omega", 5):
        print("found", flush=True)
        break
    time.sleep(0.01)
"""


def test_two_reader_processes_read_while_an_ingest_writes(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    home = tmp_path / "home"
    p = make_pipeline(home)
    p.ingest([corpus])
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(home / "store" / "bm25")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    (corpus / "omega.txt").write_text(_text("omega"), encoding="utf-8")
    p.ingest([corpus])
    for reader in readers:
        out, err = reader.communicate(timeout=180)
        assert reader.returncode == 0, err[-2000:]
        assert out.split() == ["5", "found"]


def test_an_older_bm25s_folder_is_migrated_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    home = tmp_path / "home"
    p = make_pipeline(home)
    p.ingest([corpus])
    want = {q: p.store.bm25_search(q, 10) for q in QUERIES}
    bm25 = home / "store" / "bm25"
    build = json.loads((home / "store" / "manifest.json").read_text(encoding="utf-8"))["bm25"]
    for f in list(bm25.iterdir()):  # what sciqa wrote before: a bm25s folder
        f.unlink()
    for name, text in (("ids.json", "[]"), ("build.txt", build), ("vocab.index.json", "{}")):
        (bm25 / name).write_text(text, encoding="utf-8")

    migrated = make_pipeline(home)
    assert {q: migrated.store.bm25_search(q, 10) for q in QUERIES} == want
    assert sorted(f.name for f in bm25.iterdir() if not f.name.startswith("index.sqlite3-")) == [
        "index.sqlite3"
    ]
    assert saved_build(bm25) == build  # the manifest still names it: no warning, no rebuild
    assert "BM25" not in caplog.text
    assert make_pipeline(home).ingest([corpus]).chunks_added == 0


def test_an_index_whose_words_an_older_sciqa_read_is_built_again(tmp_path: Path) -> None:
    """An index made before ``lexical.terms`` read accents ("Vasić" was "vasi") is rebuilt
    from the collection when first read, and keeps the manifest's build: no re-embedding."""
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "vasic.txt").write_text(
        "The Heron sketch was written by Milena Vasić in 2011.\n", encoding="utf-8"
    )
    home = tmp_path / "home"
    make_pipeline(home).ingest([corpus])
    bm25 = home / "store" / "bm25"
    build = saved_build(bm25)
    old = SparseIndex.read(bm25)
    with old.db:  # what an older sciqa left: no 'terms', the accented name split
        old.db.execute("DELETE FROM meta WHERE key = 'terms'")
        old.db.execute("UPDATE terms SET term = 'vasi', surface = 'vasi' WHERE term = 'vasic'")
    assert old.terms_version == 1
    old.close()

    again = make_pipeline(home)
    assert len(again.store.bm25_search("Vasic", 3)) == 1  # the stale index held only "vasi"
    index = SparseIndex.read(bm25)
    assert (
        index.terms_version == 2 and "vasic" in index.lexicon.df and "vasi" not in index.lexicon.df
    )
    assert saved_build(bm25) == build
    assert again.ingest([corpus]).chunks_added == 0  # nothing re-embedded


def test_an_ingest_with_nothing_to_do_mends_an_older_sciqas_index(tmp_path: Path) -> None:
    """The warning a reader gives when it cannot rebuild such an index says to run `sciqa
    ingest`: that must rebuild it even when no document changed."""
    corpus = write_corpus(tmp_path / "corpus")
    home = tmp_path / "home"
    make_pipeline(home).ingest([corpus])
    bm25 = home / "store" / "bm25"
    old = SparseIndex.read(bm25)
    with old.db:
        old.db.execute("DELETE FROM meta WHERE key = 'terms'")
    old.close()
    assert saved_build(bm25) is None  # no build of this collection
    assert make_pipeline(home).ingest([corpus]).chunks_added == 0
    index = SparseIndex.read(bm25)
    assert index.terms_version == 2 and saved_build(bm25) is not None
    index.close()
