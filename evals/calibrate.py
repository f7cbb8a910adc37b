"""Fit the extractive answerer's sentence scorer on the gold set, and pick its abstain threshold.

    python evals/calibrate.py [--gold FILE ...]

It fits on ``evals/gold.jsonl`` (the eval set) and ``evals/train.jsonl`` (more questions in the
same style, half of them unanswerable, written only to fit on). For every question, every
sentence of the retrieved passages is a training row (features from
``sciqa.answering.FEATURES``); it is positive when it holds one of the question's gold facts.
A listwise ranker (numpy, L2) gives the weights, scaled to a probability by a logistic
regression (balanced classes); a second logistic regression over the best sentences' features
says whether the question is answerable at all, and the threshold is the one that abstains on
the most unanswerable questions while abstaining on at most 10% of answerable ones. Writes
``src/sciqa/extractive.json``. Check the result on the held-out set with
``sciqa eval --gold evals/heldout.jsonl``: it was not used here.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import date
from pathlib import Path

import numpy as np

from sciqa import Pipeline, Settings
from sciqa.answering import (
    ANSWERABILITY,
    FEATURES,
    ExtractiveAnswerer,
    Weights,
    _Candidate,
    clean_question,
    is_question,
)
from sciqa.embeddings import make_embeddings
from sciqa.evaluation import fact_present, load_gold, score, summarize
from sciqa.schema import Passage

ROOT = Path(__file__).resolve().parents[1]


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-3) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method, classes weighted equally."""
    pos = y.sum()
    sample = np.where(y == 1, 0.5 / pos, 0.5 / (len(y) - pos))
    x1 = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(x1.shape[1])
    reg = l2 * np.eye(x1.shape[1])
    reg[-1, -1] = 0.0  # the bias is not shrunk
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x1 @ w)))
        grad = x1.T @ (sample * (p - y)) + reg @ w
        hess = x1.T @ (x1 * (sample * p * (1 - p))[:, None]) + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def fit_standardized(
    x: np.ndarray, y: np.ndarray, l2: float, signs: np.ndarray
) -> tuple[np.ndarray, float]:
    """A logistic regression (classes weighted equally) on features scaled to mean 0 and
    variance 1, so that the penalty weighs every feature alike, with each weight kept to its
    sign in ``signs`` (+1: more of it never means less likely, -1: never more likely, 0: free),
    then unscaled: the same linear model over the raw features.

    The signs keep a few dozen examples from teaching nonsense that new questions then hit
    ("words the collection never uses make a question more answerable"). Projected gradient
    descent: the loss is convex and the allowed weights a convex set."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    pos = y.sum()
    sample = np.where(y == 1, 0.5 / pos, 0.5 / (len(y) - pos))
    lower = np.append(np.where(signs > 0, 0.0, -np.inf), -np.inf)
    upper = np.append(np.where(signs < 0, 0.0, np.inf), np.inf)
    rate = 1 / (0.25 * np.linalg.eigvalsh(z.T @ (z * sample[:, None])).max() + l2)  # 1/Lipschitz
    w = np.zeros(z.shape[1])
    for _ in range(50_000):
        p = 1 / (1 + np.exp(-(z @ w)))
        grad = z.T @ (sample * (p - y)) + l2 * np.append(w[:-1], 0.0)
        step = np.clip(w - rate * grad, lower, upper) - w
        w += step
        if np.abs(step).max() < 1e-9:
            break
    a = w[:-1] / std
    return a, float(w[-1] - (a * mean).sum())


def fit_ranker(groups: list[tuple[np.ndarray, np.ndarray]], l2: float = 1e-3) -> np.ndarray:
    """Listwise learning to rank: weights under which, for each question, the sentences holding
    a gold fact take the most of a softmax over that question's sentences (ListNet with a
    one-hot-ish target). It ranks the answering sentence first more often than a pointwise fit
    over all sentences at once (on this gold set: 75% against 68% of answerable questions)."""
    groups = [(x, y / y.sum()) for x, y in groups if y.sum() > 0]
    w = np.zeros(groups[0][0].shape[1])
    for _ in range(3000):  # plain gradient descent: 14 weights, a convex loss
        grad = l2 * w
        for x, target in groups:
            s = x @ w
            p = np.exp(s - s.max())
            grad += x.T @ (p / p.sum() - target) / len(groups)
        w -= 0.5 * grad
    return w


# Which way each answerability feature may push (see fit_standardized).
ANSWERABILITY_SIGNS = {
    "best": 1,
    "best_focus": 1,
    "best_type_ok": 1,
    "top_focus": 1,
    "top_type_ok": 1,
    "best_lex": 1,
    "best_dense": 1,
    "best_count_near": 1,
    "best_new_entity": 1,
    "asks_count": 0,
    "asks_entity": 0,
    "unknown": -1,
    "absent": -1,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--gold",
        type=Path,
        action="append",
        help="gold set to fit on (repeatable; default: evals/gold.jsonl and evals/train.jsonl)",
    )
    ap.add_argument("--max-false-abstention", type=float, default=0.10)
    args = ap.parse_args()
    os.environ.setdefault("SCIQA_PROGRESS", "false")

    settings = Settings()
    embeddings = make_embeddings(settings)
    unfitted = Weights(
        (0.0,) * len(FEATURES), 0.0, (0.0,) * len(ANSWERABILITY), 0.0, 0.5
    )  # the shipped weights may not match the features being fitted
    probe = ExtractiveAnswerer(embeddings, lambda: pipeline.store.lexicon, weights=unfitted)
    pipeline = Pipeline(settings, embeddings=embeddings, answerer=probe)
    pipeline.ensure_ready()
    # The answerer drops instructions from a question and declines orders (see
    # ExtractiveAnswerer.answer), after the pipeline corrected its spelling; it is fitted on
    # what it really scores.
    spell = pipeline.store.lexicon.correct
    fitted_on = args.gold or [ROOT / "evals" / "gold.jsonl", ROOT / "evals" / "train.jsonl"]
    gold = [
        i.model_copy(update={"question": spell(clean_question(i.question))})
        for path in fitted_on
        for i in load_gold(path)
        if is_question(clean_question(i.question))
    ]
    passages, groups = {}, []
    for item in gold:
        passages[item.id] = pipeline.retrieve(item.question)
        candidates, x = probe.candidates(item.question, passages[item.id])
        y = [any(fact_present(f, c.text) for f in item.facts) for c in candidates]
        groups.append((x, np.array(y, dtype=float) * item.answerable))
    # Rank the sentences listwise, then scale that ranking score into a probability that a
    # sentence answers (the scale and bias matter: the answer quotes the sentences within half
    # the best one's probability, and the answerability model reads it).
    direction = fit_ranker(groups)
    x = np.vstack([g[0] for g in groups if len(g[1])])
    y = np.concatenate([g[1] for g in groups])
    (scale,), b = fit((x @ direction)[:, None], y)
    w = scale * direction
    print(f"{len(y)} sentences, {int(y.sum())} positive")
    for name, value in zip(FEATURES, w):
        print(f"  {name:12} {value:+.3f}")

    answerer = ExtractiveAnswerer(
        pipeline.embeddings,
        lambda: pipeline.store.lexicon,
        weights=Weights(tuple(w), float(b), (0.0,) * len(ANSWERABILITY), 0.0, 0.5),
    )
    ranked = {i.id: answerer.score(i.question, passages[i.id]) for i in gold}
    scored = [i for i in gold if ranked[i.id]]
    z = np.array([answerer.answerability_features(ranked[i.id], i.question) for i in scored])
    # 49 unanswerable questions are few for 13 features: standardised, regularised (the penalty
    # picked by 5-fold cross-validation over gold and train) and each weight kept to its sign.
    signs = np.array([ANSWERABILITY_SIGNS[name] for name in ANSWERABILITY])
    answerable = np.array([i.answerable for i in scored], dtype=float)
    a, a0 = fit_standardized(z, answerable, l2=0.01, signs=signs)
    print("answerability:")
    for name, value in zip(ANSWERABILITY, a):
        print(f"  {name:12} {value:+.3f}")
    answerer.weights = Weights(tuple(w), float(b), tuple(a), float(a0), 0.5)

    # The threshold is picked on whole answers (a question asking two things is answered in
    # parts); the sentences of each (part of a) question are scored once, not per threshold.
    plain_score, memo = answerer.score, {}

    def score_once(question: str, found: list[Passage]) -> list[_Candidate]:
        if (question, id(found)) not in memo:
            memo[question, id(found)] = plain_score(question, found)
        return memo[question, id(found)]

    answerer.score = score_once  # type: ignore[method-assign]
    best = None
    for threshold in np.arange(0.05, 0.96, 0.01):
        answerer.min_score = float(threshold)
        results = [score(i, answerer.answer(i.question, passages[i.id])) for i in gold]
        s = summarize(results)
        if s.false_abstention <= args.max_false_abstention:
            key = (s.abstain_recall + s.answered_correctly, -threshold)
            if best is None or key > best[0]:
                best = (key, float(threshold), s)
    assert best is not None, "no threshold keeps false abstention low enough"
    _, threshold, s = best
    print(f"threshold {threshold:.2f}: {s}")
    out = {
        "features": list(FEATURES),
        "weights": [round(float(v), 5) for v in w],
        "bias": round(float(b), 5),
        "answerability_features": list(ANSWERABILITY),
        "answerability": [round(float(v), 5) for v in a],
        "answerability_bias": round(float(a0), 5),
        "threshold": round(threshold, 3),
        "fitted_on": [p.name for p in fitted_on],
        "fitted": date.today().isoformat(),
        "dev": {
            "answered_correctly": round(s.answered_correctly, 4),
            "abstain_recall": round(s.abstain_recall, 4),
            "false_abstention": round(s.false_abstention, 4),
        },
    }
    (ROOT / "src" / "sciqa" / "extractive.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
