#!/usr/bin/env bash
# Re-record the vcrpy cassettes of tests/test_llm_http.py against a real OpenAI-compatible
# server: the pinned test instrument of scripts/llm-instrument.sh, llama.cpp's server
# (llama-cpp-python[server]) serving Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) as
# qwen2.5-coder-1.5b-instruct on 127.0.0.1:8089.
#
# The instrument is built once (.venv-llama, a source build of about 6 minutes on 2 cores, and the
# sha256-verified model file in .cache/models); it is never part of sciqa's install. If the
# instrument is already running (scripts/llm-instrument.sh start), it is used and left running;
# otherwise it is started here and stopped when recording ends.
# Usage: make cassettes. Extra arguments go to pytest: `scripts/record-cassettes.sh -k judge`
# re-records one test.
set -euo pipefail
cd "$(dirname "$0")/.."

# The address and key tests/test_llm_http.py records against (RECORDED_URL, RECORDING_KEY).
export LLM_PORT=8089
export LLM_KEY=sciqa-recording-key

if scripts/llm-instrument.sh status >/dev/null; then
    echo "record-cassettes: using the instrument already running on 127.0.0.1:$LLM_PORT" >&2
else
    scripts/llm-instrument.sh start >/dev/null
    trap 'scripts/llm-instrument.sh stop' EXIT
fi

SCIQA_RECORD=all .venv/bin/python -m pytest tests/test_llm_http.py -k recorded -p no:randomly "$@"
echo "cassettes written to tests/cassettes/; review them (git diff) before committing"
