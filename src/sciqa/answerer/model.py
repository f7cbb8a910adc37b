"""The fitted weights: two small logistic models over named features, and a threshold.

``model.json`` (beside this file, shipped in the wheel) is written by ``evals/calibrate.py``:
``{"sentence": {"weights": {name: w}, "bias": b}, "question": {...}, "threshold": t}``. A
weights file that does not name exactly the features of :mod:`sciqa.answerer.features` is
refused, so a feature added, renamed or dropped without a refit fails loudly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sciqa.answerer.features import QUESTION, SENTENCE
from sciqa.errors import ConfigError

MODEL_FILE = "model.json"


@dataclass(frozen=True)
class Logistic:
    """``sigmoid(bias + sum(weights[name] * row[name]))``."""

    weights: Mapping[str, float]
    bias: float

    def probability(self, row: Mapping[str, float]) -> float:
        z = self.bias + sum(w * row[name] for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": {k: round(v, 5) for k, v in self.weights.items()},
            "bias": round(self.bias, 5),
        }


@dataclass(frozen=True)
class Model:
    """Which sentence answers (``sentence``), whether any does (``question``), and the
    probability below which the answerer says the documents do not hold the answer."""

    sentence: Logistic
    question: Logistic
    threshold: float

    @classmethod
    def shipped(cls) -> Model:
        text = resources.files("sciqa.answerer").joinpath(MODEL_FILE).read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        parts = {}
        for part, names in (("sentence", SENTENCE), ("question", QUESTION)):
            weights = {k: float(v) for k, v in data[part]["weights"].items()}
            if set(weights) != set(names):
                raise ConfigError(
                    f"the answerer's {MODEL_FILE} names {sorted(weights)} for its {part} model, "
                    f"but the features are {sorted(names)}: run `make calibrate`"
                )
            parts[part] = Logistic(weights, float(data[part]["bias"]))
        return cls(parts["sentence"], parts["question"], float(data["threshold"]))

    @classmethod
    def blank(cls, threshold: float = 0.5) -> Model:
        """Zero weights: what calibration starts from."""
        return cls(
            Logistic(dict.fromkeys(SENTENCE, 0.0), 0.0),
            Logistic(dict.fromkeys(QUESTION, 0.0), 0.0),
            threshold,
        )
