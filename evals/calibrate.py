"""Fit the extractive answerer (``src/sciqa/answerer/model.json``) on one or more collections,
and check it on the others.

    python evals/calibrate.py                                   # fit on both, write
    python evals/calibrate.py --fit amazon --check atlas --no-write   # fit one, check the other

A collection is a folder of documents with gold sets about it (:data:`COLLECTIONS`); each is
ingested alone into its own home under ``build/calibrate/``. For every question, every sentence
of the retrieved passages is a row of named features (``sciqa.answerer.features``), positive
when it holds one of the question's gold facts. Two models are fitted with bounded L-BFGS
(scipy):

1. which sentence answers: a listwise ranker (softmax over each question's sentences), then
   scaled to a probability by a one-feature logistic regression;
2. whether any does: a logistic regression over the best sentence, on standardised features,
   classes weighted equally, each weight held to the sign in :data:`QUESTION_SIGNS` so a few
   hundred questions cannot teach nonsense ("a question whose names are missing from the
   answer is more answerable").

The threshold is the one with the best mean net score on the fitting collections (right
answers plus right declines minus wrong answers, over all questions: a wrong answer costs as
much as a right one earns) while declining at most ``--max-false-abstention`` of the
answerable questions of each. ``--threshold-only`` keeps the shipped weights and picks only
the threshold.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from sciqa import Pipeline, Settings
from sciqa.answerer import ExtractiveAnswerer, Model, Question, clean_question, is_question
from sciqa.answerer.features import QUESTION, SENTENCE, question_row
from sciqa.answerer.model import Logistic
from sciqa.embeddings import make_embeddings
from sciqa.harness.evaluation import score
from sciqa.harness.gold import GoldItem, load_gold
from sciqa.harness.metrics import fact_present
from sciqa.harness.summary import summarize
from sciqa.resources import default_corpus
from sciqa.schema import Passage

ROOT = Path(__file__).resolve().parents[1]
EVALS = ROOT / "evals"
COLLECTIONS = {
    "amazon": (default_corpus(), [EVALS / "gold.jsonl", EVALS / "train.jsonl"]),
    "atlas": (EVALS / "collections" / "atlas", [EVALS / "atlas.jsonl"]),
}
# Sets never fitted on, for --check and --sweep (the Amazon ones over the bundled corpus).
CHECKS = {
    "heldout": (default_corpus(), [EVALS / "heldout.jsonl"]),
    "amazon2": (default_corpus(), [EVALS / "amazon2.jsonl"]),
    **{
        name: (EVALS / "collections" / name, [EVALS / f"{name}.jsonl"])
        for name in ("fresh", "unseen", "blind", "blind2")
    },
}
FITTED = list(COLLECTIONS)
COLLECTIONS.update(CHECKS)
# Which way each answerability feature may push: +1 more of it never makes an answer less
# likely, -1 never more likely, 0 free.
QUESTION_SIGNS = {
    "best": 1,
    "best_anchors_missing": -1,
    "best_missing_top": -1,
    "best_anchors_missing_passage": -1,
    "margin": 1,
    "best_type_near": 1,
    "best_focus_near": 1,
    "best_window": 1,
    "best_focus": 1,
    "best_dense": 1,
    "best_type_ok": 1,
    "asks_type": 0,
    "unknown": -1,
    "absent": -1,
}


@dataclass
class Case:
    item: GoldItem
    question: Question  # what the answerer reads: spelt as the collection spells, cleaned
    asked: str  # what the pipeline hands the answerer: spelt as the collection spells
    passages: list[Passage]


def load_cases(
    name: str, embeddings: object, probe_model: Model
) -> tuple[ExtractiveAnswerer, list[Case]]:
    """The collection's pipeline (ingested if needed) and its questions with their passages."""
    corpus, golds = COLLECTIONS[name]
    settings = Settings(home=ROOT / "build" / "calibrate" / name, corpus=corpus, progress=False)
    answerer = ExtractiveAnswerer(
        embeddings,  # type: ignore[arg-type]
        lambda: pipeline.store.lexicon,
        weights=probe_model,
        document=lambda p: pipeline.context_of(p),
    )
    pipeline = Pipeline(settings, embeddings=embeddings, answerer=answerer)  # type: ignore[arg-type]
    pipeline.ensure_ready()
    spell = pipeline.store.lexicon.correct
    cases = []
    for path in golds:
        for item in load_gold(path):
            asked = clean_question(item.question)
            if not is_question(asked):
                continue
            passages = pipeline.retrieve(item.question)
            # The pipeline searches and answers the question as the collection spells it.
            asked = spell(item.question)
            cases.append(Case(item, Question(clean_question(asked)), asked, passages))
    return answerer, cases


def _softmax_loss(
    w: np.ndarray, groups: list[tuple[np.ndarray, np.ndarray]], l2: float
) -> tuple[float, np.ndarray]:
    loss, grad = 0.5 * l2 * w @ w, l2 * w
    for x, target in groups:
        s = x @ w
        s = s - s.max()
        p = np.exp(s)
        z = p.sum()
        loss -= float(target @ (s - np.log(z))) / len(groups)
        grad = grad + x.T @ (p / z - target) / len(groups)
    return loss, grad


def _logistic_loss(
    w: np.ndarray, x: np.ndarray, y: np.ndarray, sample: np.ndarray, l2: float
) -> tuple[float, np.ndarray]:
    z = x @ w
    p = 1 / (1 + np.exp(-np.clip(z, -50, 50)))
    eps = 1e-12
    loss = -float(sample @ (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)))
    reg = np.append(w[:-1], 0.0)
    return loss + 0.5 * l2 * reg @ reg, x.T @ (sample * (p - y)) + l2 * reg


def fit_logistic(
    x: np.ndarray, y: np.ndarray, signs: np.ndarray, l2: float
) -> tuple[np.ndarray, float]:
    """Class-balanced logistic regression on standardised features with sign bounds (L-BFGS-B),
    returned as weights over the raw features."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    pos = y.sum()
    sample = np.where(y == 1, 0.5 / max(pos, 1), 0.5 / max(len(y) - pos, 1))
    bounds = [
        (0, 0) if s is None else (0, None) if s > 0 else (None, 0) if s < 0 else (None, None)
        for s in signs
    ]
    res = minimize(
        _logistic_loss,
        np.zeros(z.shape[1]),
        args=(z, y, sample, l2),
        jac=True,
        method="L-BFGS-B",
        bounds=[*bounds, (None, None)],
    )
    a = res.x[:-1] / std
    return a, float(res.x[-1] - (a * mean).sum())


def fit(
    answerer: list[ExtractiveAnswerer],
    cases: list[list[Case]],
    *,
    target: str = "answerable",
    only: list[str] | None = None,
) -> Model:
    names = list(SENTENCE)
    groups, rows, labels = [], [], []
    for a, cs in zip(answerer, cases):
        for case in cs:
            found = a.candidates(case.question, case.passages)
            if not found:
                continue
            x = np.array([[c.features[n] for n in names] for c in found])
            y = np.array(
                [
                    float(
                        case.item.answerable
                        and any(fact_present(f, c.text) for f in case.item.facts)
                    )
                    for c in found
                ]
            )
            rows.append(x)
            labels.append(y)
            if y.sum():
                groups.append((x, y / y.sum()))
    res = minimize(
        _softmax_loss, np.zeros(len(names)), args=(groups, 1e-2), jac=True, method="L-BFGS-B"
    )
    direction = res.x
    x_all, y_all = np.vstack(rows), np.concatenate(labels)
    (scale,), bias = fit_logistic((x_all @ direction)[:, None], y_all, np.array([1]), 0.0)
    scale *= 1.0  # standardisation folded back in by fit_logistic
    sentence = Logistic(dict(zip(names, (scale * direction).tolist())), bias)
    print(f"sentences: {len(y_all)} rows, {int(y_all.sum())} positive, {len(groups)} questions")
    for n in names:
        print(f"  {n:18} {sentence.weights[n]:+.3f}")

    qnames = list(QUESTION)
    qrows, qy = [], []
    for a, cs in zip(answerer, cases):
        a.weights = Model(sentence, a.weights.question, a.weights.threshold)
        for case in cs:
            ranked = a.score(case.question, case.passages)
            if ranked:
                row = question_row(a.evidence(case.question, ranked))
                qrows.append([row[n] for n in qnames])
                right = any(fact_present(f, ranked[0].text) for f in case.item.facts)
                qy.append(float(case.item.answerable and (target == "answerable" or right)))
    signs = np.array(
        [QUESTION_SIGNS[n] if n in (only or qnames) else None for n in qnames], dtype=object
    )
    w, b = fit_logistic(np.array(qrows), np.array(qy), signs, l2=0.05)
    question = Logistic(dict(zip(qnames, w.tolist())), b)
    print("question:")
    for n in qnames:
        print(f"  {n:22} {question.weights[n]:+.3f}")
    return Model(sentence, question, 0.5)


def evaluate(answerer: ExtractiveAnswerer, cases: list[Case], model: Model) -> dict[str, float]:
    answerer.weights, answerer.min_score = model, model.threshold
    results, words = [], []
    for case in cases:
        answer = answerer.answer(case.asked, case.passages)
        results.append(score(case.item, answer))
        if not answer.abstained:
            words.append(len(answer.answer.split()))
    s = summarize(results)
    return {
        "net": round(float(np.mean([r.scores["net"] for r in results])), 3),
        "answered_correctly": round(s.answered_correctly, 3),
        "abstain_recall": round(s.abstain_recall, 3),
        "false_abstention": round(s.false_abstention, 3),
        "median_words": float(np.median(words)) if words else 0.0,
        "questions": len(cases),
    }


def pick_threshold(
    answerers: list[ExtractiveAnswerer], cases: list[list[Case]], model: Model, max_fa: float
) -> float:
    best = None
    for t in np.arange(0.05, 0.96, 0.025):
        m = Model(model.sentence, model.question, float(t))
        scores = [evaluate(a, cs, m) for a, cs in zip(answerers, cases)]
        fa = max(s["false_abstention"] for s in scores)
        key = sum(s["net"] for s in scores)
        if fa <= max_fa and (best is None or key > best[0]):
            best = (key, float(t))
    assert best is not None, "no threshold keeps false abstention low enough"
    return best[1]


def sweep(names: list[str]) -> None:
    """Each collection's net score (and the share of its answerable questions declined) with
    the shipped weights at each threshold: what picking one trades on each."""
    embeddings = make_embeddings(Settings())
    thresholds = [round(t, 3) for t in np.arange(0.40, 0.701, 0.05)]
    print("threshold " + " ".join(f"{t:>11.2f}" for t in thresholds))
    shipped = Model.shipped()
    for name in names:
        answerer, cases = load_cases(name, embeddings, Model.blank())
        row = [
            evaluate(answerer, cases, Model(shipped.sentence, shipped.question, t))
            for t in thresholds
        ]
        print(
            f"{name:9} " + " ".join(f"{s['net']:+.3f} ({s['false_abstention']:.2f})" for s in row)
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", nargs="+", default=FITTED, choices=list(COLLECTIONS))
    ap.add_argument("--check", nargs="*", default=[], choices=list(COLLECTIONS))
    ap.add_argument("--max-false-abstention", type=float, default=0.20)
    ap.add_argument(
        "--threshold-only", action="store_true", help="keep the shipped weights, pick the threshold"
    )
    ap.add_argument("--threshold", type=float, help="write this threshold instead of picking one")
    ap.add_argument(
        "--sweep",
        action="store_true",
        help="print each collection's net score at thresholds 0.40-0.70 (shipped weights)",
    )
    ap.add_argument("--no-write", action="store_true", help="print the figures only")
    args = ap.parse_args()
    os.environ.setdefault("SCIQA_PROGRESS", "false")
    if args.sweep:
        sweep(args.check or list(COLLECTIONS))
        return
    embeddings = make_embeddings(Settings())
    loaded = {n: load_cases(n, embeddings, Model.blank()) for n in {*args.fit, *args.check}}
    answerers = [loaded[n][0] for n in args.fit]
    fitting = [loaded[n][1] for n in args.fit]
    model = Model.shipped() if args.threshold_only else fit(answerers, fitting)
    threshold = args.threshold
    if threshold is None:
        threshold = pick_threshold(answerers, fitting, model, args.max_false_abstention)
    model = Model(model.sentence, model.question, threshold)
    report = {n: evaluate(loaded[n][0], loaded[n][1], model) for n in loaded}
    print(f"threshold {threshold:.3f}")
    for n, s in report.items():
        print(f"  {n:8} {'fitted' if n in args.fit else 'CHECK '} {s}")
    if args.no_write:
        return
    path = ROOT / "src" / "sciqa" / "answerer" / "model.json"
    picked_on = {n: [p.name for p in COLLECTIONS[n][1]] for n in args.fit}
    fitted_on, fitted = picked_on, date.today().isoformat()
    if args.threshold_only:  # the weights stay as they were fitted
        shipped = json.loads(path.read_text(encoding="utf-8"))
        fitted_on, fitted = shipped["fitted_on"], shipped["fitted"]
    out = {
        "sentence": model.sentence.to_dict(),
        "question": model.question.to_dict(),
        "threshold": round(threshold, 3),
        "fitted_on": fitted_on,
        "fitted": fitted,
        "threshold_picked_on": picked_on,
        "threshold_picked": date.today().isoformat(),
        "threshold_rule": (
            f"given (--threshold {threshold}; evals/calibrate.py --sweep shows what it trades)"
            if args.threshold is not None
            else f"best mean net, declining at most {args.max_false_abstention:.0%} of each"
        ),
        "figures": report,
    }
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
