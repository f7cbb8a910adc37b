"""Measuring sciqa: ``sciqa eval`` (the harness, :mod:`sciqa.harness`, imported when the
command runs) and ``sciqa bench`` (:mod:`sciqa.harness.bench`)."""

from __future__ import annotations

import json
import sys

import click

from sciqa.cli.shell import clean_errors, make_pipeline


@click.command("eval")
@click.option(
    "--gold",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Gold set, JSONL (default: evals/gold.jsonl).",
)
@click.option(
    "--llm",
    type=click.Choice(["extractive", "openai"]),
    default=None,
    help="Answerer of both pipelines (default: SCIQA_LLM).",
)
@click.option(
    "--judge/--no-judge",
    default=None,
    help="Also score faithfulness with the LLM judge (default: on with --llm openai).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report to stdout.")
@click.option(
    "--threshold",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set one metric's threshold, e.g. answer_accuracy=0.8 (repeatable).",
)
@click.option(
    "--thresholds",
    "thresholds_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Thresholds file (default: thresholds.toml beside the gold set).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="evals/reports",
    show_default=True,
    help="Folder for the reports.",
)
@click.option("--no-baseline", is_flag=True, help="Skip the naive baseline.")
@clean_errors
def eval_(
    gold: str | None,
    llm: str | None,
    judge: bool | None,
    as_json: bool,
    overrides: tuple[str, ...],
    thresholds_file: str | None,
    out: str,
    no_baseline: bool,
) -> None:
    """Score sciqa and a naive baseline on gold questions; exit 1 below any threshold.

    Both answer every gold question from the same store and embeddings with the same answerer:
    sciqa, and the pipeline of LangChain's RAG tutorial (1000-character chunks of the raw files,
    Chroma similarity top 4). Writes sciqa-eval.json (every metric and question), .md (the
    table, the change since the committed report, the failures) and .png to --out; prints one
    line per missed threshold on stderr.

    A question the model fails on (down, timeout, garbage) is scored as a wrong answer and
    counted on stderr: unlike `sciqa ask`, the eval never falls back to the offline answerer,
    since it measures the model.

    \b
    Examples:
      sciqa eval
      sciqa eval --gold evals/heldout.jsonl --json > heldout.json
      sciqa eval --threshold answer_accuracy=0.8 --threshold latency_p95_ms=500
    """
    from pathlib import Path

    from sciqa.harness import evalrun, reporting
    from sciqa.harness.judge import make_judge_model

    gold_path = Path(gold) if gold else evalrun.default_gold()
    limits_file = Path(thresholds_file) if thresholds_file else gold_path.parent / "thresholds.toml"
    limits = evalrun.load_thresholds(limits_file, gold_path.stem)
    limits.update(evalrun.parse_overrides(overrides))
    pipeline = make_pipeline(llm=llm, progress=None if sys.stderr.isatty() else False)
    use_judge = judge if judge is not None else llm == "openai"
    run = evalrun.run(
        pipeline,
        gold_path,
        llm=llm,
        baseline=not no_baseline,
        judge=make_judge_model(pipeline.settings) if use_judge else None,
        progress=pipeline.settings.progress,
    )
    checked = evalrun.check(run.runs["sciqa"].metrics, limits)
    name, out_dir = reporting.report_name(gold_path), Path(out)
    previous = reporting.previous_report(out_dir, name)
    report = reporting.build_report(run, limits, checked, previous)
    paths = reporting.write_reports(report, previous[0], out_dir, name)
    if not any(p.suffix == ".png" for p in paths):
        click.echo(f"sciqa: eval: {reporting.NO_CHART}", err=True)
    if as_json:
        click.echo(reporting.dumps(report), nl=False)
    else:
        click.echo(reporting.summary_text(report, paths))
    for metric in checked.unmeasured:
        click.echo(f"sciqa: eval: {metric} was not measured; its threshold is skipped", err=True)
    if errors := run.runs["sciqa"].model_errors:
        click.echo(f"sciqa: eval: the model failed on {errors} question(s), scored wrong", err=True)
    for miss in checked.misses:
        click.echo(f"sciqa: eval: {miss}", err=True)
    if checked.misses:
        sys.exit(1)


# -- bench: the measurements live in harness/bench.py ----------------------------------------------


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the measurements as one JSON object.")
@click.option(
    "--max-chunks",
    type=click.IntRange(1_000, None),
    default=100_000,
    show_default=True,
    help=(
        "Largest scaling row (1k, 10k, 100k, 1M chunks); 10000 skips the 100k row, "
        "1000000 adds the 1M row (about an hour)."
    ),
)
@clean_errors
def bench(as_json: bool, max_chunks: int) -> None:
    """Measure ingest, retrieval and answer costs here, sciqa beside the naive baseline.

    Works in a temporary SCIQA_HOME (your store is not touched) and takes about ten minutes
    with the 100k-chunk row on 2 cores.

    \b
    Example:
      sciqa bench --json --max-chunks 10000
    """
    from sciqa.harness import bench as measure

    report = measure.run(max_chunks, log=lambda m: click.echo(f"bench: {m}", err=True))
    if as_json:
        click.echo(json.dumps(report))
        return
    rows = (
        "ingest_s",
        "reingest_s",
        "ingest_chunks_per_s",
        "model_chunks_per_s",
        "retrieve_p50_ms",
        "retrieve_p95_ms",
        "answer_p50_ms",
        "peak_rss_mb",
    )
    click.echo(f"{'':22}{'sciqa':>10}{'naive':>10}")
    for key in rows:
        click.echo(f"{key:22}{report['sciqa'][key]:>10}{report['naive'][key]:>10}")
    click.echo(f"{'ask_cold_start_s':22}{report['sciqa']['ask_cold_start_s']:>10}")
    click.echo()
    click.echo(
        f"{'chunks':>8}{'p50 ms':>9}{'p95 ms':>9}{'RSS MB':>9}{'store MB':>10}"
        f"{'add 10 s':>10}{'BM25 s':>8}"
    )
    for r in report["scaling"]:
        click.echo(
            f"{r['chunks']:>8}{r['retrieve_p50_ms']:>9}{r['retrieve_p95_ms']:>9}"
            f"{r['rss_mb']:>9}{r['store_mb']:>10}{r['add10_s']:>10}{r['add10_bm25_s']:>8}"
        )
