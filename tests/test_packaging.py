"""The built wheel carries what it needs, and a cold start works with no network at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

QUESTION = "When did Amazon launch the Amazon Scholars program?"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (whl,) = out.glob("sciqa-*.whl")
    return whl


def test_wheel_holds_corpus_prompts_and_weights(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    corpus = {n for n in names if n.startswith("sciqa/_data/ingest/corpus/")}
    assert len(corpus) == 5
    assert "sciqa/answerer/model.json" in names
    assert any(n.startswith("sciqa/_data/prompts/") for n in names)


@pytest.mark.slow
def test_installed_wheel_answers_from_outside_the_repo(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    script = (
        "import sys, json; sys.path.insert(0, sys.argv[1]); import sciqa\n"
        "from sciqa.resources import default_corpus\n"
        "a = sciqa.ask(sys.argv[2])\n"
        "print(json.dumps({'file': sciqa.__file__, 'corpus': str(default_corpus()),"
        " 'answer': a.answer, 'sources': [c.source for c in a.citations]}))"
    )
    env = {**os.environ, "SCIQA_HOME": str(tmp_path / "home"), "SCIQA_PROGRESS": "false"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(target), QUESTION],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["file"].startswith(str(target)) and out["corpus"].startswith(str(target))
    assert "2019" in out["answer"] and "000_daec2444bc2564f3.txt" in out["sources"]


def _can_unshare() -> bool:
    exe = shutil.which("unshare")
    return bool(exe) and subprocess.run([exe, "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _can_unshare(), reason="needs `unshare -n` (root or user namespaces)")
def test_cold_start_with_no_network_namespace(tmp_path: Path) -> None:
    """An empty store, no network interface at all: ingest and answer anyway."""
    env = {
        **os.environ,
        "SCIQA_HOME": str(tmp_path / "home"),
        "SCIQA_PROGRESS": "false",
        "TIKTOKEN_CACHE_DIR": str(tmp_path / "no-tiktoken-cache"),
        "SCIQA_VECTOR_CACHE": str(tmp_path / "home" / "cache" / "vectors.sqlite3"),  # empty
        "HF_HUB_OFFLINE": "0",
    }
    exe = Path(sys.executable).with_name("sciqa")
    done = subprocess.run(
        ["unshare", "-n", str(exe), "ask", QUESTION, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert "2019" in answer["answer"] and answer["citations"]
