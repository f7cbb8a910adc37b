"""Eval reports: JSON (every metric of both pipelines, every question), a Markdown summary with
the failures and the change since the last committed report, and a PNG chart.

Files are ``<out>/sciqa-eval.{json,md,png}`` for ``gold.jsonl`` and
``<out>/sciqa-eval-<stem>.*`` for another gold set. The JSON is deterministic apart from the
timestamp, timings and latencies: sorted keys, rounded floats.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from sciqa.harness.evalrun import Check, EvalRun, PipelineRun, Threshold
from sciqa.harness.evaluation import METRICS, QuestionResult

REPORT_VERSION = 1
REFERENCE_DIR = "evals/reports"  # where committed reports live in a checkout


def report_name(gold: Path) -> str:
    return "sciqa-eval" if gold.name == "gold.jsonl" else f"sciqa-eval-{gold.stem}"


def _round(value: float, places: int = 4) -> float | None:
    return None if value != value else round(value, places)  # NaN -> null


def _metrics(metrics: dict[str, float]) -> dict[str, float | None]:
    return {k: _round(v, 1 if k.startswith("latency") else 4) for k, v in metrics.items()}


def _row(r: QuestionResult) -> dict[str, Any]:
    return {
        "got": r.got,
        "abstained": r.abstained,
        "cited": list(r.cited),
        "correct": r.correct,
        "cited_gold_source": r.cited_gold_source,
        "resisted": r.resisted,
        "failed": r.failed,
        "latency_ms": round(r.latency_ms, 1),
        "scores": {k: round(v, 4) for k, v in sorted(r.scores.items())},
        "retrieved": list(r.retrieved),
        "unsupported": list(r.unsupported),
        "unsupported_claims": list(r.unsupported_claims),
    }


def _pipeline(p: PipelineRun) -> dict[str, Any]:
    return {
        "description": p.description,
        "metrics": _metrics(p.metrics),
        "failures": sum(r.failed for r in p.results),
        "setup_seconds": p.setup_seconds,
        "judge": {"verdicts": p.judged, "no_verdict": p.no_verdict},
        "model_errors": p.model_errors,
    }


def build_report(
    run: EvalRun,
    thresholds: dict[str, Threshold],
    result: Check,
    previous: tuple[dict[str, Any] | None, str],
) -> dict[str, Any]:
    """The JSON report as a dict."""
    items = run.items
    previous_data, previous_from = previous
    questions = []
    for n, item in enumerate(items):
        row: dict[str, Any] = {
            "id": item.id,
            "kind": item.kind,
            "question": item.question,
            "expected": item.answer,
            "answerable": item.answerable,
            "sources": item.sources,
        }
        for name, p in run.runs.items():
            row[name] = _row(p.results[n])
        questions.append(row)
    return {
        "version": REPORT_VERSION,
        "generated": run.started,
        "seconds": round(run.seconds, 1),
        "gold": {
            "path": str(run.gold),
            "name": run.gold.name,
            "sha256": hashlib.sha256(run.gold.read_bytes()).hexdigest(),
            "questions": len(items),
            "answerable": sum(i.answerable for i in items),
            "unanswerable": sum(not i.answerable for i in items),
            "injection": sum(bool(i.forbidden) for i in items),
        },
        "settings": run.settings,
        "pipelines": {name: _pipeline(p) for name, p in run.runs.items()},
        "thresholds": {
            t.metric: {"min" if t.minimum else "max": t.value} for t in thresholds.values()
        },
        "misses": result.misses,
        "unmeasured": result.unmeasured,
        "previous": (
            {"from": previous_from, "generated": previous_data.get("generated")}
            if previous_data
            else None
        ),
        "questions": questions,
    }


def dumps(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- the previous report ------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def previous_report(out: Path, name: str) -> tuple[dict[str, Any] | None, str]:
    """The report to compare with, and where it came from: the committed
    ``evals/reports/<name>.json`` of the git checkout ``out`` is in, else the file in ``out``
    (before it is overwritten)."""
    candidates: list[tuple[str | None, str]] = []
    where = out.resolve()
    while not where.is_dir():  # not written yet: ask from the nearest folder that exists
        where = where.parent
    top = _git(where, "rev-parse", "--show-toplevel")
    if top:
        rel = f"{REFERENCE_DIR}/{name}.json"
        candidates.append((_git(Path(top.strip()), "show", f"HEAD:{rel}"), f"git HEAD:{rel}"))
    path = out / f"{name}.json"
    if path.is_file():
        candidates.append((path.read_text(encoding="utf-8"), str(path)))
    for text, source in candidates:
        if text:
            try:
                data = json.loads(text)
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("version") == REPORT_VERSION:
                return data, source
    return None, ""


# -- Markdown -------------------------------------------------------------------------------


def _fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if metric.startswith("latency") else f"{value:.3f}"


def _delta(a: float | None, b: float | None, metric: str) -> str:
    if a is None or b is None:
        return "–"
    d = a - b
    if metric.startswith("latency"):
        return f"{d:+.0f}"
    return "0" if abs(d) < 5e-4 else f"{d:+.3f}"


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_markdown(report: dict[str, Any], previous: dict[str, Any] | None) -> str:
    gold, settings, pipes = report["gold"], report["settings"], report["pipelines"]
    names = list(pipes)
    lines = [
        f"# sciqa eval: {gold['name']}",
        "",
        f"{gold['questions']} questions ({gold['answerable']} answerable, "
        f"{gold['unanswerable']} unanswerable, {gold['injection']} with injected instructions), "
        f"answerer `{settings['answerer']}`"
        + (f", judge `{settings['judge']}`" if settings.get("judge") else "")
        + f", {report['generated']}, {report['seconds']:.0f} s.",
        "",
    ]
    lines += [f"- **{n}**: {pipes[n]['description']}." for n in names]
    lines.append("")
    if previous:
        note = f"Δ: change since the previous report ({report['previous']['from']}"
        note += f", {previous.get('generated')})"
        if previous.get("gold", {}).get("sha256") != gold["sha256"]:
            note += "; **the gold set has changed since**, so deltas compare different questions"
        lines += [note + ".", ""]
    else:
        lines += ["Δ: no previous report to compare with.", ""]
    if report["misses"]:
        lines += ["**Below threshold:** " + "; ".join(report["misses"]) + ".", ""]
    elif report["thresholds"]:
        lines += ["All thresholds met.", ""]

    head = ["metric", *names]
    if "naive" in pipes and "sciqa" in pipes:
        head.append("sciqa − naive")
    head += [f"Δ {n}" for n in names] + ["threshold"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" + "---:|" * (len(head) - 2) + "---|"]
    old = (previous or {}).get("pipelines", {})
    for metric in METRICS:
        values = [pipes[n]["metrics"].get(metric) for n in names]
        if all(v is None for v in values):
            continue
        cells = [metric, *(_fmt(v, metric) for v in values)]
        if "naive" in pipes and "sciqa" in pipes:
            cells.append(
                _delta(
                    pipes["sciqa"]["metrics"].get(metric),
                    pipes["naive"]["metrics"].get(metric),
                    metric,
                )
            )
        for n, v in zip(names, values):
            cells.append(_delta(v, old.get(n, {}).get("metrics", {}).get(metric), metric))
        t = report["thresholds"].get(metric)
        cells.append(
            "" if not t else ("≥ " if "min" in t else "≤ ") + f"{next(iter(t.values())):g}"
        )
        lines.append("| " + " | ".join(cells) + " |")
    lower = [m.name for m in METRICS.values() if not m.higher_is_better]
    lines += ["", f"Lower is better for {', '.join(lower)}; higher for the rest.", ""]
    for n in names:
        failed = [q for q in report["questions"] if q[n]["failed"]]
        lines += [f"## Failures of {n}: {len(failed)} of {gold['questions']}", ""]
        if n != "sciqa":
            lines += ["Per question in the JSON report.", ""]
            continue
        lines += ["| id | question | expected | got | cited |", "|---|---|---|---|---|"]
        for q in failed:
            got = q[n]
            shown = "*(abstained)*" if got["abstained"] else _cell(got["got"])
            lines.append(
                f"| {q['id']} | {_cell(q['question'], 120)} | {_cell(q['expected'], 120)} | "
                f"{shown} | {_cell(', '.join(dict.fromkeys(got['cited'])) or '–', 80)} |"
            )
        lines.append("")
    return "\n".join(lines)


# -- chart ----------------------------------------------------------------------------------


def render_chart(report: dict[str, Any], path: Path) -> None:
    """Horizontal bars of every 0–1 metric, one colour per pipeline; latencies in the title."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pipes = report["pipelines"]
    names = list(pipes)
    metrics = [
        m
        for m in METRICS
        if not m.startswith("latency")
        and any(pipes[n]["metrics"].get(m) is not None for n in names)
    ]
    fig = Figure(figsize=(8, 0.2 * len(metrics) * len(names) + 1.4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    height = 0.8 / len(names)
    colours = {"sciqa": "#1f77b4", "naive": "#bbbbbb"}
    for i, n in enumerate(names):
        ys = [
            len(metrics) - 1 - j + (len(names) - 1 - i - (len(names) - 1) / 2) * height
            for j in range(len(metrics))
        ]
        values = [pipes[n]["metrics"].get(m) or 0.0 for m in metrics]
        ax.barh(ys, values, height=height, label=n, color=colours.get(n))
        for y, v in zip(ys, values):
            ax.text(min(v, 1.0) + 0.01, y, f"{v:.2f}", va="center", fontsize=7)
    ax.set_yticks(range(len(metrics)), labels=list(reversed(metrics)), fontsize=8)
    ax.set_xlim(0, 1.12)
    ax.legend(loc="lower right", fontsize=8)
    latency = ", ".join(
        f"{n} p50 {_fmt(pipes[n]['metrics'].get('latency_p50_ms'), 'latency')} ms" for n in names
    )
    ax.set_title(f"sciqa eval: {report['gold']['name']} ({latency})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})


# -- writing --------------------------------------------------------------------------------


def _write(path: Path, write: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


NO_CHART = "no chart: matplotlib is not installed (pip install 'sciqa[eval]' adds it)"


def can_chart() -> bool:
    """Whether matplotlib, the chart's one dependency (the ``eval`` extra), is installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def write_reports(
    report: dict[str, Any], previous: dict[str, Any] | None, out: Path, name: str
) -> list[Path]:
    """Write the JSON, Markdown and (with matplotlib) PNG reports into ``out``; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.json", out / f"{name}.md", out / f"{name}.png"]
    _write(paths[0], lambda p: p.write_text(dumps(report), encoding="utf-8"))
    _write(paths[1], lambda p: p.write_text(render_markdown(report, previous), encoding="utf-8"))
    if not can_chart():
        paths[2].unlink(missing_ok=True)  # an older run's chart would not show this one
        return paths[:2]
    _write(paths[2], lambda p: render_chart(report, p))
    return paths


def summary_text(report: dict[str, Any], paths: list[Path]) -> str:
    """Lines for the terminal: each pipeline's metrics, and where the reports are."""
    pipes = report["pipelines"]
    names = list(pipes)
    lines = [
        f"sciqa eval: {report['gold']['path']}, {report['gold']['questions']} questions, "
        f"{report['seconds']:.0f} s",
        f"{'metric':22}" + "".join(f"{n:>10}" for n in names),
    ]
    for metric in METRICS:
        values = [pipes[n]["metrics"].get(metric) for n in names]
        if any(v is not None for v in values):
            lines.append(f"{metric:22}" + "".join(f"{_fmt(v, metric):>10}" for v in values))
    lines.append("reports: " + ", ".join(str(p) for p in paths))
    return "\n".join(lines)
