"""Time to the first streamed text and to the checked answer, live, through ``Pipeline.stream``.

Against the pinned instrument (``scripts/llm-instrument.sh start``) on the first N questions
of a gold set, after one warm-up question, with the settings of the committed LLM reports:

    python evals/llm_latency.py [N] [GOLD]      # default 12, evals/heldout.jsonl

The store is $SCIQA_HOME (default build/eval-home, as `make test` builds it).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

from llm_replay import INSTRUMENT


def main(argv: list[str]) -> int:
    for name, value in INSTRUMENT.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("SCIQA_HOME", "build/eval-home")
    from sciqa import Answer, Pipeline, Settings

    n = int(argv[0]) if argv else 12
    gold = Path(argv[1] if len(argv) > 1 else "evals/heldout.jsonl")
    with gold.open(encoding="utf-8") as f:
        questions = [json.loads(line)["question"] for line in f if line.strip()][:n]
    pipe = Pipeline(Settings())
    pipe.ask(questions[0])  # the store, the embedder and the server's prompt cache warmed
    first, total = [], []
    for q in questions:
        for part in pipe.stream(q):
            if isinstance(part, Answer):
                first += [part.timings["first_text_ms"]] if "first_text_ms" in part.timings else []
                total.append(part.timings["total_ms"])
    total.sort()
    p95 = total[max(0, round(0.95 * len(total)) - 1)]
    print(
        f"{len(questions)} questions: first streamed text p50 {statistics.median(first):.0f} ms; "
        f"checked answer p50 {statistics.median(total):.0f} ms, p95 {p95:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
