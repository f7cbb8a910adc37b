# The README's commands are targets here; .ci/run calls `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 7860

.PHONY: run install dev browser test evals lint calibrate cassettes llm-server clean

# Set up the virtualenv with sciqa and its runtime dependencies (and a setuptools newer than
# the 65.5 that python -m venv brings, which has published advisories). Each step says what it
# does and about how long it takes; pip lists the packages as it installs them.
$(BIN)/sciqa: pyproject.toml
	@echo "make: creating $(VENV) with $(PYTHON) (a few seconds)"
	$(PYTHON) -m venv $(VENV)
	@echo "make: upgrading pip and setuptools in $(VENV) (about 10 s)"
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	@echo "make: installing sciqa and its dependencies (2-3 minutes the first time; pip's last step is silent)"
	$(BIN)/python -m pip install -e .
	@touch $@

install: $(BIN)/sciqa

# The main job: serve the chat page on 127.0.0.1 and say where (first run indexes the corpus,
# with progress); `make run PORT=7861` picks another port; --open also opens it in a browser when this machine has a display.
run: $(BIN)/sciqa
	@echo "make: starting the chat page; the first run indexes the bundled documents (15-40 s)"
	$(BIN)/sciqa ui --port $(PORT) --open

# Test and lint tools.
$(VENV)/.dev: $(BIN)/sciqa
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

dev: $(VENV)/.dev browser

# The browser the UI tests drive: Debian's chromium (no tool downloads a browser of its own).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "make: install Debian's chromium for the browser tests" >&2; exit 1; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium || { \
	    $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }; }

# `sciqa eval` (sciqa and the naive baseline) on evals/gold.jsonl, heldout.jsonl, amazon2.jsonl
# and amazon3.jsonl over the bundled corpus, and on atlas, fresh, unseen, blind, blind2 and blind3
# (.jsonl) each over its own folder of evals/collections alone, each failing below
# evals/thresholds.toml. Stores live in
# build/eval-home and build/eval-<set> (synced first, so a changed corpus or chunker is
# re-indexed), reports in build/eval.
EVALS := \
  SCIQA_HOME=build/eval-home SCIQA_PROGRESS=false $(BIN)/sciqa ingest && \
  SCIQA_HOME=build/eval-home $(BIN)/sciqa eval --out build/eval && \
  SCIQA_HOME=build/eval-home $(BIN)/sciqa eval --gold evals/heldout.jsonl --out build/eval && \
  SCIQA_HOME=build/eval-atlas SCIQA_PROGRESS=false $(BIN)/sciqa ingest evals/collections/atlas && \
  SCIQA_HOME=build/eval-atlas $(BIN)/sciqa eval --gold evals/atlas.jsonl --out build/eval && \
  SCIQA_HOME=build/eval-fresh SCIQA_PROGRESS=false $(BIN)/sciqa ingest evals/collections/fresh && \
  SCIQA_HOME=build/eval-fresh $(BIN)/sciqa eval --gold evals/fresh.jsonl --out build/eval && \
  SCIQA_HOME=build/eval-unseen SCIQA_PROGRESS=false $(BIN)/sciqa ingest evals/collections/unseen && \
  SCIQA_HOME=build/eval-unseen $(BIN)/sciqa eval --gold evals/unseen.jsonl --out build/eval && \
  SCIQA_HOME=build/eval-home $(BIN)/sciqa eval --gold evals/amazon2.jsonl --out build/eval && \
  SCIQA_HOME=build/eval-blind SCIQA_PROGRESS=false $(BIN)/sciqa ingest evals/collections/blind && \
  SCIQA_HOME=build/eval-blind $(BIN)/sciqa eval --gold evals/blind.jsonl --out build/eval && \
  SCIQA_HOME=build/eval-blind2 SCIQA_PROGRESS=false $(BIN)/sciqa ingest evals/collections/blind2 && \
  SCIQA_HOME=build/eval-blind2 $(BIN)/sciqa eval --gold evals/blind2.jsonl --out build/eval && \
  SCIQA_HOME=build/eval-home $(BIN)/sciqa eval --gold evals/amazon3.jsonl --out build/eval && \
  SCIQA_HOME=build/eval-blind3 SCIQA_PROGRESS=false $(BIN)/sciqa ingest evals/collections/blind3 && \
  SCIQA_HOME=build/eval-blind3 $(BIN)/sciqa eval --gold evals/blind3.jsonl --out build/eval
SETSID := $(shell command -v setsid)

evals: $(BIN)/sciqa
	@sh -xc '$(EVALS)'

# The whole test suite (what CI runs), after a lint: pytest on two workers, a file each, the
# longest files first (tests/conftest.py), and beside it the evals above, whose output follows
# pytest's. Both must pass; an interrupted run stops the evals too.
test: dev
	$(BIN)/ruff check src tests evals ui
	@mkdir -p build
	@echo "make: running pytest on 2 workers and, beside it, the evals of make evals (their output follows)"
	@$(SETSID) sh -xc '$(EVALS)' > build/evals.log 2>&1 & evals=$$!; \
	  trap 'kill -- -$$evals 2>/dev/null || kill $$evals 2>/dev/null' INT TERM; \
	  $(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder; tests=$$?; \
	  wait $$evals; evaluated=$$?; cat build/evals.log; \
	  [ $$evaluated = 0 ] || echo "make: the evals failed (their output is above)" >&2; \
	  [ $$tests = 0 ] && [ $$evaluated = 0 ]

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests evals ui
	$(BIN)/ruff format --check src tests evals ui
	$(BIN)/mypy

# Refit the extractive answerer on the Amazon corpus and evals/collections/atlas (writes
# src/sciqa/answerer/model.json); `python evals/calibrate.py --help` fits one and checks the other.
calibrate: $(VENV)/.dev
	$(BIN)/python evals/calibrate.py

# Re-record tests/cassettes against a real llama.cpp server with Qwen2.5-Coder-1.5B-Instruct (the
# server is built once into .venv-llama, about 6 minutes; it is never part of sciqa's install).
cassettes: $(VENV)/.dev
	scripts/record-cassettes.sh

# Serve the pinned test LLM (scripts/llm-instrument.sh) on 127.0.0.1:8089 in the foreground.
llm-server:
	scripts/llm-instrument.sh serve

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache .mypy_cache
