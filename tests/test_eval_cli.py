"""``sciqa eval`` on a small gold subset, run in process against a copy of the real store."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from sciqa.harness.evaluation import METRICS
from sciqa.harness.reporting import NO_CHART

from .conftest import ROOT, invoke_cli

SUBSET = ["g001", "g005", "g045", "g061", "g083", "g085", "g102", "g103"]
VOLATILE = {"generated", "seconds", "latency_ms", "setup_seconds", "previous", "misses"}


@pytest.fixture(scope="module")
def eval_home(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the built store for the module: the naive index is built once, then reused."""
    target = tmp_path_factory.mktemp("eval") / "home"
    shutil.copytree(built_home, target)
    return target


@pytest.fixture(scope="module")
def subset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight gold questions (factoid, job, two-document, unanswerable, injected) and a
    thresholds file beside them."""
    folder = tmp_path_factory.mktemp("gold")
    lines = (ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    chosen = [line for line in lines if json.loads(line)["id"] in SUBSET]
    assert len(chosen) == len(SUBSET)
    (folder / "subset.jsonl").write_text("\n".join(chosen) + "\n", encoding="utf-8")
    (folder / "thresholds.toml").write_text(
        '[min]\n"doc_recall@5" = 0.5\nquote_validity = 1.0\n[max]\nlatency_p95_ms = 60000\n'
    )
    return folder / "subset.jsonl"


@pytest.fixture(scope="module")
def first(eval_home: Path, subset: Path) -> dict[str, Any]:
    out = subset.parent / "reports"
    result = invoke_cli("eval", "--gold", str(subset), "--out", str(out), home=eval_home)
    assert result.returncode == 0, result.stderr[-3000:]
    return {
        "result": result,
        "out": out,
        "report": json.loads((out / "sciqa-eval-subset.json").read_text(encoding="utf-8")),
        "md": (out / "sciqa-eval-subset.md").read_text(encoding="utf-8"),
        "png": (out / "sciqa-eval-subset.png").read_bytes(),
    }


def _stable(data: Any) -> Any:
    """The report without timestamps, timings and latencies."""
    if isinstance(data, dict):
        return {
            k: _stable(v)
            for k, v in data.items()
            if k not in VOLATILE and not k.startswith("latency_p")
        }
    if isinstance(data, list):
        return [_stable(v) for v in data]
    return data


def test_eval_scores_both_pipelines_and_writes_three_reports(first: dict[str, Any]) -> None:
    report, md = first["report"], first["md"]
    assert set(report["pipelines"]) == {"sciqa", "naive"}
    assert [q["id"] for q in report["questions"]] == SUBSET
    for name in ("sciqa", "naive"):
        m = report["pipelines"][name]["metrics"]
        assert set(m) == set(METRICS) - {"llm_faithfulness"}  # the judge is off
        assert m["quote_validity"] == 1.0
        shares = {k: v for k, v in m.items() if not k.startswith(("latency", "answer_words"))}
        assert all(0.0 <= v <= 1.0 for v in shares.values())
        assert all(q[name]["retrieved"] for q in report["questions"])
    # the thresholds file beside the gold set was read
    assert report["thresholds"] == {
        "doc_recall@5": {"min": 0.5},
        "quote_validity": {"min": 1.0},
        "latency_p95_ms": {"max": 60000.0},
    }
    assert report["misses"] == [] and "All thresholds met." in md
    assert "| metric | sciqa | naive | sciqa − naive | Δ sciqa | Δ naive | threshold |" in md
    assert "| answer_accuracy |" in md and "## Failures of sciqa" in md
    assert "no previous report" in md
    assert first["png"].startswith(b"\x89PNG")
    out = first["result"].stdout
    assert out.startswith("sciqa eval: ") and "reports: " in out


def test_json_and_a_missed_threshold_exit_non_zero(
    first: dict[str, Any], eval_home: Path, subset: Path
) -> None:
    result = invoke_cli(
        "eval",
        "--gold",
        str(subset),
        "--out",
        str(first["out"]),
        "--json",
        "--threshold",
        "answer_accuracy=1.01",
        home=eval_home,
    )
    assert result.returncode == 1, result.stderr[-3000:]
    report = json.loads(result.stdout)
    accuracy = report["pipelines"]["sciqa"]["metrics"]["answer_accuracy"]
    miss = f"answer_accuracy {accuracy:.3f} < 1.010"
    assert report["misses"] == [miss]
    assert [line for line in result.stderr.splitlines() if line.startswith("sciqa:")] == [
        f"sciqa: eval: {miss}"
    ]
    # compared with the first run's report, and the same numbers again: deterministic
    md = (first["out"] / "sciqa-eval-subset.md").read_text(encoding="utf-8")
    assert f"change since the previous report ({first['out'] / 'sciqa-eval-subset.json'}" in md
    assert "| answer_accuracy |" in md and "**Below threshold:** " + miss in md
    before, after = _stable(first["report"]), _stable(report)
    before.pop("thresholds"), after.pop("thresholds")
    assert before == after


def test_unknown_threshold_name_is_a_clean_error(eval_home: Path) -> None:
    result = invoke_cli("eval", "--threshold", "answr_accuracy=0.5", home=eval_home)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("sciqa: error: unknown metric 'answr_accuracy'")
    assert "answer_accuracy" in lines[0]  # the valid names are listed


def test_without_matplotlib_the_reports_are_written_and_the_chart_is_said_missing(
    eval_home: Path, subset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """matplotlib is the ``eval`` extra, not a dependency of the chat page: without it the
    JSON and Markdown reports are written and one line says why there is no chart."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    out = tmp_path / "reports"
    out.mkdir()
    (out / "sciqa-eval-subset.png").write_bytes(b"an older run's chart")  # not left beside
    result = invoke_cli(
        "eval", "--gold", str(subset), "--out", str(out), "--no-baseline", home=eval_home
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == [
        "sciqa-eval-subset.json",
        "sciqa-eval-subset.md",
    ]
    assert f"sciqa: eval: {NO_CHART}" in result.stderr.splitlines()
    assert "sciqa-eval-subset.png" not in result.stdout
