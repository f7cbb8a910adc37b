"""The store on disk: real Chroma + BM25 + manifest, with fast deterministic fake embeddings.

Every test builds its own small corpus under ``tmp_path`` and its own store; nothing here loads
the MiniLM model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from pydantic import Field

import sciqa
from sciqa import IngestReport, Pipeline, Settings
from sciqa.bm25 import stored_ids
from sciqa.store import Store

DIM = 384
RARE = "zyxquorbite"  # a word planted in exactly one chunk


class CountingEmbedding(DeterministicFakeEmbedding):
    """DeterministicFakeEmbedding that remembers every text it was asked to embed."""

    embedded: list[str] = Field(default_factory=list)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return super().embed_documents(texts)


class OtherFakeEmbedding(DeterministicFakeEmbedding):
    """Same vectors, different name: the store must treat it as another model."""


def _text(topic: str, n: int = 12, extra: str = "") -> str:
    """A few paragraphs of distinct sentences (about 200 cl100k tokens for n=12)."""
    sentences = [
        f"The {topic} survey number {i} measured an effect of {i * 7 + len(topic)} units "
        f"in the {topic} sample taken from site {i}."
        for i in range(n)
    ]
    paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, n, 4)]
    body = f"# Notes on {topic}\n\n" + "\n\n".join(paragraphs) + "\n"
    return body + (f"\n{extra}\n" if extra else "")


def write_corpus(root: Path, names: tuple[str, ...] = ("alpha", "beta", "gamma")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / f"{name}.txt").write_text(_text(name), encoding="utf-8")
    return root


def make_pipeline(
    home: Path, embeddings: DeterministicFakeEmbedding | None = None, **settings: object
) -> Pipeline:
    return Pipeline(
        Settings(home=home, progress=False, **settings),  # type: ignore[arg-type]
        embeddings=embeddings if embeddings is not None else DeterministicFakeEmbedding(size=DIM),
    )


def ids_by_source(p: Pipeline) -> dict[str, set[str]]:
    got = p.store.collection.get(include=["metadatas"])
    out: dict[str, set[str]] = {}
    for cid, meta in zip(got["ids"], got["metadatas"] or []):
        out.setdefault(str(meta["source"]), set()).add(cid)
    return out


def ids_of(p: Pipeline, source: str) -> set[str]:
    return set(p.store.collection.get(where={"source": source}, include=[])["ids"])


def manifest(home: Path) -> dict:
    return json.loads((home / "store" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "h"


# -- first and repeated ingest ------------------------------------------------------------


def test_first_ingest_adds_every_file_and_records_it(corpus: Path, home: Path) -> None:
    emb = CountingEmbedding(size=DIM)
    p = make_pipeline(home, emb)
    report = p.ingest([corpus])

    assert isinstance(report, IngestReport)
    assert report.added == ("alpha.txt", "beta.txt", "gamma.txt")
    assert report.changed == report.removed == report.unchanged == report.skipped == ()
    by_source = ids_by_source(p)
    assert set(by_source) == {"alpha.txt", "beta.txt", "gamma.txt"}
    assert all(len(ids) >= 2 for ids in by_source.values())  # several chunks per file
    total = sum(len(ids) for ids in by_source.values())
    assert p.store.count() == total == report.chunks_added == len(emb.embedded)

    m = manifest(home)
    assert set(m["files"]) == set(by_source)
    for source, entry in m["files"].items():
        assert entry["chunks"] == len(by_source[source])
        assert len(entry["sha256"]) == 64
    assert m["roots"] == [str(corpus)]


def test_second_ingest_is_a_no_op(corpus: Path, home: Path) -> None:
    emb = CountingEmbedding(size=DIM)
    p = make_pipeline(home, emb)
    p.ingest([corpus])
    before_ids = ids_by_source(p)
    before_manifest = manifest(home)
    embedded_before = len(emb.embedded)
    assert embedded_before > 0

    report = p.ingest([corpus])

    assert report.unchanged == ("alpha.txt", "beta.txt", "gamma.txt")
    assert report.added == report.changed == report.removed == ()
    assert report.chunks_added == report.chunks_deleted == 0
    assert len(emb.embedded) == embedded_before  # nothing embedded again
    assert ids_by_source(p) == before_ids
    assert manifest(home)["files"] == before_manifest["files"]

    # a new Pipeline on the same home (a new process, in effect) agrees
    emb2 = CountingEmbedding(size=DIM)
    again = make_pipeline(home, emb2).ingest([corpus])
    assert again.unchanged == report.unchanged and emb2.embedded == []


def test_changed_file_replaces_only_its_chunks(corpus: Path, home: Path) -> None:
    emb = CountingEmbedding(size=DIM)
    p = make_pipeline(home, emb)
    p.ingest([corpus])
    old_beta = ids_of(p, "beta.txt")
    alpha, gamma = ids_of(p, "alpha.txt"), ids_of(p, "gamma.txt")
    old_sha = manifest(home)["files"]["beta.txt"]["sha256"]

    # every sentence changes ("units" -> "grams"), so every chunk of beta gets a new id
    (corpus / "beta.txt").write_text(
        _text("beta", n=16).replace("units", "grams"), encoding="utf-8"
    )
    emb.embedded.clear()
    report = p.ingest([corpus])

    assert report.changed == ("beta.txt",)
    assert report.unchanged == ("alpha.txt", "gamma.txt")
    assert report.chunks_deleted == len(old_beta)
    new_beta = ids_of(p, "beta.txt")
    assert new_beta and not old_beta & new_beta
    assert p.store.collection.get(ids=sorted(old_beta))["ids"] == []  # old ids gone
    assert set(p.store.collection.get(ids=sorted(new_beta))["ids"]) == new_beta
    assert all(
        "grams" in d
        for d in p.store.collection.get(ids=sorted(new_beta))["documents"]
        if "survey" in d
    )
    assert report.chunks_added == len(new_beta) == len(emb.embedded)
    assert all(t.startswith("Notes on beta") for t in emb.embedded)  # only beta re-embedded
    assert ids_of(p, "alpha.txt") == alpha and ids_of(p, "gamma.txt") == gamma
    assert p.store.count() == len(alpha) + len(gamma) + len(new_beta)
    entry = manifest(home)["files"]["beta.txt"]
    assert entry["sha256"] != old_sha and entry["chunks"] == len(new_beta)


def test_removed_file_is_deleted_from_store_and_manifest(corpus: Path, home: Path) -> None:
    p = make_pipeline(home)
    p.ingest([corpus])
    gamma = ids_of(p, "gamma.txt")
    kept = ids_of(p, "alpha.txt") | ids_of(p, "beta.txt")
    assert gamma

    (corpus / "gamma.txt").unlink()
    report = p.ingest([corpus])

    assert report.removed == ("gamma.txt",)
    assert report.chunks_deleted == len(gamma)
    assert ids_of(p, "gamma.txt") == set()
    assert p.store.collection.get(ids=sorted(gamma))["ids"] == []
    assert set(ids_by_source(p)) == {"alpha.txt", "beta.txt"}
    assert ids_of(p, "alpha.txt") | ids_of(p, "beta.txt") == kept
    assert set(manifest(home)["files"]) == {"alpha.txt", "beta.txt"}
    # the BM25 index no longer returns the removed file's chunks
    hits = {cid for cid, _ in p.store.bm25_search("gamma survey sample", 20)}
    assert hits and not hits & gamma


def test_dry_run_lists_changes_and_writes_nothing(corpus: Path, home: Path) -> None:
    emb = CountingEmbedding(size=DIM)
    p = make_pipeline(home, emb)
    p.ingest([corpus])
    manifest_bytes = (home / "store" / "manifest.json").read_bytes()
    count, ids = p.store.count(), ids_by_source(p)
    emb.embedded.clear()

    (corpus / "alpha.txt").write_text(_text("alpha", extra="Edited."), encoding="utf-8")
    (corpus / "gamma.txt").unlink()
    (corpus / "delta.txt").write_text(_text("delta"), encoding="utf-8")
    report = p.ingest([corpus], dry_run=True)

    assert report.dry_run is True
    assert report.added == ("delta.txt",)
    assert report.changed == ("alpha.txt",)
    assert report.removed == ("gamma.txt",)
    assert report.unchanged == ("beta.txt",)
    assert report.chunks_added == report.chunks_deleted == 0
    assert emb.embedded == []
    assert p.store.count() == count and ids_by_source(p) == ids
    assert (home / "store" / "manifest.json").read_bytes() == manifest_bytes


def test_dry_run_on_a_new_home_creates_no_manifest(corpus: Path, home: Path) -> None:
    p = make_pipeline(home)
    report = p.ingest([corpus], dry_run=True)
    assert report.added == ("alpha.txt", "beta.txt", "gamma.txt")
    assert not (home / "store" / "manifest.json").exists()
    assert p.store.count() == 0


# -- bad files -----------------------------------------------------------------------------


def _bad_folder(root: Path) -> Path:
    write_corpus(root, ("alpha", "beta"))
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.md").write_text("  \n\n \t\n", encoding="utf-8")
    (root / "binary.txt").write_bytes(b"PK\x03\x04\x00\x00\x00\x01binary junk" * 20)
    (root / "latin1.txt").write_bytes("Caf\xe9 na\xefve r\xe9sum\xe9 text.".encode("latin-1"))
    (root / "copy_of_alpha.txt").write_bytes((root / "alpha.txt").read_bytes())
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # not a text suffix: ignored
    return root


def test_bad_files_are_skipped_with_reasons(tmp_path: Path, home: Path) -> None:
    root = _bad_folder(tmp_path / "mixed")
    p = make_pipeline(home)
    report = p.ingest([root])

    assert report.added == ("alpha.txt", "beta.txt")
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {
        "empty.txt",
        "blank.md",
        "binary.txt",
        "latin1.txt",
        "copy_of_alpha.txt",
    }
    assert reasons["empty.txt"] == "empty" and reasons["blank.md"] == "empty"
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert reasons["copy_of_alpha.txt"] == "same content as alpha.txt"
    assert set(ids_by_source(p)) == {"alpha.txt", "beta.txt"}
    assert set(manifest(home)["files"]) == {"alpha.txt", "beta.txt"}


def test_directory_symlink_loop_does_not_hang_or_duplicate(tmp_path: Path, home: Path) -> None:
    root = write_corpus(tmp_path / "looped", ("alpha",))
    (root / "sub").mkdir()
    (root / "sub" / "note.md").write_text(_text("sub"), encoding="utf-8")
    os.symlink("..", root / "sub" / "up")  # sub/up/sub/up/... forever
    report = make_pipeline(home).ingest([root])
    assert report.added == ("alpha.txt", "sub/note.md")


def test_symlink_loop_file_is_reported_as_skipped(tmp_path: Path, home: Path) -> None:
    root = write_corpus(tmp_path / "loopy", ("alpha",))
    os.symlink("loop.txt", root / "loop.txt")  # loop.txt -> loop.txt
    report = make_pipeline(home).ingest([root])
    assert report.added == ("alpha.txt",)  # the good file still goes in
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert "loop.txt" in reasons
    assert "symbolic link" in reasons["loop.txt"].lower() or "loop" in reasons["loop.txt"]


def test_folder_of_only_bad_files_raises_ingest_error(tmp_path: Path, home: Path) -> None:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02")
    with pytest.raises(sciqa.IngestError) as err:
        make_pipeline(home).ingest([root])
    assert "empty" in str(err.value) and "binary" in str(err.value)


def test_missing_path_raises_and_leaves_store_alone(
    corpus: Path, home: Path, tmp_path: Path
) -> None:
    emb = CountingEmbedding(size=DIM)
    p = make_pipeline(home, emb)
    p.ingest([corpus])
    manifest_bytes = (home / "store" / "manifest.json").read_bytes()
    ids = ids_by_source(p)
    emb.embedded.clear()

    missing = tmp_path / "no" / "such" / "folder"
    with pytest.raises(sciqa.IngestError) as err:
        p.ingest([missing])
    assert str(missing) in str(err.value)
    with pytest.raises(sciqa.IngestError):
        p.ingest([corpus, missing])  # one bad path among good ones: nothing is done either

    assert emb.embedded == []
    assert ids_by_source(p) == ids
    assert (home / "store" / "manifest.json").read_bytes() == manifest_bytes


# -- manifest, settings, models ------------------------------------------------------------


def test_manifest_records_model_and_chunking(corpus: Path, home: Path) -> None:
    make_pipeline(home, chunk_tokens=100, chunk_overlap=10).ingest([corpus])
    m = manifest(home)
    assert m["embedding_model"] == "DeterministicFakeEmbedding"
    assert m["chunking"]["tokenizer"] == "cl100k_base"
    assert m["chunking"]["chunk_tokens"] == 100
    assert m["chunking"]["chunk_overlap"] == 10
    assert m["version"] == 1


def test_changing_chunk_tokens_rechunks_every_file(
    corpus: Path, home: Path, tmp_path: Path
) -> None:
    p = make_pipeline(home, chunk_tokens=128)
    p.ingest([corpus])
    before = ids_by_source(p)

    emb = DeterministicFakeEmbedding(size=DIM)
    small = make_pipeline(home, emb, chunk_tokens=32)
    preview = small.ingest([corpus], dry_run=True)
    assert preview.changed == ("alpha.txt", "beta.txt", "gamma.txt")
    report = small.ingest([corpus])

    assert report.changed == ("alpha.txt", "beta.txt", "gamma.txt")
    assert report.unchanged == ()
    after = ids_by_source(small)
    for source in before:
        assert not before[source] & after[source]  # every old chunk is gone
        assert len(after[source]) > len(before[source])
    assert manifest(home)["chunking"]["chunk_tokens"] == 32
    # exactly what a fresh store with chunk_tokens=32 holds
    fresh = make_pipeline(tmp_path / "fresh", chunk_tokens=32)
    fresh.ingest([corpus])
    assert ids_by_source(fresh) == after
    assert small.store.count() == fresh.store.count()


def test_store_built_with_other_embeddings_refuses_queries(corpus: Path, home: Path) -> None:
    make_pipeline(home).ingest([corpus])
    assert manifest(home)["embedding_model"] == "DeterministicFakeEmbedding"

    other = make_pipeline(home, OtherFakeEmbedding(size=DIM))
    with pytest.raises(sciqa.StoreMismatchError) as err:
        other.ask("What did the alpha survey measure?")
    message = str(err.value)
    assert "DeterministicFakeEmbedding" in message and "OtherFakeEmbedding" in message
    assert "--rebuild" in message
    assert isinstance(err.value, sciqa.StoreError)

    # an incremental ingest with the other model is refused too, and changes nothing
    with pytest.raises(sciqa.StoreMismatchError):
        other.ingest([corpus])
    assert manifest(home)["embedding_model"] == "DeterministicFakeEmbedding"

    # --rebuild is the way out
    other.ingest([corpus], rebuild=True)
    assert manifest(home)["embedding_model"] == "OtherFakeEmbedding"
    answer = other.ask("What did the alpha survey measure?")
    assert answer.question


def test_rebuild_reembeds_everything(corpus: Path, home: Path) -> None:
    emb = CountingEmbedding(size=DIM)
    p = make_pipeline(home, emb)
    p.ingest([corpus])
    ids = ids_by_source(p)
    total = p.store.count()
    emb.embedded.clear()

    report = p.ingest([corpus], rebuild=True)

    assert report.added == ("alpha.txt", "beta.txt", "gamma.txt")
    assert report.chunks_added == total == len(emb.embedded)
    assert p.store.count() == total
    assert ids_by_source(p) == ids
    assert set(manifest(home)["files"]) == set(ids)


# -- BM25 ----------------------------------------------------------------------------------


def test_bm25_index_on_disk_finds_a_rare_word(corpus: Path, home: Path) -> None:
    (corpus / "beta.txt").write_text(
        _text("beta", extra=f"Only this closing line mentions the mineral {RARE}."),
        encoding="utf-8",
    )
    p = make_pipeline(home)
    p.ingest([corpus])

    bm25 = home / "store" / "bm25"
    assert bm25.is_dir()
    ids = stored_ids(bm25)
    assert sorted(ids) == sorted(p.store.collection.get(include=[])["ids"])
    assert (bm25 / "index.sqlite3").exists()

    hits = p.store.bm25_search(RARE, 5)
    assert len(hits) == 1
    ((cid, score),) = hits
    assert score > 0
    got = p.store.collection.get(ids=[cid], include=["documents", "metadatas"])
    assert got["metadatas"][0]["source"] == "beta.txt"
    assert RARE in got["documents"][0]
    assert p.store.bm25_search("nonexistentwordqq", 5) == []

    # a new Store object loads the saved index rather than needing the old one
    reopened = make_pipeline(home)
    assert reopened.store.bm25_search(RARE, 5)[0][0] == cid


# -- interruptions -------------------------------------------------------------------------


class Boom(RuntimeError):
    pass


def _fail_after(monkeypatch: pytest.MonkeyPatch, calls: int) -> list[int]:
    """Make ``Store.add`` raise on call number ``calls + 1``."""
    real_add = Store.add
    seen: list[int] = []

    def add(self: Store, chunks, vectors) -> None:  # type: ignore[no-untyped-def]
        seen.append(len(chunks))
        if len(seen) > calls:
            raise Boom("simulated crash while writing chunks")
        real_add(self, chunks, vectors)

    monkeypatch.setattr(Store, "add", add)
    return seen


def test_interrupted_ingest_resumes_to_a_clean_store(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "corpus", ("alpha", "beta", "gamma", "delta", "epsilon"))
    p = make_pipeline(home, ingest_batch=3)  # each file is 3 chunks: one file per batch
    seen = _fail_after(monkeypatch, 1)
    with pytest.raises(Boom):
        p.ingest([corpus])
    assert len(seen) == 2
    # the manifest only claims what was finished
    assert list(manifest(home)["files"]) == ["alpha.txt"]
    monkeypatch.undo()

    resumed = make_pipeline(home)
    report = resumed.ingest([corpus])
    assert report.unchanged == ("alpha.txt",)
    assert report.added == ("beta.txt", "delta.txt", "epsilon.txt", "gamma.txt")

    fresh = make_pipeline(tmp_path / "fresh")
    fresh.ingest([corpus])
    assert ids_by_source(resumed) == ids_by_source(fresh)
    assert resumed.store.count() == fresh.store.count()
    assert manifest(home)["files"] == manifest(tmp_path / "fresh")["files"]
    assert resumed.store.bm25_search("epsilon survey", 3)


def test_interrupted_change_then_revert_leaves_no_hole(
    corpus: Path, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = make_pipeline(home)
    p.ingest([corpus])
    beta = ids_of(p, "beta.txt")
    original = (corpus / "beta.txt").read_bytes()

    (corpus / "beta.txt").write_text(_text("beta", extra="An edit."), encoding="utf-8")
    _fail_after(monkeypatch, 0)
    with pytest.raises(Boom):
        p.ingest([corpus])
    monkeypatch.undo()

    (corpus / "beta.txt").write_bytes(original)  # the user undoes the edit
    p.ingest([corpus])
    # the manifest must only describe what is stored ...
    for source, entry in manifest(home)["files"].items():
        assert len(ids_of(p, source)) == entry["chunks"], source
    # ... so beta's chunks are back
    assert ids_of(p, "beta.txt") == beta


def test_small_store_retrieves_and_cites_ingested_files(corpus: Path, home: Path) -> None:
    """End to end over the small store: ask() retrieves and cites only ingested files."""
    p = make_pipeline(home)
    p.ingest([corpus])
    passages = p.retrieve("gamma survey number 3", k=3)
    assert passages and passages[0].source == "gamma.txt"
    for passage in passages:
        text = (corpus / passage.source).read_text(encoding="utf-8")
        for offset, start, end in passage.spans:
            assert passage.text[offset : offset + end - start] == text[start:end]
    answer = p.ask("What did the gamma survey number 3 measure?")
    assert answer.abstained or answer.citations
    for c in answer.citations:
        assert (corpus / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote


# -- following another process's ingest ----------------------------------------------------


def _topic_folder(root: Path, topic: str, fact: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{topic}.md").write_text(f"# {topic.title()}\n\n{fact}\n\n{_text(topic)}", "utf-8")
    return root


def test_a_running_pipeline_answers_from_another_process_ingest(tmp_path: Path) -> None:
    """A long-lived Pipeline (the UI's) sees, on its next question, a folder that another
    process added and the one it answered from removed: new BM25 index, reopened Chroma."""
    from tests.conftest import run_cli

    home = tmp_path / "shared-home"
    a = _topic_folder(tmp_path / "a", "glaciers", "The Vatnajokull glacier lost 40 metres of ice.")
    b = _topic_folder(tmp_path / "b", "beekeeping", "Honeybee colonies in Wales produced mead.")
    first = Pipeline(Settings(home=home, progress=False))
    first.ingest([a])
    # (Asked "How much ice ...", it declines: 0.447 against 0.45, "lose" is not "lost".)
    before = first.ask("What did the Vatnajokull glacier lose?")
    assert not before.abstained and {c.source for c in before.citations} == {"glaciers.md"}

    done = run_cli("ingest", str(b), home=home)  # another process, same store
    assert done.returncode == 0, done.stderr
    gone = run_cli("remove", str(a), home=home)
    assert gone.returncode == 0, gone.stderr

    after = first.ask("What did honeybee colonies in Wales produce?")
    assert not after.abstained, after.answer
    assert {c.source for c in after.citations} == {"beekeeping.md"}
    old = first.ask("How much ice did the Vatnajokull glacier lose?")
    assert all(c.source != "glaciers.md" for c in old.citations)
    assert all(p.source == "beekeeping.md" for p in old.passages)


def test_a_second_pipeline_rebuild_is_seen_by_the_first(tmp_path: Path) -> None:
    """A ``--rebuild`` replaces the Chroma collection: the first Pipeline reopens it instead
    of querying the one that was deleted."""
    home = tmp_path / "h"
    first = make_pipeline(home)
    first.ingest([write_corpus(tmp_path / "a", ("alpha",))])
    assert {p.source for p in first.retrieve("alpha survey", k=3)} == {"alpha.txt"}
    second = make_pipeline(home)
    second.remove([tmp_path / "a"])
    second.ingest([write_corpus(tmp_path / "b", ("omega",))], rebuild=True)
    assert {p.source for p in first.retrieve("omega survey", k=3)} == {"omega.txt"}
    assert first.store.lexicon.df.get("omega") and not first.store.lexicon.df.get("alpha")


def test_the_vector_index_searches_widely_enough_to_give_the_same_chunks_every_time(
    tmp_path: Path,
) -> None:
    """Chroma explores 100 candidates per search by default, and then the 20 nearest chunks of
    the same question in the same store came out differently from one process to the next. A
    store sciqa makes explores EF_SEARCH; one made before is raised to it when opened."""
    from sciqa.chroma import connect
    from sciqa.store import EF_SEARCH

    made = make_pipeline(tmp_path / "new")
    made.ingest([write_corpus(tmp_path / "docs")])
    assert made.store.collection.configuration["hnsw"]["ef_search"] == EF_SEARCH

    settings = Settings(home=tmp_path / "old", progress=False)
    client = connect(settings)  # the client sciqa's Store opens (one per folder and process)
    before = client.get_or_create_collection("sciqa", metadata={"hnsw:space": "cosine"})
    assert before.configuration["hnsw"]["ef_search"] < EF_SEARCH  # as sciqa made them before
    opened = Store(settings, "DeterministicFakeEmbedding")
    assert opened.collection.configuration["hnsw"]["ef_search"] == EF_SEARCH
    assert opened.collection.configuration["hnsw"]["space"] == "cosine"
