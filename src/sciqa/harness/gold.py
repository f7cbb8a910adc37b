"""Gold sets: JSONL, one question a line with what a correct answer must contain
(``evals/gold.jsonl``, ``evals/heldout.jsonl``, ...)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict


class GoldItem(BaseModel):
    """One gold question with what a correct answer must contain."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    question: str
    answer: str
    answerable: bool
    sources: list[str]
    facts: list[str]
    evidence: list[str]
    kind: str
    forbidden: list[str] = []


def load_gold(path: Path) -> list[GoldItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                items.append(GoldItem.model_validate_json(line))
            except ValueError as e:
                raise ValueError(f"{path}:{n}: not a gold item: {e}") from e
    return items
