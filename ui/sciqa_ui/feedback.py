"""Thumbs up and down: one redacted JSON line per rating in ``SCIQA_HOME/feedback.jsonl``."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sciqa import Pipeline
from sciqa.redaction import redact
from sciqa_ui.session import Turn


def feedback_path(pipeline: Pipeline) -> Path:
    return pipeline.settings.home / "feedback.jsonl"


def record_feedback(
    path: Path, turn: Turn, liked: bool | str, *, now: datetime | None = None
) -> dict[str, Any]:
    """Append one JSON line: timestamp, rating, question, answer, citations (redacted)."""
    ratings: dict[bool | str, str] = {True: "up", False: "down", "Like": "up", "Dislike": "down"}
    rating = ratings.get(liked, str(liked))
    answer = turn.answer
    entry: dict[str, Any] = {
        "timestamp": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "rating": rating,
        "question": turn.question,
        "answer": answer.answer if answer else None,
        "abstained": answer.abstained if answer else None,
        "model": answer.model if answer else None,
        "citations": [asdict(c) for c in answer.citations] if answer else [],
    }
    if turn.error:
        entry["error"] = turn.error
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = json.loads(redact(json.dumps(entry, ensure_ascii=False)))
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    # One write to a file opened for appending: lines from concurrent sessions never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return entry
