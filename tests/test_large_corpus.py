"""A folder of thousands of files: ingested in batches with progress, and an interrupted ingest
(an exception, or SIGKILL of the process) is continued by the next run, not redone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from pydantic import Field

from sciqa import Pipeline, Settings
from sciqa.store import Store

DIM = 384
FILES = 2000


class CountingEmbedding(DeterministicFakeEmbedding):
    embedded: list[str] = Field(default_factory=list)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return super().embed_documents(texts)


def write_many(root: Path, n: int = FILES) -> Path:
    """``n`` small notes in 20 folders; every fifth is long enough for two chunks."""
    for i in range(n):
        folder = root / f"part{i % 20:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        body = " ".join(
            f"Note {i} records that sample {i}-{j} weighed {i * 13 + j} grams at station {j}."
            for j in range(16 if i % 5 == 0 else 3)
        )
        (folder / f"note{i:05d}.txt").write_text(f"# Note {i}\n\n{body}\n", encoding="utf-8")
    return root


def pipeline(home: Path, embeddings: CountingEmbedding | None = None, **kw: object) -> Pipeline:
    kw = {"progress": False, "ingest_batch": 64, **kw}
    return Pipeline(
        Settings(home=home, **kw),  # type: ignore[arg-type]
        embeddings=embeddings or CountingEmbedding(size=DIM),
    )


def manifest(home: Path) -> dict:
    return json.loads((home / "store" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_many(tmp_path_factory.mktemp("many") / "notes")


@pytest.fixture(scope="module")
def complete(many: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The same folder ingested in one go: what a resumed ingest must end up as."""
    home = tmp_path_factory.mktemp("complete")
    emb = CountingEmbedding(size=DIM)
    pipeline(home, emb).ingest([many])
    return home, len(emb.embedded)


def chunk_ids(p: Pipeline) -> set[str]:
    return set(p.store.collection.get(include=[])["ids"])


def test_interrupted_ingest_continues_where_it_stopped(
    many: Path, complete: tuple[Path, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_home, total = complete
    home = tmp_path / "h"
    real_add, calls = Store.add, []

    def add(self: Store, chunks, vectors) -> None:  # type: ignore[no-untyped-def]
        calls.append(len(chunks))
        if len(calls) > 10:
            raise KeyboardInterrupt  # what Ctrl-C does in the middle of a batch
        real_add(self, chunks, vectors)

    monkeypatch.setattr(Store, "add", add)
    with pytest.raises(KeyboardInterrupt):
        pipeline(home).ingest([many])
    monkeypatch.undo()

    assert calls[:10] == [64] * 10  # batches of SCIQA_INGEST_BATCH chunks, spanning files
    finished = manifest(home)["files"]
    assert 0 < len(finished) < FILES
    finished_chunks = sum(entry["chunks"] for entry in finished.values())
    assert 640 - 64 < finished_chunks <= 640  # at most one file was cut in two

    emb = CountingEmbedding(size=DIM)
    resumed = pipeline(home, emb)
    report = resumed.ingest([many])

    assert set(report.unchanged) == set(finished)  # finished files are not redone
    assert len(report.added) == FILES - len(finished)
    assert len(emb.embedded) == total - finished_chunks  # nor re-embedded
    assert manifest(home)["files"] == manifest(full_home)["files"]
    assert chunk_ids(resumed) == chunk_ids(pipeline(full_home))
    assert resumed.store.bm25_search("note 1999 sample", 3)


def test_sigkill_mid_ingest_then_resume(many: Path, complete: tuple[Path, int], tmp_path: Path):
    """A process killed outright mid-ingest: the next run finishes the job, nothing doubled."""
    full_home, total = complete
    home = tmp_path / "killed"
    script = textwrap.dedent(
        f"""
        import time
        from langchain_core.embeddings import DeterministicFakeEmbedding
        from sciqa import Pipeline, Settings

        class CountingEmbedding(DeterministicFakeEmbedding):  # the name the store records
            def embed_documents(self, texts):
                time.sleep(0.05)
                return super().embed_documents(texts)

        settings = Settings(home={str(home)!r}, progress=False, ingest_batch=64)
        Pipeline(settings, embeddings=CountingEmbedding(size={DIM})).ingest([{str(many)!r}])
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], env={**os.environ})
    manifest_path = home / "store" / "manifest.json"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if manifest_path.exists() and len(manifest(home)["files"]) >= 300:
                break
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    finished = manifest(home)["files"]
    assert 300 <= len(finished) < FILES, "the child should have been killed mid-run"

    emb = CountingEmbedding(size=DIM)
    resumed = pipeline(home, emb)
    report = resumed.ingest([many])
    assert set(report.unchanged) == set(finished)
    assert len(emb.embedded) == total - sum(e["chunks"] for e in finished.values())
    assert manifest(home)["files"] == manifest(full_home)["files"]
    assert chunk_ids(resumed) == chunk_ids(pipeline(full_home))


def test_progress_shows_files_and_chunks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_many(tmp_path / "notes", 40)
    report = pipeline(tmp_path / "h", progress=True).ingest([root])
    err = capsys.readouterr().err
    assert report.chunks_added > 40
    assert "Ingesting files" in err and "/40 " in err  # files done of 40 (the bars redraw
    assert "Embedding chunks" in err and "chunk/s" in err  # at most ten times a second)
