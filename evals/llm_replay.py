"""``sciqa eval --llm openai`` with every model reply recorded once and replayed after.

The LLM path's figures move with the model's replies. To measure a change to what sciqa does
with the replies (the claim checks, citations), the same replies must come back: this runs
``sciqa eval`` inside a vcrpy cassette that records each request the pinned instrument
(scripts/llm-instrument.sh, Qwen2.5-Coder-1.5B-Instruct on 127.0.0.1:8089) answers and
replays it next time; a request not yet recorded (a changed prompt, the claim check's own
call) goes to the server and is added. With every request recorded, no server is needed.

    python evals/llm_replay.py evals/cassettes/llm-gold.yaml evals/gold.jsonl build/eval-llm
    SCIQA_HOME=build/eval-atlas python evals/llm_replay.py evals/cassettes/llm-atlas.yaml \\
        evals/atlas.jsonl build/eval-llm

k=3 passages and 120 answer tokens, as the committed reports (evals/reports/llm/) were made;
the store is $SCIQA_HOME (default build/eval-home, as `make test` builds it). Extra arguments
go to `sciqa eval`.
"""

from __future__ import annotations

import os
import sys

import vcr

INSTRUMENT = {
    "SCIQA_LLM": "openai",
    "OPENAI_BASE_URL": "http://127.0.0.1:8089/v1",
    "OPENAI_API_KEY": "sciqa-recording-key",  # the instrument's loopback key, not a secret
    "SCIQA_MODEL": "qwen2.5-coder-1.5b-instruct",
    "SCIQA_K": "3",
    "SCIQA_ANSWER_TOKENS": "120",
    "SCIQA_PROGRESS": "false",
}


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cassette, gold, out, *extra = argv
    for name, value in INSTRUMENT.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("SCIQA_HOME", "build/eval-home")
    recorder = vcr.VCR(
        record_mode="new_episodes",
        match_on=["method", "path", "body"],
        filter_headers=["authorization"],
    )
    from sciqa.cli import main as sciqa

    args = ["eval", "--llm", "openai", "--no-judge", "--no-baseline", "--gold", gold]
    with recorder.use_cassette(cassette, allow_playback_repeats=True):
        try:
            sys.argv = ["sciqa", *args, "--out", out, *extra]
            sciqa()
        except SystemExit as e:  # sciqa eval exits 1 below a threshold: the report stands
            return int(e.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
