"""Shared fixtures. No test touches the network: pytest-socket blocks every socket but loopback
(see pyproject.toml), and SCIQA_HOME points at a fresh folder for every test."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import sciqa
from sciqa import Pipeline, Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "ingest" / "corpus"
POISONED_CORPUS = ROOT / "tests" / "fixtures" / "poisoned" / "corpus"
# What Answer.to_dict() (and so `sciqa ask --json`) holds.
ANSWER_KEYS = {
    "question", "answer", "abstained", "citations", "timings", "model", "passages", "query",
    "removed",
    "notice",
}  # fmt: skip


# The files that take longest (spawned processes, kills, servers, a browser), longest first:
# `make test` runs the suite on two workers a file at a time, and a long file started last
# would keep one worker busy while the other waits. Only the order changes.
LONGEST_FIRST = (
    "test_reliability.py",
    "test_ui_browser.py",
    "test_sources.py",
    "test_load.py",
    "test_ui_handlers.py",
    "test_packaging.py",
    "test_large_corpus.py",
    "test_llm_http.py",
    "test_bench.py",
    "test_eval_cli.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: file order kept


@pytest.fixture(scope="session", autouse=True)
def vector_cache(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Path]:
    """One cache of the offline model's vectors (SCIQA_VECTOR_CACHE) for the whole run, both
    workers included: a text (the bundled corpus, its sentences, a question) is embedded once,
    not again by every test that builds a store or starts a page. Tests about a first run or
    about how long an ingest takes turn it off (SCIQA_VECTOR_CACHE_SIZE=0)."""
    base = tmp_path_factory.getbasetemp()
    path = (base if worker_id == "master" else base.parent) / "vectors.sqlite3"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCIQA_VECTOR_CACHE", str(path))
        yield path


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own SCIQA_HOME and no OpenAI configuration (and the run's vector
    cache, above)."""
    monkeypatch.setenv("SCIQA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SCIQA_PROGRESS", "false")
    monkeypatch.delenv("SCIQA_VECTOR_CACHE_SIZE", raising=False)
    for var in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_API_BASE",
        "SCIQA_LLM",
        "SCIQA_EMBEDDINGS",
        "SCIQA_CHROMA_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    sciqa.default_pipeline.cache_clear()
    yield
    sciqa.default_pipeline.cache_clear()


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of the default corpus with the real embeddings, built once per session."""
    home = tmp_path_factory.mktemp("built-home")
    Pipeline(Settings(home=home, progress=False)).ingest()
    return home


@pytest.fixture(scope="session")
def pipeline(built_home: Path) -> Pipeline:
    """The real offline pipeline over the default corpus (read-only use)."""
    return Pipeline(Settings(home=built_home, progress=False))


@pytest.fixture(scope="session")
def poisoned_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of ``tests/fixtures/poisoned/corpus`` (a real article and a hostile page) with the
    real embeddings, built once per session; modules copy it (asking and evaluating write)."""
    home = tmp_path_factory.mktemp("poisoned-built")
    settings = Settings(home=home, corpus=POISONED_CORPUS, progress=False)
    Pipeline(settings).ensure_ready()
    return home


@pytest.fixture
def home_copy(built_home: Path, tmp_path: Path) -> Path:
    """A private copy of the built store, for tests that change it."""
    target = tmp_path / "home-copy"
    shutil.copytree(built_home, target)
    return target


def run_cli(
    *args: str,
    home: Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 180,
    cwd: Path | None = None,
):
    """Run the installed ``sciqa`` command in a subprocess (in ``cwd``, if given)."""
    import subprocess

    full_env = {**os.environ, "SCIQA_HOME": str(home), "SCIQA_PROGRESS": "false", **(env or {})}
    exe = Path(sys.executable).with_name("sciqa")
    return subprocess.run(
        [str(exe), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=cwd,
    )


@dataclass(frozen=True)
class Ran:
    """What a ``sciqa`` run left: the same three fields as ``subprocess.CompletedProcess``."""

    returncode: int
    stdout: str
    stderr: str


class _Stderr(logging.Handler):
    """What a real process does with a record no handler takes (``logging.lastResort``): its
    message on whatever ``sys.stderr`` is at the time, here the runner's."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


def invoke_cli(
    *args: str,
    home: Path,
    stdin: str | bytes | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Ran:
    """``sciqa`` run in this process with click's ``CliRunner``: the same command, environment,
    stdin and working directory as :func:`run_cli`, without a new interpreter loading langchain,
    Chroma and the embedding model again (about 5 s a run). An exception the command let escape
    is raised here, where a real process would print a traceback and exit 1. Use :func:`run_cli`
    where the process itself is under test (argv bytes, signals, the installed entry point)."""
    from click.testing import CliRunner

    import sciqa
    from sciqa.cli import cli

    full_env = {"SCIQA_HOME": str(home), "SCIQA_PROGRESS": "false", **(env or {})}
    # pytest's log capture holds the root logger, so a warning would not reach stderr as it
    # does in a process of its own; put it there.
    handler = _Stderr()
    logging.getLogger().addHandler(handler)
    sciqa.default_pipeline.cache_clear()
    try:
        with contextlib.chdir(cwd or Path.cwd()):
            result = CliRunner().invoke(
                cli, list(args), input=stdin, env=full_env, prog_name="sciqa"
            )
    finally:
        logging.getLogger().removeHandler(handler)
        sciqa.default_pipeline.cache_clear()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def load_eval_script(name: str) -> Any:
    """``evals/<name>.py`` as a module (evals/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"evals_{name}", ROOT / "evals" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module
